import { createHash, randomUUID } from 'node:crypto';
import type { Lang } from '../i18n/index.ts';
import type { Timings } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { type JobRecord, type Jobs, keptFor } from '../records/job.ts';
import type { Heartbeat } from '../records/ledger.ts';
import type { Segment, Segments } from '../records/segments.ts';
import { type MemoRef, replyThreadTs } from '../records/tracking-id.ts';
import { slackError, slackRefused } from '../slack/errors.ts';
import type { Store } from '../store/index.ts';
import { type MemoId, memoField, parseMemoField, workspaceKeys } from '../store/keys.ts';
import type { WorkspaceSlack, Workspaces } from '../workspaces/index.ts';
import type { Foreground } from './foreground.ts';
import { type ReplyView, renderReply, type SlackMessage } from './render.ts';

const REACTIONS: Record<ReplyView['kind'] | 'complete', string> = {
  queued: 'hourglass_flowing_sand',
  sending: 'hourglass_flowing_sand',
  waiting: 'hourglass_flowing_sand',
  transcript: 'memo',
  complete: 'white_check_mark',
  failed: 'warning',
  timed_out: 'warning',
};

/** What the thread shows for one shared file (across attempts); written only under the memo's reply lock. */
export interface ReplyRecord {
  fileName: string;
  /** The thread replies that show this file (more than one for long transcripts). */
  replyTs: string[];
  /** A digest of what each reply last showed, to skip updates that change nothing. */
  shown: string[];
  /** The reaction this file put on the memo. */
  reaction?: string;
  /** The reply being posted: set before `chat.postMessage`, cleared once its ts is saved. */
  posting?: number;
}

/** The metadata on each reply, so that one a killed process posted can be found again. */
const REPLY_EVENT = 'transcript_reply';

export interface ReplyWriterOptions {
  store: Store;
  jobs: Jobs;
  segments: Segments;
  workspaces: Workspaces;
  heartbeat: Heartbeat;
  log: Logger;
  metrics: Metrics;
  /** The language of a workspace's threads (its admins' setting, else APP_LANGUAGE). */
  langOf: (workspace: string) => Promise<Lang>;
  /** The provider's name, as users read it. */
  provider: string;
  /** This process: a reply lock names its owner, so that a dead owner's lock can be taken over. */
  instanceId: string;
  timings: Pick<Timings, 'replyGapMs' | 'replyLockRetryMs' | 'replyLockTtlMs' | 'repliesOwedSweepMs'>;
  /** Writes wait while Slack's requests are being answered. */
  foreground?: Foreground;
}

interface Pending {
  ref: MemoRef;
  timer?: NodeJS.Timeout;
  running: boolean;
  again: boolean;
  lastWrite: number;
  /** When the oldest change not yet shown arrived through a callback, for the callback → update metric. */
  callbackAt?: number;
}

/**
 * Keeps each file's thread reply (and the memo's reaction) in step with its job and segments: this is where a
 * result lands in Slack. A change is first noted in the store as owed (`replies-owed`), so that a reply a process
 * could not write before it died is written by the next one; then it is written at once if the reply is idle, else
 * gathered with the changes that come meanwhile into one later write (at most one write per reply every
 * `replyGapMs`). A lock in the store, with an owner token and renewed while writing, keeps two instances from
 * writing one reply.
 */
export class ReplyWriter {
  readonly #o: ReplyWriterOptions;
  readonly #pending = new Map<string, Pending>();
  #idle: (() => void)[] = [];
  #changes = 0;
  #sweep: NodeJS.Timeout | undefined;
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(options: ReplyWriterOptions) {
    this.#o = options;
    this.#warn = onceIn(10_000, options.log);
  }

  /**
   * Shows the memo's current state in its thread. Resolves once the change is noted as owed (the write itself
   * follows). `callbackAt`: the change came with a callback then.
   */
  async refresh(ref: MemoRef, callbackAt?: number): Promise<void> {
    const change = `${this.#o.instanceId}:${++this.#changes}`;
    try {
      await this.#o.store.update(workspaceKeys(ref.workspace).repliesOwed(), { [memoField(ref)]: change });
    } catch (err) {
      this.#warn('could not note a reply change', { error: slackError(err) });
    }
    this.#queue(ref, callbackAt);
  }

