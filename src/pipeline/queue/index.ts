import type { MemoRef } from '../../records/tracking-id.ts';
import type { SlackFile } from '../../slack/files.ts';

/**
 * The jobs of the pipeline, behind one small interface with two implementations side by side: `bullmq.ts`
 * (Redis: durable, shared by every instance, survives any crash) and `memory.ts` (in process: lost when the
 * process dies; for one instance without Redis).
 */
export interface JobQueue {
  /** Which implementation. */
  readonly kind: 'bullmq' | 'memory';
  /** Adds a relay under its tracking ID. False when a job with that ID is there already (waiting, running, done). */
  add(job: RelayJob): Promise<boolean>;
  /** Starts taking jobs: relays `concurrency` at a time, and deadlines as they fall due. */
  work(handlers: Handlers): void;
  /** A deadline that falls due after delayMs, on whichever instance is working then. */
  schedule(deadline: Deadline, delayMs: number): Promise<void>;
  /** Where a relay stands in the queue, or undefined when the queue does not know it. */
  inspect(trackingId: string): Promise<QueueState | undefined>;
  /**
   * Puts a relay whose worker is gone (or that the queue lost) back in line, with the same data. False when
   * it is in the hands of a live worker after all. `workerDead`: the caller knows its worker died (its
   * heartbeat stopped), so the queue need not wait for the job's lock to expire.
   */
  requeue(job: RelayJob, options?: { workerDead?: boolean }): Promise<boolean>;
  /** Jobs per queue state, for /metrics. */
  counts(): Promise<Record<string, number>>;
  /**
   * Stops taking jobs and lets running ones finish until the deadline; then aborts them (their signal fires).
   * Resolves with the relays that will not run anywhere now (the memory queue's waiting ones); a durable
   * queue keeps them for the next worker and resolves with none.
   */
  close(deadlineMs: number): Promise<RelayJob[]>;
}

/** One shared file to take from Slack to the provider. Kept in the queue (Redis), so only what is needed. */
export interface RelayJob {
  trackingId: string;
  ref: MemoRef;
  file: SlackFile;
  /** The file had no mimetype and a name that says nothing: its first bytes decide whether it is audio. */
  unsure: boolean;
}

export type Deadline =
  /** No result from the provider yet? Then say so in the thread. */
  | { kind: 'callback-timeout'; trackingId: string }
  /** The segments reached the end of the audio: is the transcript complete once quiet? */
  | { kind: 'completion-check'; trackingId: string };

export interface Attempt {
  /** 1 for the first try. */
  number: number;
  /** No further attempt follows: the handler must record the outcome, not throw. */
  last: boolean;
  /** Fires when the app stops and cannot wait for this relay any longer. */
  signal: AbortSignal;
}

export interface Handlers {
  /**
   * Runs one relay. Throwing `RetryLater` (when `attempt.last` is false) tries again after the back-off;
   * anything else it throws counts the same way.
   */
  relay(job: RelayJob, attempt: Attempt): Promise<void>;
  deadline(deadline: Deadline): Promise<void>;
  /** A relay the queue gave up on without the handler's word (its workers kept dying). */
  abandoned(job: RelayJob): Promise<void>;
}

export type QueueState =
  | { state: 'waiting' | 'delayed' | 'completed' | 'failed' }
  /** `orphaned`: running, but its worker is gone (its lock expired). */
  | { state: 'active'; orphaned: boolean };

/** Waits between attempts of a relay (a failing provider, a cut download): one attempt more than entries. */
export const RETRY_DELAYS_MS: readonly number[] = [2_000, 8_000, 20_000];

export interface QueueOptions {
  concurrency: number;
  retryDelaysMs?: readonly number[];
}
