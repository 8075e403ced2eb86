/** The relay queue's promises, kept the same by every implementation: memory (unit tests), SQLite, BullMQ. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { bullQueue } from '../src/pipeline/queue/bullmq.ts';
import type { Attempt, RelayHandlers, RelayJob, RelayQueue } from '../src/pipeline/queue/index.ts';
import { memoryQueue } from '../src/pipeline/queue/memory.ts';
import { sqliteQueue } from '../src/pipeline/queue/sqlite.ts';
import { openDatabase } from '../src/store/sqlite.ts';
import { REDIS_URL, testPrefix } from './helpers/redis.ts';

const log = createLogger({ level: 'error', format: 'json', write: () => {} });
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Options {
  concurrency?: number;
  retryDelaysMs?: number[];
  lockMs?: number;
}
/** Opens a queue; queues opened with the same `place` share their entries (the same Redis prefix or file). */
type Open = (place: string, o?: Options) => RelayQueue;

/** A place's value, made the first time the place is named. */
function perPlace<T>(make: () => T): (place: string) => T {
  const made = new Map<string, T>();
  return (place) => {
    if (!made.has(place)) made.set(place, make());
    return made.get(place) as T;
  };
}
const sqlitePath = perPlace(() => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-contract-'));
  dirs.push(dir);
  return join(dir, 'transcriber.db');
});
const redisPrefix = perPlace(() => testPrefix());
const defaults = (o: Options = {}) => ({
  concurrency: o.concurrency ?? 2,
  retryDelaysMs: o.retryDelaysMs ?? [30, 60],
  lockMs: o.lockMs ?? 5000,
});

const implementations: [string, Open, { durable: boolean }][] = [
  ['memory', (_place, o) => memoryQueue(defaults(o)), { durable: false }],
  [
    'sqlite',
    (place, o) => sqliteQueue({ ...defaults(o), db: openDatabase(sqlitePath(place)), instanceId: randomUUID(), log }),
    { durable: true },
  ],
  [
    'bullmq',
    (place, o) =>
      bullQueue({ ...defaults(o), redisUrl: REDIS_URL, tlsVerify: true, prefix: `${redisPrefix(place)}bull`, log }),
    { durable: true },
  ],
];

function job(id: string): RelayJob {
  return {
    id,
    trackingId: id,
    run: 1,
    ref: { workspace: 'T0001', channel: 'C0001', ts: '1.000001', fileId: 'F0001' },
    file: { id: 'F0001' },
    unsure: false,
    lookUp: false,
  };
}

