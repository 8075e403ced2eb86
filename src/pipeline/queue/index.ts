import type { MemoRef } from '../../records/tracking-id.ts';
import type { SlackFile } from '../../slack/files.ts';

/**
 * The relays waiting to run, behind one interface with three implementations side by side: `bullmq.ts` (Redis:
 * shared by every instance), `sqlite.ts` (the embedded default: one instance, in the app's SQLite file) and
 * `memory.ts` (unit tests only). Every implementation runs the same contract suite (test/queue-contract.test.ts).
 *
 * A queue entry is only a request to run a relay: whether it may still run is the job record's to say (its
 * state and `run`, src/records/job.ts), so an entry run twice, or run after its job moved on, does nothing.
 */
export interface RelayQueue {
  readonly kind: 'bullmq' | 'sqlite' | 'memory';
  /** Adds an entry; an entry with the same id that is still there is kept once (Slack's retries, two instances). */
  add(job: RelayJob): Promise<void>;
  /** Where an entry stands: ready to run, waiting for its next attempt (`delayed`), running, or not in the queue. */
  stateOf(id: string): Promise<EntryState | undefined>;
  /** Removes an entry that has not started (a deleted memo, an uninstalled workspace); a running one finishes. */
  remove(id: string): Promise<void>;
  /** Starts running entries, `concurrency` at a time. */
  work(handlers: RelayHandlers): void;
  /** Entries per queue state, for /metrics. */
  counts(): Promise<QueueCounts>;
  /**
   * Stops taking entries and lets running ones finish until the deadline; then aborts them (their signal fires).
   * The durable queues keep unfinished entries for the next process.
   */
  close(deadlineMs: number): Promise<void>;
}

/**
 * An entry's state. `ready` is what BullMQ calls `waiting`: that word is the job record's state (a memo the provider
 * has accepted, src/records/job.ts), and one word never means both.
 */
export type EntryState = 'ready' | 'delayed' | 'active';

export interface QueueCounts {
  ready: number;
  active: number;
  /** Waiting for their next attempt. */
  delayed: number;
}

/** One shared file to take from Slack to the provider. Kept in the queue, so only what is needed. */
export interface RelayJob {
  /** The entry's id: the tracking ID, and `~{run}` for the entries recovery adds. */
  id: string;
  trackingId: string;
  /** The job's `run` this entry is for. */
  run: number;
  ref: MemoRef;
  file: SlackFile;
  /** The file had no mimetype and a name that says nothing: its first bytes decide whether it is audio. */
  unsure: boolean;
  /** A Slack Connect stub: `files.info` describes the file first. */
  lookUp: boolean;
}

/** The id of the queue entry for a job's run. */
export function entryId(trackingId: string, run: number): string {
  return run === 1 ? trackingId : `${trackingId}~${run}`;
}

export interface Attempt {
  /** 1 for the first try. */
  number: number;
  /** No further attempt follows: the handler must record the outcome, not throw. */
  last: boolean;
  /** Fires when the app stops and cannot wait for this relay any longer. */
  signal: AbortSignal;
}

export interface RelayHandlers {
  /** Runs one relay. Throwing (when `attempt.last` is false) tries again after the back-off. */
  relay(job: RelayJob, attempt: Attempt): Promise<void>;
  /** An entry the queue gave up on without the handler's word (the processes running it kept dying). */
  abandoned(job: RelayJob): Promise<void>;
}

export interface QueueOptions {
  concurrency: number;
  /** Waits between attempts: one attempt more than entries. */
  retryDelaysMs: readonly number[];
  /** How long an entry's process may go silent before the queue runs the entry elsewhere (its backstop). */
  lockMs: number;
}

/** Entries whose processes died this many times are given up (`abandoned`). */
export const MAX_STALLS = 3;
