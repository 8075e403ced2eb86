import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Channels } from '../records/channels.ts';
import { type JobRecord, type Jobs, RESTARTABLE } from '../records/job.ts';
import type { Ledger } from '../records/ledger.ts';
import type { MemoIndex } from '../records/memo-index.ts';
import type { PersonJobs } from '../records/people.ts';
import { type MemoRef, signTrackingId, tsSeconds, verifyTrackingId } from '../records/tracking-id.ts';
import { fileInfo } from '../slack/file-info.ts';
import { classifyFile, displayName, isStub, reportedSeconds, type SlackFile, slimFile } from '../slack/files.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { JobObserver } from './observer.ts';
import type { RelayQueue } from './queue/index.ts';
import { type Recovery, relayOf } from './recovery.ts';
import type { ReplyWriter } from './thread.ts';

/** Where a message shared its files. */
export interface SharedMessage extends Omit<MemoRef, 'fileId'> {
  /** Who shared them. */
  user?: string;
}

/** What became of a file shared while automatic transcription is on. */
export type SubmitOutcome =
  | { status: 'started'; trackingId: string }
  /** Taken already: Slack's retry, the same event on another instance, or asked for before. */
  | { status: 'duplicate' }
  | { status: 'not-audio' }
  /**
   * The workspace has no provider account (distribution mode, no key of its own, no default): nothing is claimed or
   * sent. `sure`: the file is audio (not merely maybe), so its thread may be told.
   */
  | { status: 'no-account'; sure: boolean }
  | { status: 'stopping' };

/** What became of asking for a file's transcript (shortcut, /transcribe). */
export type AskOutcome =
  | { status: 'started'; trackingId: string }
  /** Its process was gone, or it had left the queue: put back in line. */
  | { status: 'requeued'; trackingId: string }
  /** `growing`: text has arrived already (it can be downloaded as it is so far). */
  | { status: 'in-progress'; trackingId: string; growing?: boolean }
  | { status: 'done'; trackingId: string }
  | { status: 'not-audio' }
  /** A Slack Connect file that files.info would not describe. */
  | { status: 'unreadable' }
  /** The workspace has no provider account yet: nothing is sent (its admins are told). */
  | { status: 'no-account' }
  | { status: 'stopping' };

export interface IntakeOptions {
  jobs: Jobs;
  channels: Channels;
  /** Each person's memos, for their Home tab. */
  people: PersonJobs;
  /** Every attempt at a file, to find them when it is deleted. */
  index: MemoIndex;
  ledger: Ledger;
  queue: RelayQueue;
  replies: ReplyWriter;
  recovery: Recovery;
  workspaces: Workspaces;
  changes: JobObserver;
  metrics: Metrics;
  log: Logger;
  /** Key of the tracking IDs' signature. */
  trackingKey: string;
}

/**
 * Where a memo enters the pipeline. Each shared file is claimed once (across instances and Slack's retries),
 * recorded, entered in the relay ledger and queued, all before Slack gets its answer: an event Slack has been
 * answered for is never sent again, so a memo must be in the store by then. Every step can be run again (Slack
 * retries an event that was not answered), so a process killed half-way loses nothing.
 */
export class Intake {
  readonly #o: IntakeOptions;
  #stopping = false;

  constructor(options: IntakeOptions) {
    this.#o = options;
  }

  /** From now on, files are refused with 'stopping' (the thread is told by the caller). */
  stop(): void {
    this.#stopping = true;
  }

