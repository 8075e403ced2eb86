import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type ConvertibleContainer, isConvertible, needsSeeking, sniff } from '../audio/containers.ts';
import { type ConversionInput, convertToMp3 } from '../audio/convert.ts';
import { durationFromHead } from '../audio/duration.ts';
import { lengthOfFile, type MeasuredContainer } from '../audio/length.ts';
import type { Workdir } from '../audio/workdir.ts';
import { AppError, ConversionError, DownloadError, errorMessage, SourceError } from '../errors.ts';
import { messages } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { AudioUpload, ProviderAccount, ProviderResult, SpeechProvider, UploadFormat } from '../providers/index.ts';
import type { Channels } from '../records/channels.ts';
import type { Failure, JobRecord, Jobs } from '../records/job.ts';
import type { Ledger } from '../records/ledger.ts';
import type { MemoIndex } from '../records/memo-index.ts';
import type { PersonJobs } from '../records/people.ts';
import type { Segment } from '../records/segments.ts';
import { replyThreadTs } from '../records/tracking-id.ts';
import { type Download, openDownload } from '../slack/download.ts';
import { slackError } from '../slack/errors.ts';
import { fileInfo } from '../slack/file-info.ts';
import { classifyFile, declaredAudio, displayName, reportedSeconds, type SlackFile, slimFile } from '../slack/files.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';
import type { WorkspaceSlack, Workspaces } from '../workspaces/index.ts';
import type { Settings } from '../workspaces/settings.ts';
import type { Budget } from './budget.ts';
import { timeoutAt } from './completion.ts';
import type { Deadlines } from './deadlines.ts';
import type { JobMoves } from './moves.ts';
import type { Attempt, RelayJob } from './queue/index.ts';
import type { Results } from './results.ts';
import type { ReplyWriter } from './thread.ts';

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

/** What became of the file: accepted (with the whole transcript, from a synchronous provider), or not audio after all. */
type Transfer = { kind: 'accepted'; durationSeconds?: number; transcript?: Segment[] } | { kind: 'not-audio' };

const MB = 1024 * 1024;

const MEASURED: readonly string[] = ['wav', 'mp3', 'mp4'] satisfies MeasuredContainer[];
const isMeasured = (c: ConvertibleContainer): c is ConvertibleContainer & MeasuredContainer => MEASURED.includes(c);

export interface RelaySettings {
  /** This process, written on the jobs it relays. */
  instanceId: string;
  /** Whether a URL is Slack's, the only hosts that may see the bot token. */
  isSlackHost: (url: URL) => boolean;
  maxAudioBytes: number;
  maxAudioSeconds: number;
  ffmpegPath: string;
  /** Where files that ffmpeg must seek in wait for it: a private folder, swept at start. */
  workdir: Workdir;
  /** The whole download, first byte to last. */
  downloadDeadlineMs: number;
  /** The whole conversion, wall clock. */
  conversionTimeoutMs: number;
}

export interface RelayOptions {
  jobs: Jobs;
  moves: JobMoves;
  ledger: Ledger;
  channels: Channels;
  people: PersonJobs;
  index: MemoIndex;
  deadlines: Deadlines;
  replies: ReplyWriter;
  /** Where a synchronous provider's transcript lands. */
  results: Pick<Results, 'transcribed'>;
  workspaces: Workspaces;
  /** The workspaces' settings: the language of their threads. */
  workspaceSettings: Settings;
  budget: Budget;
  provider: SpeechProvider;
  metrics: Metrics;
  log: Logger;
  settings: RelaySettings;
}

/**
 * Where a memo is relayed: one queued file taken from Slack's file host to the provider, streamed end to
 * end. Files the provider takes go byte for byte; others go through ffmpeg (streamed in when the container
 * allows, from a private temporary file when ffmpeg must seek). A relay runs only while its job is queued for this
 * queue entry's run (src/records/job.ts): an entry run twice, or after recovery gave the job to another entry, does
 * nothing, and nothing is uploaded again once the provider accepted the file.
 */
export class Relay {
  readonly #o: RelayOptions;

