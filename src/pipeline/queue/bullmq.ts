import { type Job, Queue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '../../errors.ts';
import { type Logger, onceIn } from '../../log.ts';
import {
  type Attempt,
  type EntryState,
  MAX_STALLS,
  type QueueOptions,
  type RelayJob,
  type RelayQueue,
} from './index.ts';

export interface BullOptions extends QueueOptions {
  redisUrl: string;
  /** For rediss:// URLs: whether the server's certificate must be valid. */
  tlsVerify: boolean;
  /** Prefix of BullMQ's keys (the app's REDIS_PREFIX + "bull"). */
  prefix: string;
  log: Logger;
}

const RELAY = 'relay';
/** BullMQ's states of a job still to run or running, as the queue's interface names them. */
const STATES: Record<string, EntryState> = {
  waiting: 'ready',
  prioritized: 'ready',
  'waiting-children': 'ready',
  delayed: 'delayed',
  active: 'active',
};

/**
 * Relays as BullMQ jobs in Redis, shared by every instance. The job ID is the entry's id, so Slack's retries and
 * the same event on two instances add it once; attempts and back-off live in Redis, so a provider outage is retried
 * across restarts. A job whose process died is noticed by the app's own recovery within seconds (the heartbeats,
 * src/pipeline/recovery.ts), which adds a new entry; BullMQ's stalled check (`lockMs`) stays as the backstop.
 * Finished jobs are removed at once: the store's claim, not the queue, says whether a memo was taken.
 */
export function bullQueue(options: BullOptions): RelayQueue {
  // BullMQ runs on its own client, ioredis: with the node-redis client the store uses, BullMQ's worker loop retried
  // at once on "Socket closed unexpectedly" when Redis dropped the connection, until the process ran out of memory;
  // ioredis commands wait for the reconnection instead (`maxRetriesPerRequest: null`, as BullMQ asks).
  const client = ioredisConnection(options.redisUrl, options.tlsVerify, { maxRetriesPerRequest: null });
  const warn = onceIn(10_000, options.log);
  client.on('error', (err) => warn('queue connection error', { error: errorMessage(err) }));
  const connection = { connection: client, prefix: options.prefix };
  const relays = new Queue<RelayJob>(RELAY, connection);
  relays.on('error', (err) => warn('queue connection error', { error: errorMessage(err) }));
  const running = new Map<string, AbortController>();
  let worker: Worker<RelayJob> | undefined;

  return {
    kind: 'bullmq',
    add: async (job) => {
      await relays.add(RELAY, job, {
        jobId: job.id,
        attempts: options.retryDelaysMs.length + 1,
        backoff: { type: 'custom' },
        removeOnComplete: true,
        removeOnFail: true,
      });
    },
    stateOf: async (id) => {
      const job = await relays.getJob(id);
      return job ? STATES[await job.getState()] : undefined;
    },
    remove: async (id) => void (await relays.remove(id)),
    work: (handlers) => {
      worker = new Worker<RelayJob>(
        RELAY,
        async (job: Job<RelayJob>) => {
          const controller = new AbortController();
          running.set(job.data.id, controller);
          const attempt: Attempt = {
            number: job.attemptsMade + 1,
            last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
            signal: controller.signal,
          };
          try {
            await handlers.relay(job.data, attempt);
          } finally {
            running.delete(job.data.id);
          }
        },
        {
          ...connection,
          concurrency: options.concurrency,
          lockDuration: options.lockMs,
          stalledInterval: options.lockMs,
          maxStalledCount: MAX_STALLS,
          settings: {
            backoffStrategy: (attemptsMade: number) => options.retryDelaysMs[Math.max(0, attemptsMade - 1)] ?? 0,
          },
        },
      );
      worker.on('failed', (job, err) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1) || job.stalledCounter > MAX_STALLS;
        options.log.warn('relay attempt failed', {
          trackingId: job.data.trackingId,
          attempt: job.attemptsMade,
          final,
          error: errorMessage(err),
        });
        if (final) void handlers.abandoned(job.data).catch(() => {});
      });
      worker.on('error', (err) => warn('relay queue error', { error: errorMessage(err) }));
    },
    counts: async () => {
      const c = await relays.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      return { ready: (c.waiting ?? 0) + (c.prioritized ?? 0), active: c.active ?? 0, delayed: c.delayed ?? 0 };
    },
    close: async (deadlineMs) => {
      const closing = worker ? worker.close() : Promise.resolve();
      const deadline = new Promise<'deadline'>((r) => setTimeout(() => r('deadline'), deadlineMs).unref());
      if ((await Promise.race([closing.then(() => 'closed' as const), deadline])) === 'deadline') {
        // Aborted relays fail this attempt: BullMQ keeps them, with their back-off, for the next process.
        for (const controller of running.values()) controller.abort(new Error('the app is stopping'));
        await within(3000, closing);
      }
      await within(3000, relays.close());
      await within(
        2000,
        client.quit().catch(() => {}),
      );
      client.disconnect();
    },
  };
}

/** An ioredis connection to the app's Redis; for rediss:// URLs, checking the certificate as REDIS_TLS_VERIFY says. */
export function ioredisConnection(url: string, tlsVerify: boolean, options: RedisOptions): Redis {
  return new Redis(url, {
    ...options,
    ...(url.startsWith('rediss://') ? { tls: { rejectUnauthorized: tlsVerify } } : {}),
  });
}

/** Waits for work, but no longer than ms (a Redis that is gone must not hold the app's exit). */
function within(ms: number, work: Promise<unknown>): Promise<unknown> {
  return Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
