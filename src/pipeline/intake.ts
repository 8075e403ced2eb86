import { messages } from '../i18n/index.ts';
import {
  currentAttempt,
  JOB_TTL_MS,
  type JobRecord,
  keys,
  listChannelJob,
  loadJob,
  RESTARTABLE,
  saveJob,
  workerAlive,
} from '../records/jobs.ts';
import {
  type MemoRef,
  memoKey,
  replyThreadTs,
  signTrackingId,
  tsSeconds,
  verifyTrackingId,
} from '../records/tracking-id.ts';
import { slackError } from '../slack/errors.ts';
import {
  classifyFile,
  displayName,
  type FileKind,
  isStub,
  reportedSeconds,
  type SlackFile,
  slimFile,
} from '../slack/files.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';
import type { PipelineContext } from './context.ts';

/** Where a message shared its files. */
export type MessageRef = Omit<MemoRef, 'fileId'>;

/** What became of a file shared while automatic transcription is on. */
export type SubmitOutcome =
  | { status: 'started'; trackingId: string }
  /** Claimed already: Slack's retry, the same event on another instance, or asked for before. */
  | { status: 'duplicate' }
  | { status: 'not-audio' }
  /** A Slack Connect stub that files.info would not describe; the thread was told. */
  | { status: 'unreadable' }
  | { status: 'stopping' };

/** What became of asking for a file's transcript (shortcut, /transcribe). */
export type AskOutcome =
  | { status: 'started'; trackingId: string }
  /** Its worker was gone, or the queue had lost it: put back in line. */
  | { status: 'requeued'; trackingId: string }
  /** `growing`: text has arrived already (it can be downloaded as it is so far). */
  | { status: 'in-progress'; trackingId: string; growing?: boolean }
  | { status: 'done'; trackingId: string }
  | { status: 'not-audio' }
  | { status: 'unreadable' }
  | { status: 'stopping' };

/**
 * Where a memo enters the pipeline: each shared file is claimed once (across instances and Slack's retries),
 * recorded, shown as queued in its thread, and added to the queue, where a worker relays it.
 */
export class Intake {
  readonly #c: PipelineContext;
  #stopping = false;

  constructor(context: PipelineContext) {
    this.#c = context;
  }

  /** From now on, files are refused with 'stopping' (the thread is told by the caller). */
  stop(): void {
    this.#stopping = true;
  }