  /** Writes the replies owed in every workspace now, and from then on every `repliesOwedSweepMs`. */
  start(): void {
    const sweep = () =>
      void this.#writeOwed().catch((err: unknown) =>
        this.#warn('replies owed: could not look', { error: slackError(err) }),
      );
    sweep();
    this.#sweep = setInterval(sweep, this.#o.timings.repliesOwedSweepMs);
    this.#sweep.unref();
  }

  stop(): void {
    clearInterval(this.#sweep);
  }

  /** Resolves when every change has been written. */
  idle(): Promise<void> {
    return this.#busy() ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }

  async #writeOwed(): Promise<void> {
    for (const workspace of await this.#o.workspaces.list()) {
      const owed = await this.#o.store.record<Record<string, string>>(workspaceKeys(workspace).repliesOwed());
      for (const field of Object.keys(owed ?? {})) {
        const memo = parseMemoField(field);
        if (!memo) continue;
        const job = await this.#currentJob({ workspace, ...memo });
        if (job) this.#queue(job);
      }
    }
  }

  #queue(ref: MemoRef, callbackAt?: number): void {
    const key = `${ref.workspace}/${memoField(ref)}`;
    let p = this.#pending.get(key);
    if (!p) {
      p = { ref, running: false, again: false, lastWrite: 0 };
      this.#pending.set(key, p);
    }
    if (callbackAt !== undefined) p.callbackAt = Math.min(p.callbackAt ?? callbackAt, callbackAt);
    if (p.running) p.again = true;
    else if (!p.timer) this.#schedule(key, p, p.lastWrite + this.#o.timings.replyGapMs - Date.now());
  }

  #busy(): boolean {
    return [...this.#pending.values()].some((p) => p.running || p.timer !== undefined);
  }

  #schedule(key: string, p: Pending, delayMs: number): void {
    p.timer = setTimeout(() => void this.#run(key, p), Math.max(0, delayMs));
  }

  async #run(key: string, p: Pending): Promise<void> {
    p.timer = undefined;
    p.running = true;
    await this.#o.foreground?.yield();
    const callbackAt = p.callbackAt;
    p.callbackAt = undefined;
    let retryIn = this.#o.timings.replyGapMs;
    try {
      if (await this.#locked(p.ref, () => this.#write(p.ref))) {
        if (callbackAt !== undefined) this.#o.metrics.callbackToUpdateSeconds.observe((Date.now() - callbackAt) / 1000);
      } else {
        p.again = true;
        p.callbackAt = callbackAt;
        retryIn = this.#o.timings.replyLockRetryMs;
      }
    } catch (err) {
      this.#o.log.error('could not update the thread reply', { memo: key, error: slackError(err) });
    } finally {
      p.running = false;
      p.lastWrite = Date.now();
      if (p.again) {
        p.again = false;
        this.#schedule(key, p, retryIn);
      } else {
        // Kept for one gap, so that the next change keeps its distance from this write.
        setTimeout(() => {
          if (!p.running && !p.timer) this.#pending.delete(key);
        }, this.#o.timings.replyGapMs).unref();
      }
      if (!this.#busy()) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /**
   * Runs write under the memo's reply lock; false when another live instance holds it. The lock carries a token of
   * its own, is renewed while the write lasts (a Slack answer can take a minute under rate limits), and is released
   * only by its owner, so that a slow writer's lock never expires under it and is never deleted by another.
   */
  async #locked(ref: MemoRef, write: () => Promise<void>): Promise<boolean> {
    const { store, timings } = this.#o;
    const lock = workspaceKeys(ref.workspace).replyLock(ref);
    const owner = `${this.#o.instanceId}/${randomUUID()}`;
    if (!(await store.claim(lock, owner, timings.replyLockTtlMs)) && !(await this.#takeOver(lock, owner))) return false;
    const renew = setInterval(
      () => void store.extend(lock, owner, timings.replyLockTtlMs).catch(() => {}),
      timings.replyLockTtlMs / 3,
    );
    try {
      await write();
      return true;
    } finally {
      clearInterval(renew);
      await store.release(lock, owner).catch(() => {});
    }
  }

  /**
   * Takes a lock over from a process that died holding it (its heartbeat expired), or that is this process and
   * could not release it (the store went away mid-write): such a lock protects nothing.
   */
  async #takeOver(lock: string, owner: string): Promise<boolean> {
    const { store, timings } = this.#o;
    const held = await store.peek(lock);
    const holder = held?.split('/')[0];
    if (!held || !holder) return false;
    if (holder !== this.#o.instanceId && (await this.#o.heartbeat.alive(holder))) return false;
    this.#o.log.info('reply lock taken over from a process that died', { lock });
    return store.swap(lock, held, owner, timings.replyLockTtlMs);
  }

  async #currentJob(memo: MemoId & { workspace: string }): Promise<JobRecord | undefined> {
    const trackingId = await this.#o.store.peek(workspaceKeys(memo.workspace).memo(memo));
    return trackingId ? this.#o.jobs.load(memo.workspace, trackingId) : undefined;
  }

  async #write(ref: MemoRef): Promise<void> {
    const { store, log } = this.#o;
    const keys = workspaceKeys(ref.workspace);
    const owedKey = keys.repliesOwed();
    const field = memoField(ref);
    // The change this write shows; a change noted after it stays owed for the next write.
    const change = (await store.record<Record<string, string>>(owedKey))?.[field];
    const job = await this.#currentJob(ref);
    const slack = job ? await this.#o.workspaces.slack(ref.workspace) : undefined;
    if (!job || !slack) {
      if (change) await store.update(owedKey, { [field]: null }, { when: { [field]: [change] } });
      return;
    }
    // A file that may not be audio shows nothing until its first bytes say it is.
    if (!job.unsure) {
      const [segments, saved] = await Promise.all([
        this.#o.segments.load(ref.workspace, job.trackingId),
        store.get<ReplyRecord>(keys.reply(ref)),
      ]);
      const reply = saved ?? { fileName: job.fileName, replyTs: [], shown: [] };
      const view = viewOf(job, segments);
      const lang = await this.#o.langOf(ref.workspace);
      const rendered = renderReply(reply.fileName, view, { lang, provider: this.#o.provider });
      const ttlMs = keptFor(job, await this.#o.workspaces.retentionMs(ref.workspace));
      for (const [i, message] of rendered.entries()) await this.#show(slack, job, reply, i, message, ttlMs);
      const reaction = view.kind === 'transcript' && view.complete ? REACTIONS.complete : REACTIONS[view.kind];
      await this.#react(slack, job, reply, reaction);
      await store.set(keys.reply(ref), reply, ttlMs);
      log.info('posted', { trackingId: job.trackingId, state: job.state, replies: reply.replyTs.length });
    }
    if (change) await store.update(owedKey, { [field]: null }, { when: { [field]: [change] } });
  }

  /** Posts or updates the i-th reply, unless it shows this already. */
  async #show(
    slack: WorkspaceSlack,
    job: JobRecord,
    reply: ReplyRecord,
    i: number,
    message: SlackMessage,
    ttlMs: number,
  ): Promise<void> {
    const digest = digestOf(message);
    if (reply.shown[i] === digest) return;
    // A process killed between posting this reply and saving its ts left `posting`: the reply may be in the thread.
    if (reply.posting === i && !reply.replyTs[i]) {
      const found = await this.#findPosted(slack, job, i);
      if (found) reply.replyTs[i] = found;
    }
    const ts = reply.replyTs[i];
    const key = workspaceKeys(job.workspace).reply(job);
    if (ts) {
      await slack.web.chat.update({ channel: job.channel, ts, text: message.text, blocks: message.blocks });
    } else {
      reply.posting = i;
      await this.#o.store.set(key, reply, ttlMs);
      const posted = await slack.web.chat.postMessage({
        channel: job.channel,
        thread_ts: replyThreadTs(job),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: { event_type: REPLY_EVENT, event_payload: { memo: memoField(job), part: i } },
      });
      if (typeof posted.ts === 'string') reply.replyTs[i] = posted.ts;
      delete reply.posting;
    }
    reply.shown[i] = digest;
    // Saved after each message, so a crash between two never posts a message twice.
    await this.#o.store.set(key, reply, ttlMs);
  }

  /**
   * Deletes what a memo's thread shows (its replies, the reaction on the memo) and its reply record, under the memo's
   * reply lock, so that no write is half done meanwhile; the memo's current attempt must be gone already, so that no
   * write follows. False when the lock stayed taken or Slack could not be reached: to be tried again.
   */
  async withdraw(ref: MemoRef): Promise<boolean> {
    const { timings } = this.#o;
    const until = Date.now() + timings.replyLockTtlMs;
    for (;;) {
      let done = false;
      const withdraw = async () => {
        done = await this.#withdraw(ref);
      };
      if (await this.#locked(ref, withdraw)) return done;
      if (Date.now() > until) return false;
      await new Promise((resolve) => setTimeout(resolve, timings.replyLockRetryMs));
    }
  }

  async #withdraw(ref: MemoRef): Promise<boolean> {
    const { store, log } = this.#o;
    const keys = workspaceKeys(ref.workspace);
    const reply = await store.get<ReplyRecord>(keys.reply(ref));
    const slack = reply ? await this.#o.workspaces.slack(ref.workspace) : undefined;
    if (reply && slack) {
      const posted = [...reply.replyTs];
      // A reply whose ts a killed process could not save is found by its metadata.
      if (reply.posting !== undefined && !posted[reply.posting]) {
        const found = await this.#findPosted(slack, ref, reply.posting);
        if (found) posted[reply.posting] = found;
      }
      for (const ts of posted) {
        if (!ts) continue;
        try {
          await slack.web.chat.delete({ channel: ref.channel, ts });
        } catch (err) {
          if (!slackRefused(err)) {
            log.warn('could not delete a reply: will try again', { error: slackError(err) });
            return false;
          }
          if (slackError(err) !== 'message_not_found')
            log.warn('Slack refused to delete a reply', { error: slackError(err) });
        }
      }
      if (reply.reaction) {
        await slack.web.reactions
          .remove({ channel: ref.channel, timestamp: ref.ts, name: reply.reaction })
          .catch(() => {}); // The memo itself is gone, most often, and its reactions with it.
      }
    }
    await store.delete(keys.reply(ref));
    await store.update(keys.repliesOwed(), { [memoField(ref)]: null });
    return true;
  }

  /** The ts of the i-th reply of a memo in its thread, found by its metadata, when it is there. */
  async #findPosted(slack: WorkspaceSlack, job: MemoRef, i: number): Promise<string | undefined> {
    try {
      const found = await slack.web.conversations.replies({
        channel: job.channel,
        ts: replyThreadTs(job),
        include_all_metadata: true,
        limit: 200,
      });
      const mine = (found.messages ?? []).find((m) => {
        const payload = m.metadata?.event_payload as { memo?: unknown; part?: unknown } | undefined;
        return m.metadata?.event_type === REPLY_EVENT && payload?.memo === memoField(job) && payload?.part === i;
      });
      return typeof mine?.ts === 'string' ? mine.ts : undefined;
    } catch (err) {
      this.#o.log.warn('could not look for a reply posted before a restart', { error: slackError(err) });
      return undefined;
    }
  }

  async #react(slack: WorkspaceSlack, job: JobRecord, reply: ReplyRecord, name: string): Promise<void> {
    if (reply.reaction === name) return;
    const { log } = this.#o;
    try {
      if (reply.reaction)
        await slack.web.reactions.remove({ channel: job.channel, timestamp: job.ts, name: reply.reaction });
    } catch (err) {
      if (slackError(err) !== 'no_reaction') log.warn('could not remove a reaction', { error: slackError(err) });
    }
    try {
      await slack.web.reactions.add({ channel: job.channel, timestamp: job.ts, name });
    } catch (err) {
      if (slackError(err) !== 'already_reacted') log.warn('could not add a reaction', { error: slackError(err) });
    }
    reply.reaction = name;
  }
}

/** What the thread shows for a job: its transcript once there is one, else where it stands. */
function viewOf(job: JobRecord, segments: Segment[]): ReplyView {
  if (segments.length > 0) {
    return {
      kind: 'transcript',
      segments,
      complete: job.state === 'complete',
      durationSeconds: job.durationSeconds,
      exportValue: job.trackingId,
    };
  }
  switch (job.state) {
    case 'queued':
    case 'sending':
    case 'waiting':
      return { kind: job.state };
    // A job completes only once it has segments (src/pipeline/completion.ts); without them it is still waiting.
    case 'receiving':
    case 'complete':
      return { kind: 'waiting' };
    case 'failed':
      return { kind: 'failed', failure: job.failure ?? { code: 'internal' } };
    case 'timed_out':
      return {
        kind: 'timed_out',
        waitedMinutes: Math.floor((Date.now() - (job.acceptedAt ?? job.createdAt)) / 60_000),
      };
  }
}

function digestOf(message: SlackMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}
