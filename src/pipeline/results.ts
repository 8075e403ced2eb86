import { errorMessage } from '../errors.ts';
import type { Delivery } from '../providers/index.ts';
import { addSegment, currentAttempt, JOB_TTL_MS, type JobRecord, keys, loadJob, saveJob } from '../records/jobs.ts';
import { segmentKey } from '../records/segments.ts';
import { memoKey, type TrackingInfo, verifyTrackingId } from '../records/tracking-id.ts';
import { displayName, type SlackFile } from '../slack/files.ts';
import type { PipelineContext } from './context.ts';
import type { Lifecycle } from './lifecycle.ts';

/** The webhook's answer: an HTTP status and a small JSON body that says nothing about the app's state. */
export interface CallbackAnswer {
  status: number;
  body: Record<string, unknown>;
}

type Verdict = { ok: true; job: JobRecord } | { ok: false; why: 'unknown' | 'expired' | 'closed' };

/**
 * Where a result lands: the provider's callbacks, already past the URL's secret. Segments are accepted only
 * for a tracking ID this app signed, issued within the callback window, for the memo's current attempt, and
 * while that attempt can still receive a transcript (not failed). Each body and each job is capped. Segments
 * are stored before the answer, so a 2xx never loses one; the thread reply follows a moment later.
 */
export class Results {
  readonly #c: PipelineContext;
  readonly #lifecycle: Lifecycle;

  constructor(context: PipelineContext, lifecycle: Lifecycle) {
    this.#c = context;
    this.#lifecycle = lifecycle;
  }

  async receive(body: string): Promise<CallbackAnswer> {
    const { provider, settings, metrics, log } = this.#c;
    const arrivedAt = Date.now();
    const parsed = provider.parseCallback(body);
    if (!parsed.ok) {
      metrics.callbacks.inc({ outcome: 'malformed' });
      log.warn('webhook refused: malformed body', { reason: parsed.reason });
      return { status: 400, body: { ok: false, error: parsed.reason } };
    }
    if (parsed.deliveries.length === 0) {
      metrics.callbacks.inc({ outcome: 'ignored' });
      return { status: 200, body: { ok: true, accepted: 0, ignored: parsed.ignored } };
    }
    if (parsed.deliveries.length > settings.limits.segmentsPerBody) {
      metrics.callbacks.inc({ outcome: 'too_many_segments' });
      log.warn('webhook refused: too many segments in one body', { count: parsed.deliveries.length });
      return { status: 413, body: { ok: false, error: 'too many segments' } };
    }
    const groups = new Map<string, Delivery[]>();
    for (const d of parsed.deliveries) groups.set(d.trackingId, [...(groups.get(d.trackingId) ?? []), d]);

    let accepted = 0;
    let repeated = 0;
    let capped = 0;
    const refused = { unknown: 0, expired: 0, closed: 0 };
    try {
      for (const [trackingId, deliveries] of groups) {
        const verdict = await this.#verdict(trackingId);
        if (!verdict.ok) {
          refused[verdict.why] += deliveries.length;
          continue;
        }
        const counts = await this.#store(verdict.job, deliveries, arrivedAt);
        accepted += counts.accepted;
        repeated += counts.repeated;
        capped += counts.capped;
      }
    } catch (err) {
      metrics.callbacks.inc({ outcome: 'store_unavailable' });
      log.error('webhook: store unavailable', { error: errorMessage(err) });
      return { status: 503, body: { ok: false, error: 'try again' } };
    }
    const refusedCount = refused.unknown + refused.expired + refused.closed;
    if (refusedCount > 0) log.warn('webhook: segments refused', refused);
    // Stryker disable next-line EqualityOperator: equivalent; each delivery counts once as accepted, repeated, capped or refused, so with the first three at 0 refusedCount is the body's (non-zero) number of deliveries
    if (accepted + repeated + capped === 0 && refusedCount > 0) {
      const outcome = refused.unknown > 0 ? 'unknown' : refused.expired > 0 ? 'expired' : 'closed';
      metrics.callbacks.inc({ outcome: `refused_${outcome}` });
      return outcome === 'closed'
        ? { status: 409, body: { ok: false, error: 'not accepting results for this tracking_id' } }
        : { status: 403, body: { ok: false, error: 'unknown tracking_id' } };
    }
    metrics.callbacks.inc({ outcome: accepted > 0 ? 'accepted' : capped > 0 ? 'capped' : 'repeated' });
    return {
      status: 200,
      body: { ok: true, accepted, repeated, capped, refused: refusedCount, ignored: parsed.ignored },
    };
  }

