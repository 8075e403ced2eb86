import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { webApi } from '@slack/bolt';
import { sniff } from '../audio/containers.ts';
import { convertToMp3 } from '../audio/convert.ts';
import { DownloadError, errorMessage, SourceError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { OmicallClient } from '../providers/omicall/client.ts';
import type { OmicallResult } from '../providers/omicall/envelope.ts';
import {
  JOB_TTL_MS,
  type JobRecord,
  keys,
  listChannelJob,
  loadJob,
  saveJob,
  unlistChannelJob,
} from '../records/jobs.ts';
import { type MemoRef, replyThreadTs, signTrackingId } from '../records/tracking-id.ts';
import { type Download, openDownload } from '../slack/download.ts';
import { slackError } from '../slack/errors.ts';
import { classifyFile, displayName, isStub, planUpload, type SlackFile } from '../slack/files.ts';
import type { Store } from '../store/index.ts';
import { Limiter } from './limit.ts';
import type { ReplyWriter } from './thread.ts';

export interface TranscriberOptions {
  store: Store;
  slack: webApi.WebClient;
  omicall: OmicallClient;
  replies: ReplyWriter;
  log: Logger;
  /** Key of the tracking_id signature. */
  trackingKey: string;
  slackToken: string;
  isSlackHost: (url: URL) => boolean;
  maxAudioBytes: number;
  /** Downloads and uploads at a time. */
  concurrency: number;
  ffmpegPath: string;
  /** Waits between attempts when OMICall fails in a way worth retrying; one attempt more than entries. */
  retryDelaysMs?: number[];
  tmpDir?: string;
  /** Deadline of one download, start to last byte (the upload it feeds included, when relayed as it is). */
  downloadDeadlineMs?: number;
}

/** Where a message shared its files. */
export type MessageRef = Omit<MemoRef, 'fileId'>;

export type SubmitResult =
  | { status: 'started'; trackingId: string }
  | { status: 'duplicate'; trackingId: string }
  | { status: 'not-audio' }
  /** A Slack Connect file stub that files.info would not describe; the thread was told. */
  | { status: 'unreadable' }
  | { status: 'stopping' };

/** A failure told to the user in the file's thread reply. */
class JobFailure extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable = false) {
    super(message);
    this.retryable = retryable;
  }
}

const NOT_AUDIO = Symbol('not audio');

/** A download stopped by one of its limits (MAX_AUDIO_MB, the deadline), told as such; never retried. */
function downloadFailure(err: DownloadError, o: { maxAudioBytes: number }): JobFailure {
  return new JobFailure(
    err.code === 'download_too_large'
      ? `the file is larger than the limit of ${Math.round(o.maxAudioBytes / (1024 * 1024))} MB. Share a shorter recording, or ask an admin to raise MAX_AUDIO_MB.`
      : 'the file took too long to download from Slack. Try again later with the Transcribe shortcut.',
  );
}

/**
 * Takes each audio file of a message from Slack to OMICall: claims it (once across instances and
 * retries), shows it is being worked on, downloads, converts when needed, uploads, and retries
 * OMICall's passing failures. Results arrive later at the webhook.
 */
export class Transcriber {
  readonly #o: Required<TranscriberOptions>;
  readonly #limiter: Limiter;
  /** Jobs accepted by this instance and not yet uploaded or failed. */
  readonly #open = new Map<string, JobRecord>();
  readonly #running = new Set<Promise<void>>();
  #stopping = false;

