import type { DatabaseSync } from 'node:sqlite';
import { errorMessage } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import {
  type Attempt,
  MAX_STALLS,
  type QueueCounts,
  type QueueOptions,
  type RelayHandlers,
  type RelayJob,
  type RelayQueue,
} from './index.ts';

export interface SqliteQueueOptions extends QueueOptions {
  /** The app's SQLite file, shared with the store (src/store/sqlite.ts). */
  db: DatabaseSync;
  /** This process: written on the entries it runs. */
  instanceId: string;
  log: Logger;
}

/** How often the queue looks for entries that fell due and for entries whose process went silent. */
const POLL_MS = 250;

interface Row {
  id: string;
  data: string;
  attempts: number;
  stalls: number;
}

/**
 * The embedded queue: relays as rows of `relay_queue` in the app's SQLite file, beside the store, so that a memo's
 * record and its queue entry survive the same crashes. A running entry carries its process and a lease that the
 * process renews; an entry whose lease ran out (its process died) waits again and runs anew, like BullMQ's stalled
 * jobs. Attempts and their back-off are columns (`attempts`, `run_at`).
 */
export function sqliteQueue(options: SqliteQueueOptions): RelayQueue {
  const { db } = options;
  db.exec(`
    CREATE TABLE IF NOT EXISTS relay_queue (
      id TEXT PRIMARY KEY,
      data TEXT NOT NULL,
      state TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      stalls INTEGER NOT NULL DEFAULT 0,
      run_at INTEGER NOT NULL,
      worker TEXT,
      lease_until INTEGER
    ) STRICT;
    CREATE INDEX IF NOT EXISTS relay_queue_due ON relay_queue (state, run_at);
    -- Entries left by a version that called a ready entry 'waiting'.
    UPDATE relay_queue SET state = 'ready' WHERE state = 'waiting';
  `);
  const insert = db.prepare(
    "INSERT INTO relay_queue (id, data, state, run_at) VALUES (?, ?, 'ready', ?) ON CONFLICT (id) DO NOTHING",
  );
  const stateOfRow = db.prepare('SELECT state, run_at FROM relay_queue WHERE id = ?');
  const removeReady = db.prepare("DELETE FROM relay_queue WHERE id = ? AND state = 'ready'");
  const take = db.prepare(`
    UPDATE relay_queue SET state = 'active', worker = ?, lease_until = ?, attempts = attempts + 1
    WHERE id = (SELECT id FROM relay_queue WHERE state = 'ready' AND run_at <= ? ORDER BY run_at, rowid LIMIT 1)
    RETURNING id, data, attempts, stalls`);
  const renew = db.prepare("UPDATE relay_queue SET lease_until = ? WHERE id = ? AND worker = ? AND state = 'active'");
  const finish = db.prepare('DELETE FROM relay_queue WHERE id = ? AND worker = ?');
  const later = db.prepare(
    "UPDATE relay_queue SET state = 'ready', worker = NULL, lease_until = NULL, run_at = ? WHERE id = ? AND worker = ?",
  );
  const putBack = db.prepare(
    "UPDATE relay_queue SET state = 'ready', worker = NULL, lease_until = NULL, attempts = attempts - 1 WHERE id = ? AND worker = ?",
  );
  const stalled = db.prepare(`
    UPDATE relay_queue SET state = 'ready', worker = NULL, lease_until = NULL, stalls = stalls + 1, attempts = attempts - 1
    WHERE state = 'active' AND lease_until < ? RETURNING id, data, attempts, stalls`);
  const dropStalled = db.prepare('DELETE FROM relay_queue WHERE id = ? AND stalls > ?');
  const countAll = db.prepare(
    "SELECT SUM(state = 'ready' AND run_at <= ?) AS ready, SUM(state = 'active') AS active, SUM(state = 'ready' AND run_at > ?) AS delayed FROM relay_queue",
  );

  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let handlers: RelayHandlers | undefined;
  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  const leaseUntil = () => Date.now() + options.lockMs;

  const run = (row: Row, h: RelayHandlers) => {
    const job = JSON.parse(row.data) as RelayJob;
    const controller = new AbortController();
    const attempt: Attempt = {
      number: row.attempts,
      last: row.attempts > options.retryDelaysMs.length,
      signal: controller.signal,
    };
    const keep = setInterval(() => renew.run(leaseUntil(), row.id, options.instanceId), options.lockMs / 3);
    keep.unref();
    const done = h
      .relay(job, attempt)
      .then(
        () => void finish.run(row.id, options.instanceId),
        async (err: unknown) => {
          if (controller.signal.aborted) {
            // The app is stopping: the entry waits for the next process, this attempt not counted.
            putBack.run(row.id, options.instanceId);
            return;
          }
          if (attempt.last) {
            finish.run(row.id, options.instanceId);
            await h.abandoned(job).catch(() => {});
            return;
          }
          options.log.warn('relay attempt failed', {
            trackingId: job.trackingId,
            attempt: attempt.number,
            error: errorMessage(err),
          });
          const delay = options.retryDelaysMs[row.attempts - 1] ?? 0;
          later.run(Date.now() + delay, row.id, options.instanceId);
        },
      )
      .finally(() => {
        clearInterval(keep);
        running.delete(row.id);
        pump();
      });
    running.set(row.id, { controller, done });
  };

  const pump = () => {
    const h = handlers;
    if (!h || closing) return;
    while (running.size < options.concurrency) {
      const row = take.get(options.instanceId, leaseUntil(), Date.now()) as Row | undefined;
      if (!row) return;
      run(row, h);
    }
  };

  const recoverStalled = () => {
    for (const row of stalled.all(Date.now()) as unknown as Row[]) {
      if (row.stalls <= MAX_STALLS) continue;
      dropStalled.run(row.id, MAX_STALLS);
      void handlers?.abandoned(JSON.parse(row.data) as RelayJob).catch(() => {});
    }
  };

  const tick = () => {
    try {
      recoverStalled();
      pump();
    } catch (err) {
      options.log.warn('queue poll failed', { error: errorMessage(err) });
    }
  };

  return {
    kind: 'sqlite',
    add: async (job) => {
      insert.run(job.id, JSON.stringify(job), Date.now());
      queueMicrotask(tick);
    },
    stateOf: async (id) => {
      const row = stateOfRow.get(id) as { state: string; run_at: number } | undefined;
      if (!row) return undefined;
      if (row.state === 'active') return 'active';
      return row.run_at > Date.now() ? 'delayed' : 'ready';
    },
    remove: async (id) => void removeReady.run(id),
    work: (h) => {
      handlers = h;
      timer = setInterval(tick, POLL_MS);
      timer.unref();
      tick();
    },
    counts: async () => {
      const now = Date.now();
      const row = countAll.get(now, now) as Record<keyof QueueCounts, number | null>;
      return { ready: row.ready ?? 0, active: row.active ?? 0, delayed: row.delayed ?? 0 };
    },
    close: async (deadlineMs) => {
      closing = true;
      clearInterval(timer);
      const all = Promise.allSettled([...running.values()].map((r) => r.done));
      const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), deadlineMs).unref());
      if ((await Promise.race([all.then(() => 'done' as const), deadline])) === 'deadline') {
        for (const r of running.values()) r.controller.abort(new Error('the app is stopping'));
        await Promise.race([all, new Promise((r) => setTimeout(r, 3000).unref())]);
      }
    },
  };
}