  constructor(options: RelayOptions) {
    this.#o = options;
  }

  /** The queue's relay handler. */
  async run(data: RelayJob, attempt: Attempt): Promise<void> {
    const { jobs, moves, ledger, settings } = this.#o;
    const job = await jobs.ifCurrent(data.ref.workspace, data.trackingId);
    if (!job || job.run !== data.run) return;
    const log = this.#o.log.child({ trackingId: job.trackingId });
    if (job.state !== 'queued') {
      log.info('relay skipped: the job has moved on', { state: job.state });
      // The provider has it: a relay that stopped after the provider's answer left its time-out to be set here.
      if (job.state === 'waiting') await this.#o.deadlines.due(job, timeoutAt(job, this.#o.deadlines.rules));
      if (job.state !== 'sending') await ledger.leave(job);
      return;
    }
    const worker = settings.instanceId;
    if (!(await moves.apply(job, { move: 'take', run: job.run, worker }, { show: false }))) return;
    await ledger.enter({ workspace: job.workspace, trackingId: job.trackingId, worker, since: Date.now() });
    if (attempt.number > 1) log.info('relay attempt', { attempt: attempt.number });
    const slack = await this.#o.workspaces.slack(job.workspace);
    const account = await this.#o.workspaces.account(job.workspace);
    if (!slack || !account) {
      await this.#fail(job, { code: 'internal' });
      return;
    }
    let file = data.file;
    if (data.lookUp) {
      const found = await this.#lookUp(slack, job);
      if (!found) return;
      file = found;
    }
    // A month whose budget is used up sends nothing more, not even a download.
    if (!job.billed && !(await this.#o.budget.open(job.workspace))) {
      await this.#fail(job, { code: 'budget_used_up' });
      return;
    }
    const sending = { move: 'send', run: job.run, worker, account: account.source } as const;
    if (!(await moves.apply(job, sending, { show: !job.unsure }))) return;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const transfer = await this.#transfer(job, file, slack, account, attempt, log);
      if (transfer.kind === 'not-audio') {
        log.info('ignored: not audio');
        await this.#forget(job);
        return;
      }
      this.#o.metrics.relaySeconds.observe({ outcome: 'accepted' }, seconds());
      log.info('uploaded', { durationSeconds: transfer.durationSeconds });
      const durationSeconds = transfer.durationSeconds ?? job.durationSeconds;
      await this.#o.budget.count(job, durationSeconds);
      if (durationSeconds !== undefined) this.#o.metrics.audioMinutes.inc(durationSeconds / 60);
      await this.#accepted(job, durationSeconds);
      if (transfer.transcript) await this.#o.results.transcribed(job, transfer.transcript);
    } catch (err) {
      // The provider did not take the file: what it counted against the budget is taken back.
      await this.#o.budget
        .refund(job)
        .catch((e: unknown) => log.error('budget: could not take back', { error: errorMessage(e) }));
      if (attempt.signal.aborted) {
        // The app is stopping: the durable queue keeps the entry for the next process.
        await this.#retry(job);
        throw err;
      }
      const final = err instanceof JobFailure || attempt.last;
      const failure =
        err instanceof JobFailure || err instanceof RetryLater ? err.failure : ({ code: 'internal' } as const);
      if (!(err instanceof JobFailure || err instanceof RetryLater))
        log.error('relay error', { error: errorMessage(err) });
      if (!final) {
        log.warn('relay will be retried', { attempt: attempt.number, reason: failure.code });
        await this.#retry(job);
        throw err;
      }
      this.#o.metrics.relaySeconds.observe({ outcome: 'failed' }, seconds());
      await this.#fail(job, failure);
    }
  }

  /** The queue gave up on an entry without a word from `run` (the processes running it kept dying). */
  async abandoned(data: RelayJob): Promise<void> {
    const job = await this.#o.jobs.ifCurrent(data.ref.workspace, data.trackingId);
    if (job && job.run === data.run && (job.state === 'queued' || job.state === 'sending'))
      await this.#fail(job, { code: 'restarted' });
  }

