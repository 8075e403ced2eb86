import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { errorMessage } from '../../errors.ts';
import { type Logger, onceIn } from '../../log.ts';
import type { Attempt, Deadline, JobQueue, QueueOptions, QueueState, RelayJob } from './index.ts';
import { RETRY_DELAYS_MS } from './index.ts';

export interface BullOptions extends QueueOptions {
  redisUrl: string;
  /** For rediss:// URLs: whether the server's certificate must be valid. */
  tlsVerify: boolean;
  /** Prefix of BullMQ's keys (the app's REDIS_PREFIX + "bull"). */
  prefix: string;
  /**
   * How long a worker may go silent before its jobs count as stalled and any instance takes them over (BullMQ's
   * lockDuration; the stalled check runs as often).
   */
  lockMs: number;
  log: Logger;
}

const RELAY = 'relay';
const DEADLINES = 'deadlines';

/**
 * Relays as BullMQ jobs in Redis. The job ID is the tracking ID, so Slack's retries and the same event on two
 * instances add it once; attempts and back-off live in Redis, so a provider outage is retried across restarts;
 * a job whose worker died (SIGKILL, OOM, a lost host) is taken up again by any instance once its lock expires.
 * Deadlines (callback time-outs, completion checks) are delayed jobs of a second queue.
 */
export function bullQueue(options: BullOptions): JobQueue {
  const delays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  // BullMQ on its own client, ioredis. BullMQ 6 also adapts the node-redis client @keyv/redis brings, and the
  // app used it so; but when Redis dropped its connection (our outage test cuts it), the worker loop on node-redis
  // retried at once on "Socket closed unexpectedly": 3 million error events in 20 s, the event loop starved, the
  // process out of memory. On ioredis, BullMQ's own client, commands wait for the reconnection instead.
  const client = new Redis(options.redisUrl, {
    maxRetriesPerRequest: null,
    ...(options.redisUrl.startsWith('rediss://') ? { tls: { rejectUnauthorized: options.tlsVerify } } : {}),
  });
  // Errors of a connection that is away repeat; once in 10 s is enough to tell.
  const warn = onceIn(10_000, options.log);
  client.on('error', (err) => warn('queue connection error', { error: errorMessage(err) }));
  const connection = { connection: client, prefix: options.prefix };
  const relays = new Queue<RelayJob>(RELAY, connection);
  const deadlines = new Queue<Deadline>(DEADLINES, connection);
  const workers: Worker[] = [];
  for (const queue of [relays, deadlines]) {
    queue.on('error', (err) => warn('queue connection error', { error: errorMessage(err) }));
  }
  const running = new Map<string, AbortController>();
  const lockKey = (trackingId: string) => `${relays.toKey(trackingId)}:lock`;
  const addRelay = (job: RelayJob) =>
    relays.add(RELAY, job, {
      jobId: job.trackingId,
      attempts: delays.length + 1,
      backoff: { type: 'custom' },
      // Kept a while so that a late duplicate of the same ID is still recognised; the store keeps the record.
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });

  return {
    kind: 'bullmq',
    add: async (job) => {
      if (await relays.getJob(job.trackingId)) return false;
      // Another instance may add it between the look and the add: BullMQ then keeps the first, once.
      await addRelay(job);
      return true;
    },
    work: (handlers) => {
      const relayWorker = new Worker<RelayJob>(
        RELAY,
        async (job: Job<RelayJob>) => {
          const controller = new AbortController();
          running.set(job.data.trackingId, controller);
          const attempt: Attempt = {
            number: job.attemptsMade + 1,
            last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
            signal: controller.signal,
          };
          try {
            await handlers.relay(job.data, attempt);
          } finally {
            running.delete(job.data.trackingId);
          }
        },
        {
          ...connection,
          concurrency: options.concurrency,
          lockDuration: options.lockMs,
          stalledInterval: options.lockMs,
          // A job whose worker keeps dying is retried a few times, then given up with a word in its thread.
          maxStalledCount: 3,
          settings: { backoffStrategy: (attemptsMade: number) => delays[Math.max(0, attemptsMade - 1)] ?? 0 },
        },
      );
      relayWorker.on('failed', (job, err) => {
        if (!job) return;
        const final = job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than/i.test(errorMessage(err));
        options.log.warn('relay attempt failed', {
          trackingId: job.data.trackingId,
          attempt: job.attemptsMade,
          final,
          error: errorMessage(err),
        });
        if (final) void handlers.abandoned(job.data).catch(() => {});
      });
      relayWorker.on('error', (err) => warn('relay queue error', { error: errorMessage(err) }));
      const deadlineWorker = new Worker<Deadline>(DEADLINES, async (job) => handlers.deadline(job.data), {
        ...connection,
        concurrency: 4,
        lockDuration: options.lockMs,
        stalledInterval: options.lockMs,
      });
      deadlineWorker.on('error', (err) => warn('deadline queue error', { error: errorMessage(err) }));
      workers.push(relayWorker, deadlineWorker);
    },
    schedule: async (deadline, delayMs) => {
      await deadlines.add(deadline.kind, deadline, {
        delay: Math.max(0, Math.round(delayMs)),
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
      });
    },
    inspect: async (trackingId) => {
      const job = await relays.getJob(trackingId);
      if (!job) return undefined;
      const state = await job.getState();
      if (state === 'active') {
        const locked = (await client.exists(lockKey(trackingId))) === 1;
        return { state: 'active', orphaned: !locked };
      }
      const known: QueueState['state'][] = ['waiting', 'delayed', 'completed', 'failed'];
      const named = known.find((s) => s === state);
      return named ? ({ state: named } as QueueState) : { state: 'waiting' };
    },
    requeue: async (job, requeueOptions = {}) => {
      const current = await relays.getJob(job.trackingId);
      if (current && requeueOptions.workerDead) {
        // The worker's heartbeat stopped (SIGKILL, OOM): its lock would hold the job for up to lockMs more,
        // and BullMQ refuses to remove a locked job. The lock of a dead worker protects nothing: drop it.
        await client.del(lockKey(job.trackingId));
      }
      if (current) {
        try {
          // Refused by BullMQ while a live worker holds the job's lock.
          await current.remove();
        } catch {
          return false;
        }
      }
      await addRelay(job);
      return true;
    },
    counts: async () => relays.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed'),
    close: async (deadlineMs) => {
      const closing = Promise.allSettled(workers.map((w) => w.close()));
      const deadline = new Promise<'deadline'>((resolve) => setTimeout(() => resolve('deadline'), deadlineMs).unref());
      if ((await Promise.race([closing.then(() => 'closed' as const), deadline])) === 'deadline') {
        // Aborted relays fail this attempt: BullMQ keeps them, with their back-off, for the next worker.
        for (const controller of running.values()) controller.abort(new Error('the app is stopping'));
        await within(3000, closing);
      }
      await within(3000, Promise.allSettled([relays.close(), deadlines.close()]));
      await within(
        2000,
        client.quit().catch(() => {}),
      );
      client.disconnect();
      return [];
    },
  };
}

/** Waits for work, but no longer than ms (a Redis that is gone must not hold the app's exit). */
function within(ms: number, work: Promise<unknown>): Promise<unknown> {
  return Promise.race([work, new Promise((resolve) => setTimeout(resolve, ms).unref())]);
}