  /**
   * A file shared while automatic transcription is on. It is taken once a burst of Slack's requests has been
   * acknowledged (20 ms after the last one, at most 500 ms after the first; at once when Slack is quiet), so that
   * 100 memos shared at once are acknowledged first and claimed right after.
   */
  async submit(message: MessageRef, shared: SlackFile): Promise<SubmitOutcome> {
    await this.#c.bursts.quiet();
    const found = await this.#audio(message, shared);
    if (!('file' in found)) return found;
    const { ref, file, kind } = found;
    // The message's own time: Slack's retries and other instances compute the same tracking ID.
    const trackingId = signTrackingId(ref, tsSeconds(ref.ts), this.#c.settings.trackingKey);
    if (!(await this.#c.store.claim(keys.memo(memoKey(ref)), trackingId, JOB_TTL_MS))) return { status: 'duplicate' };
    await this.#start(ref, file, trackingId, kind === 'maybe-audio');
    return { status: 'started', trackingId };
  }

  /** Someone asked for this file's transcript. Never refused for a job whose worker is gone. */
  async ask(message: MessageRef, shared: SlackFile): Promise<AskOutcome> {
    const found = await this.#audio(message, shared);
    if (!('file' in found)) return found;
    const { ref, file, kind } = found;
    const { store, settings } = this.#c;
    const key = keys.memo(memoKey(ref));
    const fresh = signTrackingId(ref, Date.now() / 1000, settings.trackingKey);
    const current = await currentAttempt(store, memoKey(ref));
    if (!current) {
      if (!(await store.claim(key, fresh, JOB_TTL_MS))) return { status: 'in-progress', trackingId: fresh };
      await this.#start(ref, file, fresh, kind === 'maybe-audio');
      return { status: 'started', trackingId: fresh };
    }
    const job = await loadJob(store, current);
    if (!job || RESTARTABLE.includes(job.state)) {
      // A new attempt needs a new ID. Tracking IDs carry whole seconds, so asking again within the second the
      // failed attempt was issued (an automatic one is issued at the message's ts, which Slack's clock may put a
      // moment ahead of ours) signed the very same ID: the queue, which keeps one job per ID, refused the new job
      // as a duplicate and the thread said "in line" for ever. The new attempt is dated after the old one.
      const previous = verifyTrackingId(current, settings.trackingKey)?.issuedAt ?? 0;
      const renewed = signTrackingId(ref, Math.max(Date.now() / 1000, previous + 1), settings.trackingKey);
      // Swapped only from the attempt we saw, so two people asking at once start one new attempt.
      if (!(await store.swap(key, current, renewed, JOB_TTL_MS))) return { status: 'in-progress', trackingId: current };
      await this.#start(ref, file, renewed, kind === 'maybe-audio');
      return { status: 'started', trackingId: renewed };
    }
    if (job.state === 'complete') return { status: 'done', trackingId: current };
    if (job.state === 'queued' || job.state === 'sending') {
      const inQueue = await this.#c.queue.inspect(current);
      const lost = !inQueue || inQueue.state === 'failed' || inQueue.state === 'completed';
      const workerDead =
        inQueue?.state === 'active' && job.worker !== undefined && !(await workerAlive(store, job.worker));
      const orphaned = inQueue?.state === 'active' && (inQueue.orphaned || workerDead);
      if (lost || orphaned) {
        const relay = { trackingId: current, ref: pickRef(job), file: slimFile(file), unsure: kind === 'maybe-audio' };
        if (await this.#c.queue.requeue(relay, { workerDead })) {
          this.#c.log.info('requeued', { trackingId: current, was: inQueue?.state ?? 'missing' });
          return { status: 'requeued', trackingId: current };
        }
      }
    }
    return { status: 'in-progress', trackingId: current, growing: job.state === 'receiving' };
  }

  /** The shared file, looked up when it is a stub, when it may be audio and the app takes work; else why not. */
  async #audio(
    message: MessageRef,
    shared: SlackFile,
  ): Promise<{ ref: MemoRef; file: SlackFile; kind: FileKind } | { status: 'unreadable' | 'not-audio' | 'stopping' }> {
    const ref: MemoRef = { ...message, fileId: shared.id };
    const file = isStub(shared) ? await this.#fileInfo(ref, shared.id) : shared;
    if (!file) return { status: 'unreadable' };
    const kind = classifyFile(file);
    if (kind === 'not-audio') return { status: 'not-audio' };
    if (this.#stopping) return { status: 'stopping' };
    return { ref, file, kind };
  }

  async #start(ref: MemoRef, file: SlackFile, trackingId: string, unsure: boolean): Promise<void> {
    const { store, queue, metrics, replies, log } = this.#c;
    const job: JobRecord = {
      ...ref,
      trackingId,
      fileName: displayName(file),
      state: 'queued',
      createdAt: Date.now(),
      durationSeconds: reportedSeconds(file),
    };
    log.info('received', { trackingId, channel: ref.channel, fileId: file.id, size: file.size, unsure });
    await saveJob(store, job);
    metrics.jobs.inc({ state: 'queued' });
    await listChannelJob(store, job);
    // A file that may not be audio shows nothing until its first bytes say it is.
    if (!unsure) replies.refresh(ref);
    await queue.add({ trackingId, ref, file: slimFile(file), unsure });
  }

  /** The file behind a Slack Connect stub; when Slack will not say, the thread is told, since it may be a memo. */
  async #fileInfo(ref: MemoRef, fileId: string): Promise<SlackFile | undefined> {
    const { slack, log, settings } = this.#c;
    try {
      const info = await slack.files.info({ file: fileId });
      return info.file as SlackFile | undefined;
    } catch (err) {
      const error = slackError(err);
      log.warn('files.info failed', { fileId, error });
      const text = messages(settings.lang).cannotLookAtFile({ error: escapeMrkdwn(error) });
      await slack.chat
        .postMessage({ channel: ref.channel, thread_ts: replyThreadTs(ref), text })
        .catch((e: unknown) => log.error('could not post to the thread', { error: slackError(e) }));
      return undefined;
    }
  }
}

function pickRef(job: JobRecord): MemoRef {
  return { channel: job.channel, ts: job.ts, fileId: job.fileId, ...(job.threadTs ? { threadTs: job.threadTs } : {}) };
}
