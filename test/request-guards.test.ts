/**
 * The HTTP server's guards called directly, without the app: request targets (RFC 9112's forms, the length limit),
 * body slots per client address, a body read within its size and deadline, and the address a request is counted by.
 * `http-server` and `http-hostile-requests` drive the same guards through the real app over sockets.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody } from '../src/http/body.ts';
import { addressKey, BodySlots, clientAddress, type Release, type SlotLimits } from '../src/http/slots.ts';
import { parseTarget } from '../src/http/target.ts';
import { LIMITS } from '../src/limits.ts';

describe('request targets', () => {
  const ok = (raw: string) => {
    const parsed = parseTarget(raw);
    if (!parsed.ok) throw new Error(`refused ${raw}: ${parsed.status}`);
    return parsed.target;
  };

  it('the origin form: path and query as sent, the query read, a fragment dropped', () => {
    expect(ok('/slack/events')).toMatchObject({ path: '/slack/events', search: '' });
    const t = ok('/install/callback?code=a%20b&state=x#frag');
    expect(t.path).toBe('/install/callback');
    expect(t.search).toBe('?code=a%20b&state=x');
    expect(t.query.get('code')).toBe('a b');
    expect(t.query.get('state')).toBe('x');
    expect(ok('/a#b?c')).toMatchObject({ path: '/a', search: '' });
    expect(ok("/%41%7e:@!$&'()*+,;=-._~")).toMatchObject({ path: "/%41%7e:@!$&'()*+,;=-._~" });
    expect(ok('/a?%zz').query.toString()).toBe('%25zz=');
  });

  it('the absolute form keeps path and query, whatever the host', () => {
    expect(ok('http://evil.example/slack/events?x=1')).toMatchObject({ path: '/slack/events', search: '?x=1' });
    expect(ok('HTTPS://h:8443/healthz')).toMatchObject({ path: '/healthz', search: '' });
    expect(ok('http://h')).toMatchObject({ path: '/' });
  });

  it('refuses what is not a path: 400; too long: 414', () => {
    for (const raw of [
      undefined,
      '',
      '*',
      'host:443',
      '//[',
      '/a\\b',
      '/%zz',
      '/%4',
      '/a b',
      '/ä',
      'ftp://h/a',
      'x-http://h/a',
      'http://[/',
    ]) {
      expect(parseTarget(raw)).toEqual({ ok: false, status: 400 });
    }
    expect(parseTarget('/'.padEnd(LIMITS.targetChars, 'a')).ok).toBe(true);
    expect(parseTarget('/'.padEnd(LIMITS.targetChars + 1, 'a'))).toEqual({ ok: false, status: 414 });
  });
});

describe('client addresses', () => {
  const request = (remoteAddress: string | undefined, forwarded?: string | string[]) =>
    ({
      socket: { remoteAddress },
      headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    }) as IncomingMessage;

  it('IPv4 as it is, an IPv4-mapped IPv6 as its IPv4, IPv6 by its /64, anything else cut to 64 characters', () => {
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('::FFFF:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('::ffff:999.1.2.3')).toBe('::ffff:999.1.2.3'.slice(0, 64));
    expect(addressKey('::ffff:10.1.2.34')).toBe('10.1.2.34');
    // Not addresses at all, whatever they hold: each is its own key.
    expect(addressKey('x::ffff:10.1.2.3')).toBe('x::ffff:10.1.2.3');
    expect(addressKey('::ffff:10.1.2.3x')).toBe('::ffff:10.1.2.3x');
    expect(addressKey('2001:db8:0:1:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:DB8:0000:0001::1')).toBe('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1:2:3:4:5')).toBe('fe80:0:0:1::/64');
    expect(addressKey('x'.repeat(100))).toBe('x'.repeat(64));
    expect(addressKey('')).toBe('');
  });

  it("with no proxy, the socket's address; behind n proxies, the entry the outermost wrote", () => {
    expect(clientAddress(request('10.0.0.1', '1.1.1.1'), 0)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', 'spoofed, 2.2.2.2'), 1)).toBe('2.2.2.2');
    expect(clientAddress(request('10.0.0.1', ['spoofed', '3.3.3.3, 4.4.4.4']), 2)).toBe('3.3.3.3');
    expect(clientAddress(request('10.0.0.1', '5.5.5.5'), 2)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1'), 1)).toBe('10.0.0.1');
    expect(clientAddress(request('10.0.0.1', ' 6.6.6.6 '), 1)).toBe('6.6.6.6');
    expect(clientAddress(request(undefined), 0)).toBe('');
  });
});

describe('body slots', () => {
  const LIMITS_HERE: SlotLimits = {
    slots: 4,
    perAddress: 1,
    keptFree: 1,
    waitMs: 200,
    waiting: 3,
    waitingPerAddress: 2,
  };
  const caller = () => new EventEmitter() as EventEmitter & { once(event: 'close', l: () => void): EventEmitter };
  const take = (slots: BodySlots, address: string, gone = caller()) => slots.take(address, gone);
  const pending = async <T>(p: Promise<T>) =>
    (await Promise.race([p, new Promise((r) => setTimeout(r, 20, 'pending'))])) === 'pending';

  it('an address past its share takes a slot only while more than the kept ones are free', async () => {
    const slots = new BodySlots(LIMITS_HERE);
    const a = await Promise.all([take(slots, 'A'), take(slots, 'A'), take(slots, 'A')]);
    expect(a.every((r) => typeof r === 'function')).toBe(true);
    expect(slots.inUse).toBe(3);
    // One slot left, kept for addresses within their share: A waits, B takes it.
    const fourth = take(slots, 'A');
    expect(await pending(fourth)).toBe(true);
    const b = await take(slots, 'B');
    expect(typeof b).toBe('function');
    expect(slots.inUse).toBe(4);
    // B's slot freed: A may not take the last one (1 free, 1 kept), C within its share may.
    (b as Release)();
    expect(await pending(fourth)).toBe(true);
    expect(slots.inUse).toBe(3);
    a[0]?.();
    expect(typeof (await fourth)).toBe('function');
    expect(slots.inUse).toBe(3);
  });

  it('a release given twice frees one slot; a freed slot goes to the first waiter that may take it', async () => {
    const slots = new BodySlots({ ...LIMITS_HERE, slots: 1, keptFree: 0 });
    const first = (await take(slots, 'A')) as Release;
    const second = take(slots, 'B');
    const third = take(slots, 'C');
    first();
    first();
    const granted = (await second) as Release;
    expect(typeof granted).toBe('function');
    expect(await pending(third)).toBe(true);
    expect(slots.inUse).toBe(1);
    granted();
    expect(typeof (await third)).toBe('function');
  });

  it('waits at most waitMs, and no longer than its caller stays', async () => {
    const slots = new BodySlots({ ...LIMITS_HERE, slots: 1 });
    await take(slots, 'A');
    const started = Date.now();
    expect(await take(slots, 'B')).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const gone = caller();
    const leaving = take(slots, 'C', gone);
    gone.emit('close');
    expect(await leaving).toBeUndefined();
  });

  it('a slot given back no longer counts against its address', async () => {
    const slots = new BodySlots({ ...LIMITS_HERE, slots: 2 });
    (await take(slots, 'A'))?.();
    await take(slots, 'B');
    // One slot free, kept for addresses within their share: A holds none now, so it is within it.
    expect(typeof (await take(slots, 'A'))).toBe('function');
  });

  it('a waiter given a slot whose caller then goes away takes no other waiter with it', async () => {
    const slots = new BodySlots({ ...LIMITS_HERE, slots: 1, keptFree: 0, waitMs: 5000 });
    const held = (await take(slots, 'A')) as Release;
    const gone = caller();
    const b = take(slots, 'B', gone);
    const c = take(slots, 'C');
    held();
    const granted = (await b) as Release;
    gone.emit('close');
    expect(await pending(c)).toBe(true);
    granted();
    expect(typeof (await c)).toBe('function');
  });

  it('refuses at once past the waiters of the pool or of one address', async () => {
    const slots = new BodySlots({ ...LIMITS_HERE, slots: 1, waitMs: 5000 });
    const held = (await take(slots, 'A')) as Release;
    const b1 = take(slots, 'B');
    const b2 = take(slots, 'B');
    expect(await take(slots, 'B')).toBeUndefined();
    const c = take(slots, 'C');
    expect(await take(slots, 'D')).toBeUndefined();
    held();
    (await b1)?.();
    (await b2)?.();
    expect(typeof (await c)).toBe('function');
  });
});

describe('a body read', () => {
  const body = () => {
    const stream = new PassThrough();
    return { stream, req: stream as unknown as IncomingMessage };
  };

  it('gives the whole body, and each chunk on the way', async () => {
    const { stream, req } = body();
    const seen: string[] = [];
    const read = readBody(req, { limit: 10, deadlineMs: 1000, onChunk: (c) => seen.push(c.toString()) });
    stream.write('hello ');
    stream.end('body');
    expect(await read).toEqual({ ok: true, body: Buffer.from('hello body') });
    expect(seen.join('')).toBe('hello body');
  });

  it('a body of exactly the limit is read; one byte more is 413, and the rest is left unread', async () => {
    const exact = body();
    const read = readBody(exact.req, { limit: 4, deadlineMs: 1000 });
    exact.stream.end('abcd');
    expect(await read).toMatchObject({ ok: true });

    const over = body();
    const seen: Buffer[] = [];
    const refused = readBody(over.req, { limit: 4, deadlineMs: 1000, onChunk: (c) => seen.push(c) });
    over.stream.write('abc');
    over.stream.write('de');
    expect(await refused).toEqual({ ok: false, status: 413, error: 'body too large' });
    expect(Buffer.concat(seen).toString()).toBe('abc');
    expect(over.stream.isPaused()).toBe(true);
    expect(over.stream.listenerCount('data')).toBe(0);
  });

  it('too slow is 408; a broken or closed connection is 400; and once settled, nothing changes it', async () => {
    const slow = body();
    const started = Date.now();
    const timed = readBody(slow.req, { limit: 10, deadlineMs: 100 });
    slow.stream.write('a');
    expect(await timed).toEqual({ ok: false, status: 408, error: 'body too slow' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    slow.stream.end('b');

    const broken = body();
    const failed = readBody(broken.req, { limit: 10, deadlineMs: 1000 });
    broken.stream.destroy(new Error('reset'));
    expect(await failed).toEqual({ ok: false, status: 400, error: 'unreadable body' });

    const closed = body();
    const gone = readBody(closed.req, { limit: 10, deadlineMs: 1000 });
    closed.stream.emit('close');
    expect(await gone).toEqual({ ok: false, status: 400, error: 'unreadable body' });
    for (const event of ['data', 'end', 'error', 'close']) expect(closed.stream.listenerCount(event), event).toBe(0);
  });
});
