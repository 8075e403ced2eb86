import type { Attempt, EntryState, QueueOptions, RelayHandlers, RelayJob, RelayQueue } from './index.ts';

interface Entry {
  job: RelayJob;
  state: EntryState;
  attempts: number;
  controller: AbortController;
  running?: Promise<void>;
}

/**
 * The in-process queue, for unit tests: the behaviour of the others (ids kept once, concurrency, attempts with
 * back-off) without durability: nothing survives the process.
 */
export function memoryQueue(options: Pick<QueueOptions, 'concurrency' | 'retryDelaysMs'>): RelayQueue {
  const entries = new Map<string, Entry>();
  const line: Entry[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let handlers: RelayHandlers | undefined;
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
      if (entry?.state === 'ready' && entries.get(entry.job.id) === entry) start(entry, handlers);
    }
  };

  const start = (entry: Entry, h: RelayHandlers) => {
    active += 1;
    entry.state = 'active';
    entry.attempts += 1;
    const attempt: Attempt = {
      number: entry.attempts,
      last: entry.attempts > options.retryDelaysMs.length,
      signal: entry.controller.signal,
    };
    entry.running = h
      .relay(entry.job, attempt)
      .then(
        () => void entries.delete(entry.job.id),
        async () => {
          if (attempt.last || closing) {
            entries.delete(entry.job.id);
            if (!closing) await h.abandoned(entry.job).catch(() => {});
            return;
          }
          entry.state = 'delayed';
          later(options.retryDelaysMs[entry.attempts - 1] ?? 0, () => {
            entry.state = 'ready';
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
      if (entries.has(job.id)) return;
      const entry: Entry = { job, state: 'ready', attempts: 0, controller: new AbortController() };
      entries.set(job.id, entry);
      line.push(entry);
      queueMicrotask(pump);
    },
    stateOf: async (id) => entries.get(id)?.state,
    remove: async (id) => {
      if (entries.get(id)?.state !== 'active') entries.delete(id);
    },
    work: (h) => {
      handlers = h;
      pump();
    },
    counts: async () => {
      const counts = { ready: 0, active: 0, delayed: 0 };
      for (const entry of entries.values()) counts[entry.state] += 1;
      return counts;
    },
    close: async (deadlineMs) => {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const running = [...entries.values()].filter((e) => e.state === 'active');
      const finished = Promise.allSettled(running.map((e) => e.running));
      const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), deadlineMs).unref());
      if ((await Promise.race([finished.then(() => 'done' as const), deadline])) === 'deadline') {
        for (const entry of running) entry.controller.abort(new Error('the app is stopping'));
        await Promise.race([finished, new Promise((r) => setTimeout(r, 2000).unref())]);
      }
    },
  };
}
