import type { Attempt, Deadline, Handlers, JobQueue, QueueOptions, QueueState, RelayJob } from './index.ts';
import { RETRY_DELAYS_MS } from './index.ts';

interface Entry {
  job: RelayJob;
  state: QueueState['state'];
  attempts: number;
  controller: AbortController;
  running?: Promise<void>;
}

/**
 * The in-process queue: the same behaviour as the BullMQ one (ids, concurrency, retries with back-off,
 * deadlines) without Redis. Nothing survives the process: the README says so, and production uses Redis.
 */
export function memoryQueue(options: QueueOptions): JobQueue {
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const entries = new Map<string, Entry>();
  const line: Entry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let handlers: Handlers | undefined;
  let active = 0;
  let closing = false;

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    timers.add(timer);
  };

  const pump = () => {
    while (handlers && !closing && active < options.concurrency && line.length > 0) {
      const entry = line.shift();
      if (entry?.state !== 'waiting') continue;
      start(entry, handlers);
    }
  };

  const start = (entry: Entry, h: Handlers) => {
    active += 1;
    entry.state = 'active';
    entry.attempts += 1;
    const attempt: Attempt = {
      number: entry.attempts,
      last: entry.attempts > delays.length,
      signal: entry.controller.signal,
    };
    entry.running = h
      .relay(entry.job, attempt)
      .then(
        () => {
          entry.state = 'completed';
        },
        async () => {
          if (attempt.last || closing) {
            entry.state = 'failed';
            await h.abandoned(entry.job).catch(() => {});
            return;
          }
          entry.state = 'delayed';
          later(delays[entry.attempts - 1] ?? 0, () => {
            entry.state = 'waiting';
            line.push(entry);
            pump();
          });
        },
      )
      .finally(() => {
        active -= 1;
        pump();
      });
  };

  return {
    kind: 'memory',
    add: async (job) => {
      if (entries.has(job.trackingId)) return false;
      const entry: Entry = { job, state: 'waiting', attempts: 0, controller: new AbortController() };
      entries.set(job.trackingId, entry);
      line.push(entry);
      queueMicrotask(pump);
      return true;
    },
    work: (h) => {
      handlers = h;
      pump();
    },
    schedule: async (deadline: Deadline, delayMs) => {
      later(delayMs, () => {
        if (!closing) void handlers?.deadline(deadline).catch(() => {});
      });
    },
    inspect: async (trackingId) => {
      const entry = entries.get(trackingId);
      if (!entry) return undefined;
      return entry.state === 'active' ? { state: 'active', orphaned: false } : { state: entry.state };
    },
    requeue: async (job) => {
      const entry = entries.get(job.trackingId);
      if (entry?.state === 'active' || entry?.state === 'waiting') return false;
      entries.delete(job.trackingId);
      const fresh: Entry = { job, state: 'waiting', attempts: 0, controller: new AbortController() };
      entries.set(job.trackingId, fresh);
      line.push(fresh);
      queueMicrotask(pump);
      return true;
    },
    counts: async () => {
      const counts: Record<string, number> = { waiting: 0, active: 0, delayed: 0, completed: 0, failed: 0 };
      for (const entry of entries.values()) counts[entry.state] += 1;
      return counts;
    },
    close: async (deadlineMs) => {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const running = [...entries.values()].filter((e) => e.state === 'active');
      const waiting = [...entries.values()].filter((e) => e.state === 'waiting' || e.state === 'delayed');
      const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), deadlineMs).unref());
      const finished = Promise.allSettled(running.map((e) => e.running)).then(() => 'finished' as const);
      if ((await Promise.race([finished, deadline])) === 'deadline') {
        for (const entry of running) entry.controller.abort(new Error('the app is stopping'));
        await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
      }
      // Aborted relays were reported through `abandoned`; what never started is returned to be told.
      return [...running.filter((e) => e.state === 'active'), ...waiting].map((e) => e.job);
    },
  };
}
