import { type ConvertibleContainer, isConvertible, needsSeeking, sniff } from '../audio/containers.ts';
import { type ConversionInput, convertToMp3 } from '../audio/convert.ts';
import { durationFromHead } from '../audio/duration.ts';
import { AppError, ConversionError, DownloadError, errorMessage, SourceError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { AudioUpload, ProviderResult } from '../providers/index.ts';
import { currentAttempt, type Failure, type JobRecord, loadJob, unlistChannelJob } from '../records/jobs.ts';
import { memoKey } from '../records/tracking-id.ts';
import { type Download, openDownload } from '../slack/download.ts';
import { declaredAudio, reportedSeconds } from '../slack/files.ts';
import type { PipelineContext } from './context.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { Attempt, RelayJob } from './queue/index.ts';

/** A relay that cannot succeed: the thread says why, and no attempt follows. */
class JobFailure extends AppError {
  readonly failure: Failure;
  constructor(failure: Failure, cause?: unknown) {
    super('job_failed', `job failed: ${failure.code}`, { cause });
    this.failure = failure;
  }
}

/** A relay that failed for now (a provider outage, a cut download); what to say if no attempt is left. */
class RetryLater extends AppError {
  readonly failure: Failure;
  constructor(failure: Failure, cause?: unknown) {
    super('retry_later', `try again later: ${failure.code}`, { cause });
    this.failure = failure;
  }
}

type Transfer = { kind: 'accepted'; durationSeconds?: number } | { kind: 'not-audio' };

const MB = 1024 * 1024;

/**
 * Where a memo is relayed: one queued file taken from Slack's file host to the provider, streamed end to
 * end. Files the provider takes go byte for byte; others go through ffmpeg (streamed in when the container
 * allows, from a private temporary file when ffmpeg must seek). Idempotent: a relay run again after a crash
 * does nothing once the provider accepted the file.
 */
export class Relay {
  readonly #c: PipelineContext;
  readonly #lifecycle: Lifecycle;

  constructor(context: PipelineContext, lifecycle: Lifecycle) {
    this.#c = context;
    this.#lifecycle = lifecycle;
  }

  /** The queue's relay handler. */
  async run(data: RelayJob, attempt: Attempt): Promise<void> {
    const job = await this.#current(data.trackingId);
    if (!job) return;
    const log = this.#c.log.child({ trackingId: job.trackingId });
    if (job.state !== 'queued' && job.state !== 'sending') {
      log.info('relay skipped: the provider has it already', { state: job.state });
      return;
    }
    if (attempt.number > 1) log.info('relay attempt', { attempt: attempt.number });
    const sending = { state: 'sending', worker: this.#c.settings.instanceId } as const;
    await this.#lifecycle.setState(job, sending, { show: !data.unsure });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const transfer = await this.#transfer(job, data, attempt, log);
      if (transfer.kind === 'not-audio') {
        log.info('ignored: not audio');
        await this.#lifecycle.forget(job);
        await unlistChannelJob(this.#c.store, job);
        return;
      }
      this.#c.metrics.relaySeconds.observe({ outcome: 'accepted' }, seconds());
      log.info('uploaded', { durationSeconds: transfer.durationSeconds });
      await this.#lifecycle.accepted(job, transfer.durationSeconds ?? job.durationSeconds);
    } catch (err) {
      if (attempt.signal.aborted) {
        // The app is stopping. A durable queue keeps the job for the next worker: show it as queued.
        if (this.#c.queue.kind === 'bullmq') await this.#lifecycle.setState(job, { state: 'queued' });
        throw err;
      }
      const final = err instanceof JobFailure || attempt.last;
      const failure =
        err instanceof JobFailure || err instanceof RetryLater ? err.failure : ({ code: 'internal' } as const);
      if (!(err instanceof JobFailure || err instanceof RetryLater))
        log.error('relay error', { error: errorMessage(err) });
      if (!final) {
        log.warn('relay will be retried', { attempt: attempt.number, reason: failure.code });
        await this.#lifecycle.setState(job, { state: 'queued' });
        throw err;
      }
      this.#c.metrics.relaySeconds.observe({ outcome: 'failed' }, seconds());
      await this.#lifecycle.fail(job, failure);
    }
  }

  /** The queue gave up on a relay without a word from `run` (its workers kept dying, or the app stopped). */
  async abandoned(data: RelayJob): Promise<void> {
    const job = await this.#current(data.trackingId);
    if (job && (job.state === 'queued' || job.state === 'sending'))
      await this.#lifecycle.fail(job, { code: 'restarted' });
  }

  /** The job, when it is still the memo's current attempt. */
  async #current(trackingId: string): Promise<JobRecord | undefined> {
    const job = await loadJob(this.#c.store, trackingId);
    if (!job) return undefined;
    return (await currentAttempt(this.#c.store, memoKey(job))) === trackingId ? job : undefined;
  }

  async #transfer(job: JobRecord, data: RelayJob, attempt: Attempt, log: Logger): Promise<Transfer> {
    const { settings, provider } = this.#c;
    const file = data.file;
    if ((file.size ?? 0) > settings.maxAudioBytes) throw this.#tooLarge(file.size ?? 0);
    const reported = reportedSeconds(file);
    if (reported !== undefined && reported > settings.maxAudioSeconds) throw this.#tooLong(reported);
    const url = file.url_private_download ?? file.url_private;
    if (!url) throw new JobFailure({ code: 'no_download_link' });

    const download = await this.#download(url, attempt.signal);
    let handedOver = false;
    try {
      const container = sniff(download.head);
      if (container === 'html') throw new JobFailure({ code: 'sign_in_page' });
      const asIs = provider.sendAsIs(container, declaredAudio(file));
      if (!asIs && !isConvertible(container)) {
        if (data.unsure) return { kind: 'not-audio' };
        throw new JobFailure({ code: 'not_convertible' });
      }
      const known = reported ?? durationFromHead(container, download.head, download.length ?? file.size ?? undefined);
      if (known !== undefined && known > settings.maxAudioSeconds) throw this.#tooLong(known);
      if (data.unsure) this.#c.replies.refresh(job);
      log.info('downloaded', { container, plan: asIs ? 'as-is' : 'convert', bytes: download.length });

      handedOver = true;
      if (asIs) {
        const result = await this.#submit(job, {
          trackingId: job.trackingId,
          fileName: `${job.fileId}.${asIs.extension}`,
          contentType: asIs.contentType,
          body: download.body,
          length: download.length,
        });
        this.#accepted(result, attempt);
        return { kind: 'accepted', durationSeconds: known };
      }
      if (!isConvertible(container)) throw new JobFailure({ code: 'not_convertible' });
      return await this.#convertAndSubmit(job, attempt, container, download, known, log);
    } finally {
      if (!handedOver) download.cancel();
    }
  }

  async #convertAndSubmit(
    job: JobRecord,
    attempt: Attempt,
    container: ConvertibleContainer,
    download: Download,
    known: number | undefined,
    log: Logger,
  ): Promise<Transfer> {
    const { settings, provider } = this.#c;
    let tempPath: string | undefined;
    try {
      let input: ConversionInput;
      if (needsSeeking(container, download.head)) {
        // ffmpeg must seek in this container (an MP4's index may come last): the file waits on disk once,
        // readable by this user only, in the app's private folder.
        tempPath = await settings.workdir.write(download.body, '.input').catch((err: unknown) => {
          throw err instanceof DownloadError
            ? this.#downloadFailure(err)
            : new RetryLater({ code: 'download_failed' }, err);
        });
        input = { path: tempPath };
      } else {
        input = { stream: download.body };
      }
      const conversion = convertToMp3({
        ffmpeg: settings.ffmpegPath,
        container,
        input,
        maxSeconds: settings.maxAudioSeconds,
        timeoutMs: settings.conversionTimeoutMs,
        onStderr: (text) => log.debug('ffmpeg', { stderr: text }),
      });
      const onAbort = () => conversion.kill();
      attempt.signal.addEventListener('abort', onAbort, { once: true });
      try {
        // The MP3 goes straight to the provider: its stream ends by throwing the conversion's failure, which
        // the provider's client reports as a SourceError.
        const result = await this.#submit(job, {
          trackingId: job.trackingId,
          fileName: `${job.fileId}.${provider.convertTo.extension}`,
          contentType: provider.convertTo.contentType,
          body: conversion.output,
        });
        this.#accepted(result, attempt);
        const { seconds } = await conversion.done;
        return { kind: 'accepted', durationSeconds: known ?? (seconds > 0 ? seconds : undefined) };
      } finally {
        attempt.signal.removeEventListener('abort', onAbort);
        conversion.kill();
      }
    } finally {
      if (tempPath) await settings.workdir.discard(tempPath);
    }
  }

  /** Uploads; failures of the audio source are told apart from the provider's. */
  async #submit(job: JobRecord, upload: AudioUpload): Promise<ProviderResult> {
    try {
      return await this.#c.provider.submit(upload);
    } catch (err) {
      if (!(err instanceof SourceError)) throw err;
      const cause = err.cause;
      if (cause instanceof ConversionError) {
        if (cause.reason === 'too_long') throw this.#tooLong(this.#c.settings.maxAudioSeconds + 1, cause);
        if (cause.reason === 'cannot_start') throw new JobFailure({ code: 'converter_unavailable' }, cause);
        this.#c.log.warn('conversion failed', {
          trackingId: job.trackingId,
          reason: cause.reason,
          error: cause.message,
        });
        throw new JobFailure({ code: 'not_convertible' }, cause);
      }
      if (cause instanceof DownloadError) throw this.#downloadFailure(cause);
      throw new RetryLater({ code: 'download_failed' }, cause);
    }
  }

  /** Throws unless the provider accepted the file. */
  #accepted(result: ProviderResult, attempt: Attempt): void {
    const provider = this.#c.provider.name;
    const answer = result.ok ? 'ok' : result.error.replace(/[^a-z0-9_]/gi, '_').slice(0, 40);
    this.#c.metrics.providerAnswers.inc({ provider, answer });
    if (result.ok) return;
    if (result.retryable) {
      throw new RetryLater({ code: 'provider_unreachable', attempts: attempt.number, error: result.error });
    }
    throw new JobFailure({ code: 'provider_refused', error: result.error });
  }

  async #download(url: string, signal: AbortSignal): Promise<Download> {
    const { settings } = this.#c;
    try {
      return await openDownload(url, {
        token: settings.slackToken,
        isSlackHost: settings.isSlackHost,
        maxBytes: settings.maxAudioBytes,
        deadlineMs: settings.downloadDeadlineMs,
        signal,
      });
    } catch (err) {
      if (err instanceof DownloadError) throw this.#downloadFailure(err);
      throw new RetryLater({ code: 'download_failed' }, err);
    }
  }

  #downloadFailure(err: DownloadError): JobFailure | RetryLater {
    if (err.code === 'download_too_large') {
      const limitMb = Math.round(this.#c.settings.maxAudioBytes / MB);
      return new JobFailure({ code: 'too_large', limitMb }, err);
    }
    if (err.code === 'download_off_slack') return new JobFailure({ code: 'off_slack' }, err);
    if (err.code === 'download_timed_out' || (err.status !== undefined && err.status >= 500)) {
      return new RetryLater({ code: 'download_failed', status: err.status }, err);
    }
    return new JobFailure({ code: 'download_failed', status: err.status }, err);
  }

  #tooLarge(bytes: number, cause?: unknown): JobFailure {
    const limitMb = Math.round(this.#c.settings.maxAudioBytes / MB);
    return new JobFailure({ code: 'too_large', sizeMb: Math.max(limitMb + 1, Math.round(bytes / MB)), limitMb }, cause);
  }

  #tooLong(seconds: number, cause?: unknown): JobFailure {
    const limitMinutes = Math.round(this.#c.settings.maxAudioSeconds / 60);
    return new JobFailure(
      { code: 'too_long', minutes: Math.max(limitMinutes + 1, Math.ceil(seconds / 60)), limitMinutes },
      cause,
    );
  }
}