  /**
   * The files of a message shared where automatic transcription is on. Resolves once each audio file is durably
   * queued. A Slack Connect stub is queued to be looked up with `files.info` by the relay.
   */
  async submit(message: SharedMessage, files: readonly SlackFile[]): Promise<SubmitOutcome[]> {
    const outcomes: SubmitOutcome[] = [];
    for (const shared of files) outcomes.push(await this.#submitOne(message, shared));
    return outcomes;
  }

  async #submitOne(message: SharedMessage, shared: SlackFile): Promise<SubmitOutcome> {
    const lookUp = isStub(shared);
    const kind = lookUp ? 'maybe-audio' : classifyFile(shared);
    if (kind === 'not-audio') return { status: 'not-audio' };
    if (this.#stopping) return { status: 'stopping' };
    if (!(await this.#o.workspaces.account(message.workspace))) return { status: 'no-account', sure: kind === 'audio' };
    const ref = this.#ref(message, shared);
    // The message's own time: Slack's retries and other instances compute the same tracking ID.
    const trackingId = signTrackingId(ref, tsSeconds(ref.ts), this.#o.trackingKey);
    if (!(await this.#o.jobs.claim(ref, trackingId))) {
      // Taken before, maybe by a process that died before it finished: finish what it began, once.
      if ((await this.#o.jobs.current(ref)) !== trackingId) return { status: 'duplicate' };
      const job = await this.#o.jobs.load(ref.workspace, trackingId);
      if (job && (job.state !== 'queued' || (await this.#o.queue.stateOf(relayOf(job).id))))
        return { status: 'duplicate' };
    }
    await this.#start(this.#job(ref, message, shared, trackingId, kind === 'maybe-audio', lookUp));
    return { status: 'started', trackingId };
  }

  /**
   * The files of a message that may be audio, Slack Connect stubs described by `files.info` (a stub Slack will not
   * describe is kept: it may be a memo, and asking for it says so).
   */
  async audioFiles(workspace: string, files: readonly SlackFile[]): Promise<SlackFile[]> {
    const found: SlackFile[] = [];
    for (const file of files) {
      if (!isStub(file)) {
        if (classifyFile(file) !== 'not-audio') found.push(file);
        continue;
      }
      const described = await this.#describe(workspace, file.id);
      if (!described) found.push(file);
      else if (classifyFile(described) !== 'not-audio') found.push(described);
    }
    return found;
  }

  /** Someone asked for this file's transcript. Never refused for a job whose process is gone. */
  async ask(message: SharedMessage, shared: SlackFile): Promise<AskOutcome> {
    let file = shared;
    if (isStub(shared)) {
      const found = await this.#describe(message.workspace, shared.id);
      if (!found) return { status: 'unreadable' };
      file = found;
    }
    const kind = classifyFile(file);
    if (kind === 'not-audio') return { status: 'not-audio' };
    if (this.#stopping) return { status: 'stopping' };
    if (!(await this.#o.workspaces.account(message.workspace))) return { status: 'no-account' };
    const { jobs, trackingKey } = this.#o;
    const ref = this.#ref(message, file);
    const current = await jobs.current(ref);
    if (!current) {
      const fresh = signTrackingId(ref, Date.now() / 1000, trackingKey);
      if (!(await jobs.claim(ref, fresh))) return this.ask(message, shared);
      await this.#start(this.#job(ref, message, file, fresh, kind === 'maybe-audio', false));
      return { status: 'started', trackingId: fresh };
    }
    const job = await jobs.load(ref.workspace, current);
    if (!job || RESTARTABLE.includes(job.state)) {
      // A new attempt is dated after the one it replaces (tracking IDs carry whole seconds, and an automatic one
      // is dated at the message's ts, which may be a moment ahead of this clock): the two never share an ID.
      const previous = verifyTrackingId(current, trackingKey)?.issuedAt ?? 0;
      const renewed = signTrackingId(ref, Math.max(Date.now() / 1000, previous + 1), trackingKey);
      // Swapped only from the attempt seen, so two people asking at once start one new attempt.
      if (!(await jobs.renew(ref, current, renewed))) return { status: 'in-progress', trackingId: current };
      await this.#start(this.#job(ref, message, file, renewed, kind === 'maybe-audio', false));
      return { status: 'started', trackingId: renewed };
    }
    if (job.state === 'complete') return { status: 'done', trackingId: current };
    if ((await this.#o.recovery.rescue(job)) === 'put-back') return { status: 'requeued', trackingId: current };
    return { status: 'in-progress', trackingId: current, growing: job.state === 'receiving' };
  }

  #ref(message: SharedMessage, file: SlackFile): MemoRef {
    return {
      workspace: message.workspace,
      channel: message.channel,
      ts: message.ts,
      fileId: file.id,
      ...(message.threadTs && message.threadTs !== message.ts ? { threadTs: message.threadTs } : {}),
    };
  }

  #job(
    ref: MemoRef,
    message: SharedMessage,
    file: SlackFile,
    trackingId: string,
    unsure: boolean,
    lookUp: boolean,
  ): JobRecord {
    return {
      ...ref,
      trackingId,
      fileName: displayName(file),
      state: 'queued',
      createdAt: Date.now(),
      ...(message.user ? { user: message.user } : {}),
      durationSeconds: reportedSeconds(file),
      run: 1,
      unsure,
      lookUp,
      file: slimFile(file),
    };
  }

  async #start(job: JobRecord): Promise<void> {
    const { jobs, ledger, channels, index, queue, replies, metrics, log, workspaces } = this.#o;
    log.info('received', { trackingId: job.trackingId, channel: job.channel, fileId: job.fileId, size: job.file.size });
    await workspaces.note(job.workspace);
    const ttlMs = await workspaces.retentionMs(job.workspace);
    // Written side by side (one round trip on Redis, not five), all before the queue entry: the job, the ledger
    // (recovery), and the lists that find the memo again (status, the Home tab, a deletion).
    await Promise.all([
      jobs.create(job).then((created) => created && metrics.jobs.inc({ state: 'queued' })),
      ledger.enter({ workspace: job.workspace, trackingId: job.trackingId, since: Date.now() }),
      index.noteAttempt(job.workspace, job.fileId, job.trackingId, ttlMs),
      channels.list(
        job.workspace,
        job.channel,
        { trackingId: job.trackingId, fileName: job.fileName, since: job.createdAt },
        ttlMs,
      ),
      job.user ? this.#listFor(job, job.user, ttlMs) : undefined,
    ]);
    await queue.add(relayOf(job));
    if (!job.unsure) await replies.refresh(job);
  }

  /** Lists the memo in its sharer's Home tab (which leaves out files not yet known to be audio). */
  async #listFor(job: JobRecord, user: string, ttlMs: number): Promise<void> {
    const entry = {
      trackingId: job.trackingId,
      channel: job.channel,
      ts: job.ts,
      fileId: job.fileId,
      fileName: job.fileName,
      since: job.createdAt,
      ...(job.threadTs ? { threadTs: job.threadTs } : {}),
    };
    await this.#o.people.list(job.workspace, user, entry, ttlMs);
    this.#o.changes.changed({ workspace: job.workspace, user });
  }

  /** The file behind a Slack Connect stub, or undefined when Slack will not describe it. */
  async #describe(workspace: string, fileId: string): Promise<SlackFile | undefined> {
    const slack = await this.#o.workspaces.slack(workspace);
    if (!slack) return undefined;
    const info = await fileInfo(slack.web, fileId, this.#o.log);
    return info.ok ? info.file : undefined;
  }
}
