import type { FieldCondition, Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';
import type { SlackFile } from './slack-file.ts';
import type { MemoRef } from './tracking-id.ts';

/**
 * The job state machine: where one attempt at transcribing one shared file stands, and the only ways it moves.
 *
 * ```
 *            take (a worker has it)
 *            ┌────┐
 *            ▼    │        send               accept
 *   intake ─► queued ─────────────► sending ─────────► waiting ──timeOut──► timed_out
 *              ▲ │ ▲                 │  │                 │                    │
 *              │ │ └──retry/recover──┘  │                 │ segment            │ segment
 *              │ │                      │ fail            ▼                    │
 *              │ └──────fail──────► failed          receiving ◄──────────────┘
 *              │                                        │  ▲ segment
 *              │        (segment: also from queued,     │  └─┘
 *              │         sending: OMICall was quick)    ▼ complete
 *              └── recover (its worker died)         complete  (segment: stays complete)
 * ```
 *
 * Each change is one atomic `update` of the job's record, conditioned on the state (and, where a worker or a queue
 * entry must still be the one in charge, on `worker` or `run`), and it writes only the fields it owns. So two writers
 * never lose each other's fields (a quick provider's first segment and the relay's "accepted" may come in either
 * order), and no job moves backwards: an event whose condition fails changes nothing.
 */
export type JobState = 'queued' | 'sending' | 'waiting' | 'receiving' | 'complete' | 'failed' | 'timed_out';

/** The moves of the state machine: from which states each event applies, and the state it leads to. */
export const MOVES = {
  /** A queue entry reached a worker, which records that it has the job. */
  take: { from: ['queued'], to: 'queued' },
  /** The worker starts the download and upload. */
  send: { from: ['queued'], to: 'sending' },
  /** The attempt failed for now (an outage, a cut download, the app stopping): the queue tries again. */
  retry: { from: ['sending'], to: 'queued' },
  /** The worker died: another queue entry (a new `run`) takes over. */
  recover: { from: ['queued', 'sending'], to: 'queued' },
  /** The provider accepted the upload. */
  accept: { from: ['queued', 'sending'], to: 'waiting' },
  /** New text arrived. */
  segment: { from: ['queued', 'sending', 'waiting', 'timed_out', 'receiving'], to: 'receiving' },
  /** No text came in time after the provider accepted the file. */
  timeOut: { from: ['waiting'], to: 'timed_out' },
  /** The text reached the end of the audio and went quiet, or stayed quiet long enough. */
  complete: { from: ['receiving'], to: 'complete' },
  /** The file cannot be transcribed; the thread says why. */
  fail: { from: ['queued', 'sending'], to: 'failed' },
} as const satisfies Record<string, { from: readonly JobState[]; to: JobState }>;

export type JobMove = keyof typeof MOVES;

/**
 * How much longer an attempt's records may be kept: the workspace's retention counts from the attempt's start, so
 * that segments and replies written days later expire with the job, not a retention after their last write.
 */
export function keptFor(job: Pick<JobRecord, 'createdAt'>, retentionMs: number, now = Date.now()): number {
  return Math.max(1_000, job.createdAt + retentionMs - now);
}

/** States in which the memo may be asked for again from scratch (a new attempt, a new tracking ID). */
export const RESTARTABLE: readonly JobState[] = ['failed', 'timed_out'];
/** States in which the provider has the file: it is never uploaded again. */
export const WITH_PROVIDER: readonly JobState[] = ['waiting', 'receiving', 'complete', 'timed_out'];

/** Why a file could not be transcribed, in terms the i18n catalogues turn into words. */
export type Failure =
  /** sizeMb: unknown when the download was cut at the limit (Slack's reported size was wrong). */
  | { code: 'too_large'; sizeMb?: number; limitMb: number }
  /** minutes: the recording's length, at least `limitMinutes + 1` when only "longer than the limit" is known. */
  | { code: 'too_long'; minutes: number; limitMinutes: number }
  | { code: 'sign_in_page' }
  | { code: 'no_download_link' }
  | { code: 'download_failed'; status?: number }
  | { code: 'not_convertible' }
  /** ffmpeg cannot run here: an admin's problem, named as such. */
  | { code: 'converter_unavailable' }
  /** The file's link leads off Slack: never followed with the token. */
  | { code: 'off_slack' }
  | { code: 'provider_refused'; error: string }
  | { code: 'provider_unreachable'; attempts: number; error: string }
  | { code: 'restarted' }
  /** The workspace's monthly budget (its admins' setting) is used up, or this memo would pass it. */
  | { code: 'budget_used_up' }
  | { code: 'internal' };

/** One attempt at transcribing one shared file, shared by every instance through the store. */
export interface JobRecord extends MemoRef {
  trackingId: string;
  fileName: string;
  state: JobState;
  /** Set when state is 'failed'. */
  failure?: Failure;
  createdAt: number;
  /** Who shared the file, when known. */
  user?: string;
  /** When the provider accepted the upload. */
  acceptedAt?: number;
  /** When the latest new segment arrived. */
  lastSegmentAt?: number;
  /** Length of the audio, when known (Slack's duration_ms, the file's structure, or ffmpeg's output). */
  durationSeconds?: number;
  /** The process that has the job (taken or sending), to tell a live one from a dead one. */
  worker?: string;
  /** Which queue entry may relay it: 1 at first, one more each time recovery puts it back in line. */
  run: number;
  /** The file had no mimetype and a name that says nothing: its first bytes decide, and it shows nothing until then. */
  unsure: boolean;
  /** What the relay needs of the Slack file (src/slack/files.ts `slimFile`), to put it back in line. */
  file: SlackFile;
  /** A Slack Connect stub, to be described by `files.info` first. */
  lookUp: boolean;
  /** Whose provider account the upload went with (the workspace's own key, or the operator's default). */
  account?: AccountSource;
  /** The seconds this attempt counts against its workspace's monthly budget, once counted (never twice). */
  billed?: Billed;
}

/** Seconds of audio counted against a month's budget (`YYYY-MM`, UTC). */
export interface Billed {
  month: string;
  seconds: number;
}

/** Whose provider account an upload goes with: the workspace's own key, or the operator's default. */
export type AccountSource = 'own' | 'default';

/** An event, with what it writes. */
export type JobEvent =
  | { move: 'take'; run: number; worker: string }
  | { move: 'send'; run: number; worker: string; account: AccountSource }
  | { move: 'retry'; worker: string }
  | { move: 'recover'; deadWorker: string | undefined; run: number }
  | { move: 'accept'; at: number; durationSeconds?: number }
  | { move: 'segment'; at: number }
  | { move: 'timeOut' }
  | { move: 'complete' }
  | { move: 'fail'; failure: Failure };

/** The fields each event writes besides `state`, and its extra conditions. */
function effect(e: JobEvent): { fields: Partial<Record<keyof JobRecord, unknown>>; when?: FieldCondition } {
  switch (e.move) {
    case 'take':
      return { fields: { worker: e.worker }, when: { run: [e.run] } };
    case 'send':
      return { fields: { worker: e.worker, account: e.account }, when: { run: [e.run] } };
    case 'retry':
      return { fields: { worker: null }, when: { worker: [e.worker] } };
    case 'recover':
      return { fields: { worker: null, run: e.run }, when: { worker: [e.deadWorker ?? null] } };
    case 'accept':
      return {
        fields: {
          acceptedAt: e.at,
          ...(e.durationSeconds !== undefined ? { durationSeconds: e.durationSeconds } : {}),
        },
      };
    case 'segment':
      return { fields: { lastSegmentAt: e.at } };
    case 'timeOut':
    case 'complete':
      return { fields: {} };
    case 'fail':
      return { fields: { failure: e.failure, worker: null } };
  }
}

/** Reads and changes job records, only through the moves above. */
export class Jobs {
  readonly #store: Store;
  readonly #ttlMs: (workspace: string) => Promise<number>;

  /** `ttlMs`: how long a workspace keeps its transcripts' records. */
  constructor(store: Store, ttlMs: (workspace: string) => Promise<number>) {
    this.#store = store;
    this.#ttlMs = ttlMs;
  }

  async load(workspace: string, trackingId: string): Promise<JobRecord | undefined> {
    const fields = await this.#store.record<JobRecord>(workspaceKeys(workspace).job(trackingId));
    return fields?.state ? (fields as JobRecord) : undefined;
  }

  /** Records a new attempt; false when a record with its tracking ID exists already. */
  async create(job: JobRecord): Promise<boolean> {
    const ttlMs = await this.#ttlMs(job.workspace);
    return this.#store.update(
      workspaceKeys(job.workspace).job(job.trackingId),
      { ...job },
      {
        when: { state: [null] },
        ttlMs,
      },
    );
  }

  /** Applies an event; true when the job was in a state (and condition) the event applies to. */
  async apply(job: Pick<JobRecord, 'workspace' | 'trackingId'>, event: JobEvent): Promise<boolean> {
    const { from, to } = MOVES[event.move];
    const { fields, when } = effect(event);
    return this.#store.update(
      workspaceKeys(job.workspace).job(job.trackingId),
      { ...fields, state: to },
      { when: { ...when, state: from } },
    );
  }

  /**
   * Writes fields an event brings without moving the state, while the job is in one of `states`: the provider's
   * "accepted" reaching a job that is receiving already, a segment reaching a complete one.
   */
  async note(
    job: Pick<JobRecord, 'workspace' | 'trackingId'>,
    fields: Partial<
      Pick<JobRecord, 'acceptedAt' | 'durationSeconds' | 'lastSegmentAt' | 'unsure' | 'file' | 'fileName'>
    >,
    states: readonly JobState[],
  ): Promise<boolean> {
    return this.#store.update(workspaceKeys(job.workspace).job(job.trackingId), fields, { when: { state: states } });
  }

  /** Records (or with null, takes back) what the attempt counts against its workspace's budget. */
  async bill(job: Pick<JobRecord, 'workspace' | 'trackingId'>, billed: Billed | null): Promise<boolean> {
    return this.#store.update(
      workspaceKeys(job.workspace).job(job.trackingId),
      { billed },
      { when: { state: ['sending'] } },
    );
  }

  /** The tracking ID of the memo's current attempt. */
  async current(ref: MemoRef): Promise<string | undefined> {
    return this.#store.peek(workspaceKeys(ref.workspace).memo(ref));
  }

  /** The memo's current attempt, when this tracking ID is it. */
  async ifCurrent(workspace: string, trackingId: string): Promise<JobRecord | undefined> {
    const job = await this.load(workspace, trackingId);
    if (!job) return undefined;
    return (await this.current(job)) === trackingId ? job : undefined;
  }

  /** Claims a memo for a first attempt: true for the one caller that did, across every instance. */
  async claim(ref: MemoRef, trackingId: string): Promise<boolean> {
    return this.#store.claim(workspaceKeys(ref.workspace).memo(ref), trackingId, await this.#ttlMs(ref.workspace));
  }

  /** Replaces the memo's attempt `expected` by a new one; false when someone else did first. */
  async renew(ref: MemoRef, expected: string, trackingId: string): Promise<boolean> {
    return this.#store.swap(
      workspaceKeys(ref.workspace).memo(ref),
      expected,
      trackingId,
      await this.#ttlMs(ref.workspace),
    );
  }

  /** Forgets a memo (a file that turned out not to be audio): its claim and this attempt's record. */
  async forget(job: Pick<JobRecord, 'workspace' | 'trackingId' | 'channel' | 'ts' | 'fileId'>): Promise<void> {
    const keys = workspaceKeys(job.workspace);
    await this.#store.delete(keys.memo(job), keys.job(job.trackingId));
  }
}