  /** The provider has the file: its time-out starts, and recovery lets it go. */
  async #accepted(job: JobRecord, durationSeconds: number | undefined): Promise<void> {
    const { moves, jobs, ledger, deadlines } = this.#o;
    const at = Date.now();
    const accept = { move: 'accept', at, durationSeconds } as const;
    // A quick provider may have sent text before its answer to the upload came: that text stays, and so does its
    // state (receiving, complete); only the upload's own fields are written.
    if (await moves.apply(job, accept)) {
      await deadlines.due(job, timeoutAt({ acceptedAt: at, durationSeconds }, deadlines.rules));
    } else {
      await jobs.note(job, { acceptedAt: at, ...(durationSeconds !== undefined ? { durationSeconds } : {}) }, [
        'receiving',
        'complete',
      ]);
      // The audio's length is known only now: whether the text reached its end is looked at again.
      await deadlines.due(job, at + deadlines.rules.quietMs);
      await this.#o.replies.refresh(job);
    }
    await ledger.leave(job);
  }

  async #retry(job: JobRecord): Promise<void> {
    await this.#o.moves.apply(job, { move: 'retry', worker: this.#o.settings.instanceId });
    await this.#o.ledger.enter({ workspace: job.workspace, trackingId: job.trackingId, since: Date.now() });
  }

  async #fail(job: JobRecord, failure: Failure): Promise<void> {
    try {
      if (await this.#o.moves.apply(job, { move: 'fail', failure }))
        this.#o.log.info('failed', { trackingId: job.trackingId, reason: failure.code });
      await this.#o.ledger.leave(job);
    } catch (err) {
      this.#o.log.error('could not record a failure', { trackingId: job.trackingId, error: errorMessage(err) });
    }
  }

  /** Forgets a file that turned out not to be audio, as if it had never been claimed. */
  async #forget(job: JobRecord): Promise<void> {
    await this.#o.jobs.forget(job);
    await this.#o.channels.unlist(job.workspace, job.channel, job.trackingId);
    await this.#o.index.forgetAttempts(job.workspace, job.fileId, [job.trackingId]);
    if (job.user) await this.#o.people.unlist(job.workspace, job.user, [job.trackingId]);
    await this.#o.ledger.leave(job);
  }

  /**
   * The file behind a Slack Connect stub. When Slack will not describe it the thread is told, since it may be a
   * memo; a file that is not audio is forgotten without a word.
   */
  async #lookUp(slack: WorkspaceSlack, job: JobRecord): Promise<SlackFile | undefined> {
    const info = await fileInfo(slack.web, job.fileId, this.#o.log);
    if (!info.ok) {
      const lang = (await this.#o.workspaceSettings.of(job.workspace)).lang;
      const text = messages(lang).cannotLookAtFile({ error: escapeMrkdwn(info.error) });
      await slack.web.chat
        .postMessage({ channel: job.channel, thread_ts: replyThreadTs(job), text })
        .catch((e: unknown) => this.#o.log.error('could not post to the thread', { error: slackError(e) }));
    }
    const kind = info.ok ? classifyFile(info.file) : 'not-audio';
    if (!info.ok || kind === 'not-audio') {
      await this.#forget(job);
      return undefined;
    }
    const { file } = info;
    const unsure = kind === 'maybe-audio';
    await this.#o.jobs.note(job, { file: slimFile(file), fileName: displayName(file), unsure }, ['queued']);
    Object.assign(job, {
      file: slimFile(file),
      fileName: displayName(file),
      unsure,
      durationSeconds: reportedSeconds(file),
    });
    return file;
  }

  async #transfer(
    job: JobRecord,
    file: SlackFile,
    slack: WorkspaceSlack,
    account: ProviderAccount,
    attempt: Attempt,
    log: Logger,
  ): Promise<Transfer> {
    const { settings, provider } = this.#o;
    if ((file.size ?? 0) > settings.maxAudioBytes) throw this.#tooLarge(file.size ?? 0);
    const reported = reportedSeconds(file);
    if (reported !== undefined && reported > settings.maxAudioSeconds) throw this.#tooLong(reported);
    const url = file.url_private_download ?? file.url_private;
    if (!url) throw new JobFailure({ code: 'no_download_link' });

    const download = await this.#download(url, slack.token, attempt.signal);
    let handedOver = false;
    try {
      const container = sniff(download.head);
      if (container === 'html') throw new JobFailure({ code: 'sign_in_page' });
      const asIs = provider.sendAsIs(container, declaredAudio(file));
      if (!asIs && !isConvertible(container)) {
        if (job.unsure) return { kind: 'not-audio' };
        throw new JobFailure({ code: 'not_convertible' });
      }
      const known = reported ?? durationFromHead(container, download.head, download.length ?? file.size ?? undefined);
      if (known !== undefined && known > settings.maxAudioSeconds) throw this.#tooLong(known);
      if (job.unsure) await this.#sure(job);
      if (known !== undefined && !(await this.#o.budget.reserve(job, known)))
        throw new JobFailure({ code: 'budget_used_up' });
      log.info('downloaded', { container, plan: asIs ? 'as-is' : 'convert', bytes: download.length });

      handedOver = true;
      if (asIs && isConvertible(container) && isMeasured(container)) {
        return await this.#sendAsIs(job, account, attempt, container, asIs, download, { reported, known }, log);
      }
      if (!isConvertible(container)) throw new JobFailure({ code: 'not_convertible' });
      return await this.#convertAndSubmit(job, account, attempt, container, download, known, log);
    } finally {
      if (!handedOver) download.cancel();
    }
  }

  /**
   * A file the provider takes as it is goes byte for byte only once its own structure says how long it plays, over the
   * whole file (src/audio/length.ts): its header was written by whoever shared it. So it waits in the private folder
   * first; one whose length cannot be read is converted instead, with the conversion bounded by the limit.
   */
  async #sendAsIs(
    job: JobRecord,
    account: ProviderAccount,
    attempt: Attempt,
    container: MeasuredContainer & ConvertibleContainer,
    format: UploadFormat,
    download: Download,
    /** Slack's `duration_ms`, and what the head said: neither lets a file through, Slack's still times the completion. */
    lengths: { reported: number | undefined; known: number | undefined },
    log: Logger,
  ): Promise<Transfer> {
    const { settings } = this.#o;
    const path = await this.#spool(download);
    try {
      const measured = await lengthOfFile(path, container);
      if (measured === undefined) {
        log.info('length unreadable: converting instead', { container });
        return await this.#convertAndSubmit(job, account, attempt, container, { path }, lengths.known, log);
      }
      if (measured > settings.maxAudioSeconds) throw this.#tooLong(measured);
      // Counted against the month's budget before anything is sent (a file already counted by its head is not again).
      if (!(await this.#o.budget.reserve(job, measured))) throw new JobFailure({ code: 'budget_used_up' });
      const result = await this.#submit(
        job,
        {
          trackingId: job.trackingId,
          fileName: `${job.fileId}.${format.extension}`,
          contentType: format.contentType,
          body: createReadStream(path),
          length: (await stat(path)).size,
          signal: attempt.signal,
        },
        account,
      );
      return {
        kind: 'accepted',
        durationSeconds: lengths.reported ?? measured,
        transcript: this.#answered(result, attempt),
      };
    } finally {
      await settings.workdir.discard(path);
    }
  }

  /** The download, written whole to the private folder (readable by this user only). */
  async #spool(download: Download): Promise<string> {
    return this.#o.settings.workdir.write(download.body, '.input').catch((err: unknown) => {
      throw err instanceof DownloadError
        ? this.#downloadFailure(err)
        : new RetryLater({ code: 'download_failed' }, err);
    });
  }

  /** The first bytes of a file that might not have been audio say it is: it shows in its thread from now on. */
  async #sure(job: JobRecord): Promise<void> {
    await this.#o.jobs.note(job, { unsure: false }, ['sending']);
    job.unsure = false;
    await this.#o.replies.refresh(job);
  }

  async #convertAndSubmit(
    job: JobRecord,
    account: ProviderAccount,
    attempt: Attempt,
    container: ConvertibleContainer,
    source: Download | { path: string },
    known: number | undefined,
    log: Logger,
  ): Promise<Transfer> {
    const { settings, provider } = this.#o;
    let tempPath: string | undefined;
    try {
      let input: ConversionInput;
      if ('path' in source) {
        input = { path: source.path };
      } else if (needsSeeking(container, source.head)) {
        // ffmpeg must seek in this container (an MP4's index may come last): the file waits on disk once,
        // readable by this user only, in the app's private folder.
        tempPath = await this.#spool(source);
        input = { path: tempPath };
      } else {
        input = { stream: source.body };
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
        const result = await this.#submit(
          job,
          {
            trackingId: job.trackingId,
            fileName: `${job.fileId}.${provider.convertTo.extension}`,
            contentType: provider.convertTo.contentType,
            body: conversion.output,
            signal: attempt.signal,
          },
          account,
        );
        const transcript = this.#answered(result, attempt);
        const { seconds } = await conversion.done;
        return { kind: 'accepted', durationSeconds: known ?? (seconds > 0 ? seconds : undefined), transcript };
      } finally {
        attempt.signal.removeEventListener('abort', onAbort);
        conversion.kill();
      }
    } finally {
      if (tempPath) await settings.workdir.discard(tempPath);
    }
  }

  /** Uploads; failures of the audio source are told apart from the provider's. */
  async #submit(job: JobRecord, upload: AudioUpload, account: ProviderAccount): Promise<ProviderResult> {
    try {
      return await this.#o.provider.submit(upload, account);
    } catch (err) {
      if (!(err instanceof SourceError)) throw err;
      const cause = err.cause;
      if (cause instanceof ConversionError) {
        if (cause.reason === 'too_long') throw this.#tooLong(this.#o.settings.maxAudioSeconds + 1, cause);
        if (cause.reason === 'cannot_start') throw new JobFailure({ code: 'converter_unavailable' }, cause);
        this.#o.log.warn('conversion failed', {
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

  /** Throws unless the provider accepted the file; a synchronous provider's transcript comes with its answer. */
  #answered(result: ProviderResult, attempt: Attempt): Segment[] | undefined {
    const provider = this.#o.provider.name;
    const answer = result.ok ? 'ok' : result.error.replace(/[^a-z0-9_]/gi, '_').slice(0, 40);
    this.#o.metrics.providerAnswers.inc({ provider, answer });
    if (result.ok) return result.transcript;
    if (result.retryable) {
      throw new RetryLater({ code: 'provider_unreachable', attempts: attempt.number, error: result.error });
    }
    throw new JobFailure({ code: 'provider_refused', error: result.error });
  }

  async #download(url: string, token: string, signal: AbortSignal): Promise<Download> {
    const { settings } = this.#o;
    try {
      return await openDownload(url, {
        token,
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
      const limitMb = Math.round(this.#o.settings.maxAudioBytes / MB);
      return new JobFailure({ code: 'too_large', limitMb }, err);
    }
    if (err.code === 'download_off_slack') return new JobFailure({ code: 'off_slack' }, err);
    if (err.code === 'download_timed_out' || (err.status !== undefined && err.status >= 500)) {
      return new RetryLater({ code: 'download_failed', status: err.status }, err);
    }
    return new JobFailure({ code: 'download_failed', status: err.status }, err);
  }

  #tooLarge(bytes: number, cause?: unknown): JobFailure {
    const limitMb = Math.round(this.#o.settings.maxAudioBytes / MB);
    return new JobFailure({ code: 'too_large', sizeMb: Math.max(limitMb + 1, Math.round(bytes / MB)), limitMb }, cause);
  }

  /** The length is said in whole minutes, the nearest (encoders add a fraction of a second), never the limit's own. */
  #tooLong(seconds: number, cause?: unknown): JobFailure {
    const limitMinutes = Math.round(this.#o.settings.maxAudioSeconds / 60);
    return new JobFailure(
      { code: 'too_long', minutes: Math.max(limitMinutes + 1, Math.round(seconds / 60)), limitMinutes },
      cause,
    );
  }
}
