import { errorMessage } from '../errors.ts';
import { currentAttempt, type Failure, type JobRecord, keys, loadJob, loadSegments, saveJob } from '../records/jobs.ts';
import { memoKey } from '../records/tracking-id.ts';
import type { PipelineContext } from './context.ts';
import type { Deadline } from './queue/index.ts';

/**
 * A job's life after its relay: the callback time-out, and completion. Every state change of a job goes
 * through `setState`, which saves it, counts it, and shows it in the thread.
 */
export class Lifecycle {
  readonly #c: PipelineContext;

  constructor(context: PipelineContext) {
    this.#c = context;
  }

  /**
   * Saves a change of the job, counts the state it enters, and refreshes its thread reply (unless `show` is
   * false: a file that may not be audio shows nothing until its bytes say it is).
   */
  async setState(
    job: JobRecord,
    change: Partial<JobRecord> | ((latest: JobRecord) => Partial<JobRecord>),
    options: { show?: boolean } = {},
  ): Promise<void> {
    // The record as stored now, not the caller's copy: a relay's copy is minutes old, and a callback on another
    // instance may have changed the record meanwhile (its first segment, its time).
    const latest = (await loadJob(this.#c.store, job.trackingId)) ?? job;
    const patch = typeof change === 'function' ? change(latest) : change;
    const entering = patch.state !== undefined && patch.state !== latest.state ? patch.state : undefined;
    Object.assign(latest, patch);
    await saveJob(this.#c.store, latest);
    Object.assign(job, latest);
    if (entering) this.#c.metrics.jobs.inc({ state: entering });
    if (options.show !== false) this.#c.replies.refresh(job);
  }

  /** The job failed in a way the thread explains; the memo may be asked for again. */
  async fail(job: JobRecord, failure: Failure): Promise<void> {
    try {
      await this.setState(job, { state: 'failed', failure });
      this.#c.log.info('failed', { trackingId: job.trackingId, reason: failure.code });
    } catch (err) {
      this.#c.log.error('could not record a failure', { trackingId: job.trackingId, error: errorMessage(err) });
    }
  }

  /** After the provider accepted an upload: the time-out for its first result. */
  async accepted(job: JobRecord, durationSeconds: number | undefined): Promise<void> {
    // A quick provider may have called back before its answer to the upload reached us: keep what it brought.
    const early = (j: JobRecord) => j.state === 'receiving' || j.state === 'complete';
    await this.setState(job, (latest) => ({
      ...(early(latest) ? {} : { state: 'waiting' as const }),
      acceptedAt: Date.now(),
      durationSeconds,
    }));
    if (early(job)) await this.segmentsArrived(job);
    const { callbackTimeoutMs } = this.#c.settings;
    await this.#c.queue.schedule(
      { kind: 'callback-timeout', trackingId: job.trackingId },
      callbackTimeoutMs + 2 * (durationSeconds ?? 0) * 1000,
    );
  }

  /** After new segments arrived: once they reach the end of the audio, check for quiet. */
  async segmentsArrived(job: JobRecord): Promise<void> {
    if (job.durationSeconds === undefined) return;
    const segments = await loadSegments(this.#c.store, job.trackingId);
    if (reachesEnd(segments, job.durationSeconds)) {
      await this.#c.queue.schedule({ kind: 'completion-check', trackingId: job.trackingId }, this.#c.settings.quietMs);
    }
  }

  /** A deadline fell due (on whichever instance works the queue). */
  async deadline(deadline: Deadline): Promise<void> {
    const job = await loadJob(this.#c.store, deadline.trackingId);
    if (!job || (await currentAttempt(this.#c.store, memoKey(job))) !== job.trackingId) return;
    if (deadline.kind === 'callback-timeout') {
      if (job.state !== 'waiting') return;
      this.#c.log.warn('no result in time', { trackingId: job.trackingId });
      await this.setState(job, { state: 'timed_out' });
      return;
    }
    if (job.state !== 'receiving' || job.durationSeconds === undefined) return;
    const quietFor = Date.now() - (job.lastSegmentAt ?? 0);
    if (quietFor < this.#c.settings.quietMs) {
      // A segment came since this check was scheduled (or the timer fired a hair early): look again later.
      await this.#c.queue.schedule(deadline, this.#c.settings.quietMs - quietFor + 50);
      return;
    }
    const segments = await loadSegments(this.#c.store, job.trackingId);
    if (!reachesEnd(segments, job.durationSeconds)) return;
    this.#c.log.info('complete', { trackingId: job.trackingId, segments: segments.length });
    await this.setState(job, { state: 'complete' });
  }

  /** Forgets a file that turned out not to be audio, as if it had never been claimed. */
  async forget(job: JobRecord): Promise<void> {
    await this.#c.store.delete(keys.memo(memoKey(job)));
    await this.#c.store.delete(keys.job(job.trackingId));
  }
}

/** Whether the last segment ends within 2 s of the end of the audio. */
function reachesEnd(segments: { to: number }[], durationSeconds: number): boolean {
  const end = Math.max(0, ...segments.map((s) => s.to));
  return segments.length > 0 && end >= durationSeconds - 2;
}