  async #verdict(trackingId: string): Promise<Verdict> {
    const { store, settings } = this.#c;
    const info = verifyTrackingId(trackingId, settings.trackingKey);
    if (!info) return { ok: false, why: 'unknown' };
    if (info.issuedAt * 1000 + settings.callbackWindowMs < Date.now()) return { ok: false, why: 'expired' };
    const job = (await loadJob(store, trackingId)) ?? (await this.#adopt(trackingId, info));
    if (!job || (await currentAttempt(store, memoKey(job))) !== trackingId) return { ok: false, why: 'closed' };
    if (job.state === 'failed') return { ok: false, why: 'closed' };
    return { ok: true, job };
  }

  /**
   * With the in-memory store, a restart forgets every job: a result for a signed, recent tracking ID is then
   * taken on its signature and window alone, so the transcript still reaches its thread. With Redis nothing is
   * forgotten, and a tracking ID without a record is refused.
   */
  async #adopt(trackingId: string, info: TrackingInfo): Promise<JobRecord | undefined> {
    const { store } = this.#c;
    if (store.kind !== 'memory') return undefined;
    if (!(await store.claim(keys.memo(memoKey(info.ref)), trackingId, JOB_TTL_MS))) return undefined;
    const job: JobRecord = {
      ...info.ref,
      trackingId,
      fileName: await this.#fileName(info.ref.fileId),
      state: 'waiting',
      // Stryker disable next-line ArithmeticOperator: equivalent today; an adopted job is neither listed for /transcribe status nor given a callback time-out, the only readers of createdAt
      createdAt: info.issuedAt * 1000,
    };
    await saveJob(store, job);
    return job;
  }

  /** Stores new segments within the job's caps; the reply and the completion check follow. */
  async #store(job: JobRecord, deliveries: Delivery[], arrivedAt: number) {
    const { store, settings, log } = this.#c;
    const { limits } = settings;
    let accepted = 0;
    let repeated = 0;
    let capped = 0;
    const characters = keys.characters(job.trackingId);
    for (const { segment } of deliveries) {
      if (segment.text.length > limits.charactersPerSegment) {
        capped += 1;
        continue;
      }
      const { added, size } = await addSegment(store, job.trackingId, segment);
      if (!added) {
        repeated += 1;
        log.info('segment repeated', { trackingId: job.trackingId, from: segment.from, to: segment.to });
        continue;
      }
      // Counted once stored, so a repeated segment costs one round trip; one over a cap is taken back out.
      const total = await store.increment(characters, segment.text.length, JOB_TTL_MS);
      if (size > limits.segmentsPerJob || total > limits.charactersPerJob) {
        await store.mapRemove(keys.segments(job.trackingId), segmentKey(segment));
        await store.increment(characters, -segment.text.length, JOB_TTL_MS);
        capped += 1;
        continue;
      }
      accepted += 1;
      log.info('segment', {
        trackingId: job.trackingId,
        from: segment.from,
        to: segment.to,
        chars: segment.text.length,
      });
    }
    if (capped > 0) log.warn('webhook: segments over the caps dropped', { trackingId: job.trackingId, capped });
    if (accepted > 0) {
      const state = job.state === 'complete' ? 'complete' : 'receiving';
      // Stryker disable next-line BooleanLiteral: equivalent; replies.refresh on the next line refreshes the same reply, and the two coalesce into one write
      await this.#lifecycle.setState(job, { state, lastSegmentAt: Date.now() }, { show: false });
      this.#c.replies.refresh(job, arrivedAt);
      await this.#lifecycle.segmentsArrived(job);
    }
    return { accepted, repeated, capped };
  }

  async #fileName(fileId: string): Promise<string> {
    try {
      const info = await this.#c.slack.files.info({ file: fileId });
      return displayName((info.file ?? { id: fileId }) as SlackFile);
    } catch {
      return displayName({ id: fileId });
    }
  }
}