const waitFor = async (check: () => boolean, ms = 5000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe.each(implementations)('the %s queue', (_name, open, { durable }) => {
  const handlers = (relay: RelayHandlers['relay'], abandoned: RelayHandlers['abandoned'] = async () => {}) => ({
    relay,
    abandoned,
  });

  it('runs each entry once, however often it is added, and says while it has it', async () => {
    const q = open(randomUUID());
    const runs: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await q.add(job('a'));
    await q.add(job('a'));
    expect(await q.stateOf('a')).toBe('ready');
    q.work(
      handlers(async (j) => {
        runs.push(j.id);
        await held;
      }),
    );
    await waitFor(() => runs.length === 1);
    await q.add(job('a'));
    expect(await q.stateOf('a')).toBe('active');
    release();
    await waitFor(() => runs.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(await q.stateOf('a')).toBeUndefined();
    expect(runs).toEqual(['a']);
    await q.close(1000);
  });

  it('runs `concurrency` entries at a time', async () => {
    const q = open(randomUUID(), { concurrency: 2 });
    let now = 0;
    let most = 0;
    let done = 0;
    for (const id of ['a', 'b', 'c', 'd', 'e']) await q.add(job(id));
    q.work(
      handlers(async () => {
        now += 1;
        most = Math.max(most, now);
        await new Promise((r) => setTimeout(r, 60));
        now -= 1;
        done += 1;
      }),
    );
    await waitFor(() => done === 5);
    expect(most).toBe(2);
    await q.close(1000);
  });

  it('tries a failing entry again after each back-off, says which attempt is the last, then gives up', async () => {
    const q = open(randomUUID(), { retryDelaysMs: [50, 100] });
    const attempts: (Attempt & { at: number })[] = [];
    const abandoned: string[] = [];
    await q.add(job('a'));
    q.work(
      handlers(
        async (_j, attempt) => {
          attempts.push({ ...attempt, at: Date.now() });
          throw new Error('outage');
        },
        async (j) => void abandoned.push(j.id),
      ),
    );
    await waitFor(() => abandoned.length === 1);
    expect(attempts.map((a) => [a.number, a.last])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(45);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(95);
    await q.close(1000);
  });

  it('removes an entry that has not started, and leaves a running one to finish', async () => {
    const q = open(randomUUID(), { concurrency: 1 });
    const runs: string[] = [];
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    await q.add(job('a'));
    await q.add(job('b'));
    q.work(
      handlers(async (j) => {
        runs.push(j.id);
        if (j.id === 'a') await held;
      }),
    );
    await waitFor(() => runs.length === 1);
    await q.remove('b');
    await q.remove('a');
    expect(await q.stateOf('b')).toBeUndefined();
    release();
    await new Promise((r) => setTimeout(r, 300));
    expect(runs).toEqual(['a']);
    await q.close(1000);
  });

  it('counts entries waiting, running and waiting for their next attempt', async () => {
    const q = open(randomUUID(), { concurrency: 1, retryDelaysMs: [5000] });
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let first = true;
    await q.add(job('a'));
    await q.add(job('b'));
    await q.add(job('c'));
    q.work(
      handlers(async (j) => {
        if (j.id === 'a' && first) {
          first = false;
          throw new Error('later');
        }
        await held;
      }),
    );
    await waitFor(() => !first);
    await new Promise((r) => setTimeout(r, 200));
    expect(await q.counts()).toEqual({ ready: 1, active: 1, delayed: 1 });
    expect(await Promise.all(['a', 'b', 'c'].map((id) => q.stateOf(id)))).toEqual(['delayed', 'active', 'ready']);
    release();
    await q.close(1000);
  });

  it.runIf(durable)('keeps an entry a stopped process had not finished, for the next one', async () => {
    const place = randomUUID();
    const first = open(place, { concurrency: 1 });
    const started: string[] = [];
    await first.add(job('a'));
    first.work(
      handlers(async (j, attempt) => {
        started.push(j.id);
        await new Promise((_, reject) => attempt.signal.addEventListener('abort', () => reject(attempt.signal.reason)));
      }),
    );
    await waitFor(() => started.length === 1);
    await first.close(50);
    const second = open(place, { concurrency: 1, retryDelaysMs: [0] });
    const again: number[] = [];
    second.work(handlers(async (_j, attempt) => void again.push(attempt.number)));
    await waitFor(() => again.length === 1, 8000);
    await second.close(1000);
  });
});

describe('the sqlite queue, on a file an earlier version left', () => {
  it("runs an entry stored as 'waiting' (the earlier name of ready)", async () => {
    const place = randomUUID();
    const db = openDatabase(sqlitePath(place));
    sqliteQueue({ ...defaults(), db, instanceId: randomUUID(), log });
    db.prepare("INSERT INTO relay_queue (id, data, state, run_at) VALUES ('old', ?, 'waiting', 0)").run(
      JSON.stringify(job('old')),
    );
    db.close();
    const q = sqliteQueue({ ...defaults(), db: openDatabase(sqlitePath(place)), instanceId: randomUUID(), log });
    expect(await q.stateOf('old')).toBe('ready');
    const runs: string[] = [];
    q.work({ relay: async (j) => void runs.push(j.id), abandoned: async () => {} });
    await waitFor(() => runs.length === 1);
    expect(runs).toEqual(['old']);
    await q.close(1000);
  });
});
