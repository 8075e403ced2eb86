import { errorMessage } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Delivery, SpeechProvider } from '../providers/index.ts';
import { type JobRecord, type Jobs, keptFor } from '../records/job.ts';
import { type Segment, type Segments, segmentCharacters } from '../records/segments.ts';
import { verifyTrackingId } from '../records/tracking-id.ts';
import type { Workspaces } from '../workspaces/index.ts';
import { quietAt, reachesEnd } from './completion.ts';
import type { Deadlines } from './deadlines.ts';
import type { JobMoves } from './moves.ts';
import type { ReplyWriter } from './thread.ts';

/** The webhook's answer: an HTTP status and a small JSON body that says nothing about the app's state. */
export interface CallbackAnswer {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Which jobs a webhook URL may write: a workspace's own URL only that workspace's jobs; the shared URL (the
 * operator's default key, and single-workspace mode) any workspace's jobs uploaded with the default key.
 */
export type CallbackScope = { workspace: string } | { shared: true };

/**
 * `gone`: the memo has no record any more (deleted with its memo in Slack, or past its retention), and no newer
 * attempt holds it: its results are dropped with a 200, so that the provider does not send them again.
 */
type Verdict = { ok: true; job: JobRecord } | { ok: false; why: 'unknown' | 'expired' | 'closed' | 'gone' };

/** Caps on what one callback body, and all callbacks of one job, may bring (every limit: src/limits.ts). */
export interface CallbackLimits {
  segmentsPerBody: number;
  segmentsPerJob: number;
  charactersPerJob: number;
  charactersPerSegment: number;
  wordsPerSegment: number;
}

export interface ResultsOptions {
  jobs: Jobs;
  moves: JobMoves;
  segments: Segments;
  deadlines: Deadlines;
  replies: ReplyWriter;
  workspaces: Workspaces;
  provider: SpeechProvider;
  metrics: Metrics;
  log: Logger;
  trackingKey: string;
  limits?: CallbackLimits;
}

/**
 * Where a result lands: the provider's callbacks, already past the URL's secret. Segments are accepted only for a
 * tracking ID this app signed, issued within the callback window, of a workspace the URL may write, for the memo's
 * current attempt, while that attempt can still receive a transcript (not failed). Each body and each job is capped,
 * counting a segment's text and its timed words. Segments are stored before the answer, so a 2xx never loses one;
 * the thread reply follows a moment later.
 */
export class Results {
  readonly #o: ResultsOptions;
  readonly #limits: CallbackLimits;

  constructor(options: ResultsOptions) {
    this.#o = options;
    this.#limits = options.limits ?? LIMITS;
  }

  async receive(body: string, scope: CallbackScope): Promise<CallbackAnswer> {
    const { provider, metrics, log } = this.#o;
    const arrivedAt = Date.now();
    if (provider.results.kind !== 'callback') return { status: 404, body: { ok: false, error: 'not found' } };
    const parsed = provider.results.parse(body);
    if (!parsed.ok) {
      metrics.callbacks.inc({ outcome: 'malformed' });
      log.warn('webhook refused: malformed body', { reason: parsed.reason });
      return { status: 400, body: { ok: false, error: parsed.reason } };
    }
    if (parsed.deliveries.length === 0) {
      metrics.callbacks.inc({ outcome: 'ignored' });
      return { status: 200, body: { ok: true, accepted: 0, ignored: parsed.ignored } };
    }
    if (parsed.deliveries.length > this.#limits.segmentsPerBody) {
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
    let dropped = 0;
    try {
      for (const [trackingId, deliveries] of groups) {
        const verdict = await this.#verdict(trackingId, scope);
        if (!verdict.ok) {
          if (verdict.why === 'gone') dropped += deliveries.length;
          else refused[verdict.why] += deliveries.length;
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
    if (dropped > 0) log.info('webhook: segments of a memo that is gone dropped', { dropped });
    if (accepted + repeated + capped === 0 && refusedCount === 0) {
      metrics.callbacks.inc({ outcome: 'dropped_gone' });
      return { status: 200, body: { ok: true, accepted: 0, dropped, ignored: parsed.ignored } };
    }
    if (accepted + repeated + capped === 0) {
      const outcome = refused.unknown > 0 ? 'unknown' : refused.expired > 0 ? 'expired' : 'closed';
      metrics.callbacks.inc({ outcome: `refused_${outcome}` });
      return outcome === 'closed'
        ? { status: 409, body: { ok: false, error: 'not accepting results for this tracking_id' } }
        : { status: 403, body: { ok: false, error: 'unknown tracking_id' } };
    }
    metrics.callbacks.inc({ outcome: accepted > 0 ? 'accepted' : capped > 0 ? 'capped' : 'repeated' });
    return {
      status: 200,
      body: {
        ok: true,
        accepted,
        repeated,
        capped,
        refused: refusedCount,
        ...(dropped > 0 ? { dropped } : {}),
        ignored: parsed.ignored,
      },
    };
  }

  async #verdict(trackingId: string, scope: CallbackScope): Promise<Verdict> {
    const info = verifyTrackingId(trackingId, this.#o.trackingKey);
    if (!info) return { ok: false, why: 'unknown' };
    if ('workspace' in scope && info.ref.workspace !== scope.workspace) return { ok: false, why: 'unknown' };
    if (info.issuedAt * 1000 + LIMITS.callbackWindowMs < Date.now()) return { ok: false, why: 'expired' };
    const { jobs } = this.#o;
    const [job, current] = await Promise.all([jobs.load(info.ref.workspace, trackingId), jobs.current(info.ref)]);
    if (!job) return current && current !== trackingId ? { ok: false, why: 'closed' } : { ok: false, why: 'gone' };
    if (current !== trackingId || job.state === 'failed') return { ok: false, why: 'closed' };
    // A job uploaded with a workspace's own key answers on that workspace's URL only.
    if ('shared' in scope && job.account === 'own') return { ok: false, why: 'unknown' };
    return { ok: true, job };
  }

  /**
   * A synchronous provider's whole transcript, come with its answer to the upload: stored within the same caps as a
   * callback's, and complete at once (nothing more will come).
   */
  async transcribed(job: JobRecord, transcript: Segment[]): Promise<void> {
    const deliveries = transcript
      .slice(0, this.#limits.segmentsPerBody)
      .map((segment) => ({ trackingId: job.trackingId, segment }));
    await this.#store(job, deliveries, Date.now());
    if (await this.#o.moves.apply(job, { move: 'complete' })) await this.#o.deadlines.cancel(job);
  }

  /** Stores new segments within the job's caps; the reply and the completion check follow. */
  async #store(job: JobRecord, deliveries: Delivery[], arrivedAt: number) {
    const { segments, log } = this.#o;
    const limits = this.#limits;
    const ttlMs = keptFor(job, await this.#o.workspaces.retentionMs(job.workspace));
    let accepted = 0;
    let repeated = 0;
    let capped = 0;
    for (const { segment } of deliveries) {
      const cost = segmentCharacters(segment);
      if (cost > limits.charactersPerSegment || (segment.words?.length ?? 0) > limits.wordsPerSegment) {
        capped += 1;
        continue;
      }
      const { added, size } = await segments.add(job.workspace, job.trackingId, segment, ttlMs);
      if (!added) {
        repeated += 1;
        log.info('segment repeated', { trackingId: job.trackingId, from: segment.from, to: segment.to });
        continue;
      }
      // Counted once stored, so a repeated segment costs one round trip; one over a cap is taken back out.
      const total = await segments.count(job.workspace, job.trackingId, cost, ttlMs);
      if (size > limits.segmentsPerJob || total > limits.charactersPerJob) {
        await segments.remove(job.workspace, job.trackingId, segment);
        await segments.count(job.workspace, job.trackingId, -cost, ttlMs);
        capped += 1;
        continue;
      }
      accepted += 1;
      log.info('segment', {
        trackingId: job.trackingId,
        from: segment.from,
        to: segment.to,
        chars: segment.text.length,
        words: segment.words?.length ?? 0,
      });
    }
    if (capped > 0) log.warn('webhook: segments over the caps dropped', { trackingId: job.trackingId, capped });
    if (accepted > 0) await this.#arrived(job, arrivedAt);
    return { accepted, repeated, capped };
  }

  /** New text: the job is receiving (or stays complete), its reply is refreshed and its completion check moved. */
  async #arrived(job: JobRecord, arrivedAt: number): Promise<void> {
    const { moves, jobs, deadlines, replies } = this.#o;
    const at = Date.now();
    if (!(await moves.apply(job, { move: 'segment', at }, { show: false }))) {
      await jobs.note(job, { lastSegmentAt: at }, ['complete']);
    }
    await replies.refresh(job, arrivedAt);
    if (job.state !== 'receiving') return;
    const all = await this.#o.segments.load(job.workspace, job.trackingId);
    const ended = job.durationSeconds !== undefined && reachesEnd(all, job.durationSeconds);
    await deadlines.due(job, quietAt({ lastSegmentAt: at }, ended, deadlines.rules));
  }
}