  constructor(options: TranscriberOptions) {
    this.#o = {
      ...options,
      retryDelaysMs: options.retryDelaysMs ?? [2_000, 8_000, 20_000],
      tmpDir: options.tmpDir ?? tmpdir(),
      downloadDeadlineMs: options.downloadDeadlineMs ?? 30 * 60_000,
    };
    this.#limiter = new Limiter(options.concurrency);
  }

  /** The file's transcription, when one was started and has not failed. */
  async existing(message: MessageRef, fileId: string): Promise<JobRecord | undefined> {
    const job = await loadJob(this.#o.store, signTrackingId({ ...message, fileId }, this.#o.trackingKey));
    return job?.state === 'failed' ? undefined : job;
  }

  /** Starts one file's transcription; resolves once it is claimed and queued, before any transfer. */
  async submit(message: MessageRef, shared: SlackFile): Promise<SubmitResult> {
    const ref: MemoRef = { ...message, fileId: shared.id };
    const trackingId = signTrackingId(ref, this.#o.trackingKey);
    const file = isStub(shared) ? await this.#fileInfo(ref, shared.id) : shared;
    if (!file) return { status: 'unreadable' };
    const kind = classifyFile(file);
    if (kind === 'not-audio') return { status: 'not-audio' };
    if (this.#stopping) return { status: 'stopping' };
    if (!(await this.#o.store.claim(keys.claim(trackingId), JOB_TTL_MS))) return { status: 'duplicate', trackingId };

    const job: JobRecord = { ...ref, trackingId, fileName: displayName(file), state: 'working', createdAt: Date.now() };
    const log = this.#o.log.child({ trackingId });
    log.info('received', { channel: ref.channel, fileId: file.id, size: file.size, mimetype: file.mimetype, kind });
    this.#open.set(trackingId, job);
    await saveJob(this.#o.store, job);
    await listChannelJob(this.#o.store, job);
    if (kind === 'audio') this.#o.replies.refresh(trackingId, ref);
    const running = this.#run(job, file, kind === 'maybe-audio', log);
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
    return { status: 'started', trackingId };
  }

  async #run(job: JobRecord, file: SlackFile, unsure: boolean, log: Logger): Promise<void> {
    let tempPath: string | undefined;
    try {
      if ((file.size ?? 0) > this.#o.maxAudioBytes) {
        const mb = (n: number) => Math.round(n / (1024 * 1024));
        throw new JobFailure(
          `the file is ${mb(file.size ?? 0)} MB and the limit is ${mb(this.#o.maxAudioBytes)} MB. Share a shorter recording, or ask an admin to raise MAX_AUDIO_MB.`,
        );
      }
      const uploaded = await this.#limiter.run(async () => {
        const first = await this.#download(file);
        const plan = planUpload(file, sniff(first.head));
        if (plan.mode === 'not-audio' || plan.mode === 'sign-in-page') first.cancel();
        if (plan.mode === 'not-audio') return NOT_AUDIO;
        if (plan.mode === 'sign-in-page') {
          throw new JobFailure(
            'Slack sent its sign-in page instead of the file. The app most likely lacks the `files:read` scope, or was not reinstalled after the scope was added: ask a workspace admin to reinstall it.',
          );
        }
        if (unsure) this.#o.replies.refresh(job.trackingId, job);
        log.info('downloaded', { plan: plan.mode, bytes: first.length });

        let pending: Download | undefined = first;
        const fileName = `${job.fileId}.${plan.extension}`;
        if (plan.mode === 'as-is') {
          return this.#upload(job, log, async () => {
            const d = pending ?? (await this.#download(file));
            pending = undefined;
            return { fileName, contentType: plan.contentType, body: d.body, length: d.length };
          });
        }
        tempPath = join(this.#o.tmpDir, `omicall-${randomUUID()}`);
        await pipeline(first.body, createWriteStream(tempPath));
        const input = tempPath;
        return this.#upload(job, log, async () => {
          const conversion = convertToMp3(input, this.#o.ffmpegPath);
          async function* output() {
            try {
              yield* conversion.output;
              await conversion.done;
            } catch (err) {
              conversion.kill();
              throw new SourceError(err);
            }
          }
          return { fileName, contentType: plan.contentType, body: output() };
        });
      });
      if (uploaded === NOT_AUDIO) {
        log.info('ignored: not audio');
        await this.#o.store.delete(keys.claim(job.trackingId));
        await unlistChannelJob(this.#o.store, job);
        return;
      }
      await this.#setState(job, { state: 'waiting' });
      log.info('uploaded');
    } catch (err) {
      const reason =
        err instanceof JobFailure ? err.message : `something went wrong on our side (${errorMessage(err)}).`;
      log.error('failed', { reason });
      await this.#fail(job, reason);
    } finally {
      this.#open.delete(job.trackingId);
      if (tempPath) await rm(tempPath, { force: true });
    }
  }

  /** Uploads, retrying OMICall's passing failures with backoff; the source is opened anew each attempt. */
  async #upload(
    job: JobRecord,
    log: Logger,
    open: () => Promise<{ fileName: string; contentType: string; body: AsyncIterable<Uint8Array>; length?: number }>,
  ): Promise<void> {
    const delays = this.#o.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      let result: OmicallResult;
      try {
        result = await this.#o.omicall.speechToText({ trackingId: job.trackingId, ...(await open()) });
      } catch (err) {
        if (err instanceof JobFailure) throw err;
        const cause = err instanceof SourceError ? err.cause : err;
        if (cause instanceof DownloadError && cause.code !== 'download_failed') throw downloadFailure(cause, this.#o);
        if (err instanceof SourceError && String(errorMessage(cause)).startsWith('ffmpeg')) {
          throw new JobFailure(`the file could not be converted to a format OMICall takes (${errorMessage(cause)}).`);
        }
        result = { ok: false, error: 'download_interrupted', message: errorMessage(cause), retryable: true };
      }
      if (result.ok) return;
      const last = !result.retryable || attempt >= delays.length;
      log.warn('upload failed', { attempt: attempt + 1, error: result.error, willRetry: !last });
      if (last) {
        const detail = result.message ? `${result.error}: ${result.message}` : result.error;
        throw new JobFailure(
          result.retryable
            ? `OMICall could not be reached after ${attempt + 1} attempts (${detail}). Try again later with the Transcribe shortcut.`
            : `OMICall refused the audio (${detail}).`,
        );
      }
      await sleep(delays[attempt]);
    }
  }

  async #download(file: SlackFile): Promise<Download> {
    const url = file.url_private_download ?? file.url_private;
    if (!url) throw new JobFailure('Slack gave no download link for the file.');
    try {
      return await openDownload(url, {
        token: this.#o.slackToken,
        isSlackHost: this.#o.isSlackHost,
        maxBytes: this.#o.maxAudioBytes,
        deadlineMs: this.#o.downloadDeadlineMs,
      });
    } catch (err) {
      if (err instanceof DownloadError && err.code !== 'download_failed') throw downloadFailure(err, this.#o);
      if (err instanceof DownloadError) {
        const hint =
          err.status === 404
            ? ' It may have been deleted.'
            : err.status === 403
              ? ' The app may not have access to it.'
              : '';
        throw new JobFailure(`the file could not be downloaded: ${err.message}.${hint}`);
      }
      throw new JobFailure(`the file could not be downloaded from Slack (${errorMessage(err)}).`, true);
    }
  }

  /** The file behind a Slack Connect stub; when Slack will not say, the thread is told, since it may be a memo. */
  async #fileInfo(ref: MemoRef, fileId: string): Promise<SlackFile | undefined> {
    try {
      const info = await this.#o.slack.files.info({ file: fileId });
      return info.file as SlackFile;
    } catch (err) {
      const error = slackError(err);
      this.#o.log.warn('files.info failed', { fileId, error });
      const text = `:warning: I could not look at a file shared here (Slack answered \`${error}\`). If it is a voice memo, use the *Transcribe* shortcut on the message to try again.`;
      await this.#o.slack.chat
        .postMessage({ channel: ref.channel, thread_ts: replyThreadTs(ref), text })
        .catch((e: unknown) => this.#o.log.error('could not post to the thread', { error: slackError(e) }));
      return undefined;
    }
  }

  async #setState(job: JobRecord, patch: Partial<JobRecord>): Promise<void> {
    Object.assign(job, patch);
    await saveJob(this.#o.store, job);
    this.#o.replies.refresh(job.trackingId, job);
  }

  async #fail(job: JobRecord, reason: string): Promise<void> {
    try {
      await this.#setState(job, { state: 'failed', failure: reason });
      // Released so that asking again (shortcut, /transcribe) can start over.
      await this.#o.store.delete(keys.claim(job.trackingId));
      await unlistChannelJob(this.#o.store, job);
    } catch (err) {
      this.#o.log.error('could not record a failure', { trackingId: job.trackingId, error: errorMessage(err) });
    }
  }

  /**
   * Stops taking files, lets accepted ones finish until the deadline, and tells the thread of any
   * still unfinished then, so that none is dropped without a word.
   */
  async stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    const deadline = sleep(deadlineMs, undefined, { ref: false }).then(() => 'deadline' as const);
    const finished = Promise.allSettled([...this.#running]).then(() => 'finished' as const);
    if ((await Promise.race([finished, deadline])) === 'deadline') {
      await Promise.all(
        [...this.#open.values()].map((job) =>
          this.#fail(
            job,
            'the app restarted before the file reached OMICall. Use the Transcribe shortcut on the message to try again.',
          ),
        ),
      );
    }
  }
}
