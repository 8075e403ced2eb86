import { errorMessage } from '../errors.ts';
import { type Logger, onceIn } from '../log.ts';
import type { JobRecord, Jobs } from '../records/job.ts';
import type { Segments } from '../records/segments.ts';
import type { Store } from '../store/index.ts';
import { jobKeyParts, processKeys, workspaceKeys } from '../store/keys.ts';
import { type CompletionRules, check } from './completion.ts';
import type { JobMoves } from './moves.ts';
import { Periodic } from './periodic.ts';

/** How long a taken deadline stays with its taker before another instance may take it. */
const LEASE_MS = 60_000;
/** Deadlines taken at once. */
const BATCH = 50;

/**
 * Each job's next check (its time-out, its completion), kept in the store's `deadlines` schedule: whichever
 * instance looks first takes a due check, and a check whose taker died comes back after its lease. A new segment
 * moves the check earlier; the check itself decides from the job's record what is due and when to look again
 * (src/pipeline/completion.ts), so a check that comes early or twice does no harm.
 */
export class Deadlines {
  readonly #store: Store;
  readonly #jobs: Jobs;
  readonly #segments: Segments;
  readonly #moves: JobMoves;
  readonly #rules: CompletionRules;
  readonly #log: Logger;
  readonly #periodic = new Periodic(() => this.#tick());
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(o: {
    store: Store;
    jobs: Jobs;
    segments: Segments;
    moves: JobMoves;
    rules: CompletionRules;
    log: Logger;
  }) {
    this.#store = o.store;
    this.#jobs = o.jobs;
    this.#segments = o.segments;
    this.#moves = o.moves;
    this.#rules = o.rules;
    this.#log = o.log;
    this.#warn = onceIn(10_000, o.log);
  }

  get rules(): CompletionRules {
    return this.#rules;
  }

  /** Makes the job's check due at `at`, or earlier if it already is. */
  async due(job: Pick<JobRecord, 'workspace' | 'trackingId'>, at: number): Promise<void> {
    await this.#store.schedule(processKeys.deadlines(), this.#member(job), at, { earlier: true });
  }

  /** Drops a job's check (its memo was deleted). */
  async cancel(job: Pick<JobRecord, 'workspace' | 'trackingId'>): Promise<void> {
    await this.#store.unschedule(processKeys.deadlines(), this.#member(job));
  }

  /** Looks for due checks every `everyMs`. */
  start(everyMs: number): void {
    this.#periodic.start(everyMs, { now: false });
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  async #tick(): Promise<void> {
    try {
      const due = await this.#store.takeDue(processKeys.deadlines(), Date.now(), BATCH, LEASE_MS);
      for (const { member, lease } of due) await this.#check(member, lease);
    } catch (err) {
      this.#warn('deadlines: could not look', { error: errorMessage(err) });
    }
  }

  async #check(member: string, lease: number): Promise<void> {
    const key = processKeys.deadlines();
    const parts = jobKeyParts(member);
    const job = parts ? await this.#jobs.ifCurrent(parts.workspace, parts.trackingId) : undefined;
    if (!job) return this.#store.unschedule(key, member, lease);
    const segments = job.state === 'receiving' ? await this.#segments.load(job.workspace, job.trackingId) : [];
    const verdict = check(job, segments, Date.now(), this.#rules);
    switch (verdict.kind) {
      case 'time-out':
        this.#log.warn('no result in time', { trackingId: job.trackingId });
        await this.#moves.apply(job, { move: 'timeOut' });
        return this.#store.unschedule(key, member, lease);
      case 'complete':
        if (await this.#moves.apply(job, { move: 'complete' }))
          this.#log.info('complete', { trackingId: job.trackingId, segments: segments.length });
        return this.#store.unschedule(key, member, lease);
      case 'later':
        // Only earlier than the lease: a segment that moved the check earlier meanwhile keeps its time, and a check
        // due after the lease is looked at once more when the lease runs out.
        return this.#store.schedule(key, member, verdict.at, { earlier: true });
      case 'done':
        return this.#store.unschedule(key, member, lease);
    }
  }

  #member(job: Pick<JobRecord, 'workspace' | 'trackingId'>): string {
    return workspaceKeys(job.workspace).job(job.trackingId);
  }
}
