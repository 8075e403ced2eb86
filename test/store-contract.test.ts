/** The store's promises, kept the same by every adapter: memory (unit tests), SQLite (the default), Redis. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/index.ts';
import { memoryStore } from '../src/store/memory.ts';
import { redisStore } from '../src/store/redis.ts';
import { sqliteStore } from '../src/store/sqlite.ts';
import { REDIS_URL, testPrefix } from './helpers/redis.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const adapters: [string, () => Promise<Store>][] = [
  ['memory', async () => memoryStore()],
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
      dirs.push(dir);
      return sqliteStore({ path: join(dir, 'transcriber.db') });
    },
  ],
  ['redis', () => redisStore({ url: REDIS_URL, prefix: testPrefix(), tlsVerify: true })],
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(adapters)('the %s store', (_name, open) => {
  let store: Store;
  beforeEach(async () => {
    store = await open();
    return () => store.close();
  });

  describe('values', () => {
    it('keep JSON values until deleted, or until their TTL', async () => {
      await store.set('a', { n: 1, s: 'é', list: [1, 2] });
      await store.set('b', 'short', 60);
      expect(await store.get('a')).toEqual({ n: 1, s: 'é', list: [1, 2] });
      expect(await store.get('b')).toBe('short');
      await sleep(90);
      expect(await store.get('b')).toBeUndefined();
      await store.delete('a', 'absent');
      expect(await store.get('a')).toBeUndefined();
    });

    it('hand out copies: changing what was read changes nothing stored', async () => {
      const value = { n: 1 };
      await store.set('a', value);
      value.n = 2;
      const read = await store.get<{ n: number }>('a');
      if (read) read.n = 3;
      expect(await store.get('a')).toEqual({ n: 1 });
    });
  });

  describe('tokens', () => {
    it('are claimed once, across callers racing for them', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claim('t', `owner-${i}`, 5000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(await store.peek('t')).toBe(`owner-${winner}`);
    });

    it('are swapped, released and extended only by the caller that holds the expected token', async () => {
      await store.claim('t', 'one', 5000);
      expect(await store.swap('t', 'nope', 'two', 5000)).toBe(false);
      expect(await store.swap('t', 'one', 'two', 5000)).toBe(true);
      expect(await store.extend('t', 'one', 5000)).toBe(false);
      expect(await store.extend('t', 'two', 5000)).toBe(true);
      expect(await store.release('t', 'one')).toBe(false);
      expect(await store.peek('t')).toBe('two');
      expect(await store.release('t', 'two')).toBe(true);
      expect(await store.peek('t')).toBeUndefined();
      expect(await store.claim('t', 'three', 5000)).toBe(true);
    });

    it('expire, and an extended one lives on', async () => {
      await store.claim('short', 'x', 60);
      await store.claim('kept', 'y', 60);
      expect(await store.extend('kept', 'y', 5000)).toBe(true);
      await sleep(90);
      expect(await store.peek('short')).toBeUndefined();
      expect(await store.peek('kept')).toBe('y');
      expect(await store.claim('short', 'z', 5000)).toBe(true);
    });
  });

  describe('records', () => {
    it('are written field by field: two writers never lose each other’s fields', async () => {
      await Promise.all([store.update('r', { a: 1 }), store.update('r', { b: 'two' }), store.update('r', { c: [3] })]);
      expect(await store.record('r')).toEqual({ a: 1, b: 'two', c: [3] });
    });

    it('are changed only when every condition holds; null means absent', async () => {
      expect(await store.update('r', { state: 'queued', run: 1 }, { when: { state: [null] } })).toBe(true);
      expect(await store.update('r', { state: 'queued', run: 9 }, { when: { state: [null] } })).toBe(false);
      expect(await store.update('r', { state: 'sending' }, { when: { state: ['queued'], run: [2] } })).toBe(false);
      expect(await store.update('r', { state: 'sending' }, { when: { state: ['waiting', 'queued'], run: [1] } })).toBe(
        true,
      );
      expect(await store.update('r', { worker: 'w' }, { when: { worker: [null] } })).toBe(true);
      expect(await store.update('r', { worker: 'x' }, { when: { worker: [null] } })).toBe(false);
      expect(await store.record('r')).toEqual({ state: 'sending', run: 1, worker: 'w' });
    });

    it('let one of many racing conditional writers win', async () => {
      await store.update('r', { state: 'queued' });
      const moves = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.update('r', { state: 'sending', by: i }, { when: { state: ['queued'] } }),
        ),
      );
      expect(moves.filter(Boolean)).toHaveLength(1);
      expect((await store.record<{ by: number }>('r'))?.by).toBe(moves.indexOf(true));
    });

    it('remove a field set to null, and are gone with their last field', async () => {
      await store.update('r', { a: 1, b: 2 });
      await store.update('r', { a: null, c: undefined });
      expect(await store.record('r')).toEqual({ b: 2 });
      await store.update('r', { b: null });
      expect(await store.record('r')).toBeUndefined();
    });

    it('keep their TTL when written without one, and restart it with one', async () => {
      await store.update('r', { a: 1 }, { ttlMs: 80 });
      await store.update('r', { b: 2 });
      await sleep(110);
      expect(await store.record('r')).toBeUndefined();
      await store.update('s', { a: 1 }, { ttlMs: 60 });
      await store.update('s', { b: 2 }, { ttlMs: 5000 });
      await sleep(90);
      expect(await store.record('s')).toEqual({ a: 1, b: 2 });
    });

    it('start anew once expired: no field of the old record comes back', async () => {
      await store.update('r', { a: 1, b: 2 }, { ttlMs: 40 });
      await sleep(70);
      expect(await store.addField('r', 'c', 3, 5000)).toEqual({ added: true, size: 1 });
      expect(await store.record('r')).toEqual({ c: 3 });
      expect(await store.update('r', { d: 4 }, { when: { a: [null] } })).toBe(true);
    });

    it('take a field once with addField, counting the fields', async () => {
      expect(await store.addField('m', 'x', { v: 1 }, 5000)).toEqual({ added: true, size: 1 });
      expect(await store.addField('m', 'x', { v: 2 }, 5000)).toEqual({ added: false, size: 1 });
      expect(await store.addField('m', 'y', { v: 3 }, 5000)).toEqual({ added: true, size: 2 });
      expect(await store.record('m')).toEqual({ x: { v: 1 }, y: { v: 3 } });
    });

    it('add up counted fields atomically across callers, beside other fields, and expire with their TTL', async () => {
      await store.update('u', { label: 'June' });
      await Promise.all(Array.from({ length: 20 }, () => store.incrementFields('u', { seconds: 30, memos: 1 }, 5000)));
      expect(await store.incrementFields('u', { seconds: -10, 'channel:C1': 7 })).toEqual({
        seconds: 590,
        'channel:C1': 7,
      });
      expect(await store.record('u')).toEqual({ label: 'June', seconds: 590, memos: 20, 'channel:C1': 7 });
      expect(await store.incrementFields('u', {})).toEqual({});
      await store.incrementFields('v', { n: 2 }, 60);
      await sleep(90);
      expect(await store.record('v')).toBeUndefined();
      expect(await store.incrementFields('v', { n: 1 })).toEqual({ n: 1 });
    });
  });

  describe('counters', () => {
    it('start at 0, add up across callers, and expire with their TTL', async () => {
      await Promise.all(Array.from({ length: 20 }, () => store.increment('c', 5, 5000)));
      expect(await store.increment('c', -1)).toBe(99);
      await store.increment('d', 1, 60);
      await sleep(90);
      expect(await store.increment('d', 1)).toBe(1);
    });
  });

  describe('schedules', () => {
    it('hand each due member to one taker, with a lease after which it comes back', async () => {
      const now = Date.now();
      await store.schedule('s', 'later', now + 60_000);
      await store.schedule('s', 'due-1', now - 10);
      await store.schedule('s', 'due-2', now - 5);
      const [a, b] = await Promise.all([store.takeDue('s', now, 10, 1000), store.takeDue('s', now, 10, 1000)]);
      const taken = [...a, ...b].map((d) => d.member).sort();
      expect(taken).toEqual(['due-1', 'due-2']);
      expect(await store.takeDue('s', now + 500, 10, 1000)).toEqual([]);
      expect((await store.takeDue('s', now + 1000, 10, 1000)).map((d) => d.member).sort()).toEqual(['due-1', 'due-2']);
    });

    it('move a member earlier only with `earlier`; unschedule with a lease leaves one moved meanwhile', async () => {
      const now = Date.now();
      await store.schedule('s', 'm', now + 10_000);
      await store.schedule('s', 'm', now + 20_000, { earlier: true });
      expect(await store.dueAt('s', 'm')).toBe(now + 10_000);
      await store.schedule('s', 'm', now + 5_000, { earlier: true });
      expect(await store.dueAt('s', 'm')).toBe(now + 5_000);
      const [due] = await store.takeDue('s', now + 5_000, 1, 60_000);
      expect(due).toEqual({ member: 'm', lease: now + 65_000 });
      await store.schedule('s', 'm', now + 6_000, { earlier: true });
      await store.unschedule('s', 'm', due.lease);
      expect(await store.dueAt('s', 'm')).toBe(now + 6_000);
      await store.unschedule('s', 'm');
      expect(await store.dueAt('s', 'm')).toBeUndefined();
    });

    it('keep times to the whole millisecond', async () => {
      await store.schedule('s', 'm', 1000.4);
      expect(await store.dueAt('s', 'm')).toBe(1000);
      expect(await store.takeDue('s', 2000.6, 1, 10)).toEqual([{ member: 'm', lease: 2011 }]);
    });
  });

  describe('keys', () => {
    it('are listed by prefix across kinds, live ones only, and deleted whatever their kind', async () => {
      await store.set('ws:T1:a', 1);
      await store.claim('ws:T1:b', 'x', 5000);
      await store.update('ws:T1:c', { f: 1 });
      await store.increment('ws:T1:d', 1);
      await store.set('ws:T1:gone', 1, 30);
      await store.set('ws:T12:other', 1);
      await store.set('ws:T2:a', 1);
      await sleep(60);
      const found = (await store.keysWith('ws:T1:')).sort();
      expect(found).toEqual(['ws:T1:a', 'ws:T1:b', 'ws:T1:c', 'ws:T1:d']);
      await store.delete(...found);
      expect(await store.keysWith('ws:T1:')).toEqual([]);
      expect(await store.get('ws:T2:a')).toBe(1);
    });

    it('with glob characters in the prefix are matched literally', async () => {
      await store.set('ws:T*:a', 1);
      await store.set('ws:TX:a', 1);
      expect(await store.keysWith('ws:T*:')).toEqual(['ws:T*:a']);
    });
  });
});

describe('the SQLite store', () => {
  it('keeps everything in its file across a close and a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-reopen-'));
    dirs.push(dir);
    const path = join(dir, 'transcriber.db');
    const first = await sqliteStore({ path });
    await first.set('v', { a: 1 });
    await first.claim('t', 'owner', 60_000);
    await first.update('r', { state: 'queued' });
    await first.schedule('s', 'm', 42);
    await first.close();
    const second = await sqliteStore({ path });
    expect(await second.get('v')).toEqual({ a: 1 });
    expect(await second.peek('t')).toBe('owner');
    expect(await second.record('r')).toEqual({ state: 'queued' });
    expect(await second.dueAt('s', 'm')).toBe(42);
    await second.close();
  });
});
