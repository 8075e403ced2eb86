import { createHash, randomUUID } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Lang } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import {
  currentAttempt,
  JOB_TTL_MS,
  type JobRecord,
  keys,
  loadJob,
  loadSegments,
  type ReplyRecord,
  workerAlive,
} from '../records/jobs.ts';
import type { Segment } from '../records/segments.ts';
import { type MemoRef, memoKey, replyThreadTs } from '../records/tracking-id.ts';
import { slackError } from '../slack/errors.ts';
import type { Store } from '../store/index.ts';
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

export interface ReplyWriterOptions {
  store: Store;
  slack: webApi.WebClient;
  log: Logger;
  metrics: Metrics;
  lang: Lang;
  /** The provider's name, as users read it. */
  provider: string;
  /** This process: a reply lock names its owner, so that a dead owner's lock can be taken over. */
  instanceId: string;
  /** Writes wait until a burst of Slack's requests has been acknowledged. */
  quiet?: () => Promise<void>;
  /** Least time between two writes of one reply; changes in between are gathered into the next. */
  coalesceMs?: number;
  /** How long to wait when another instance is writing the same reply. */
  lockRetryMs?: number;
  /** The render lock's lifetime; renewed while its owner writes. */
  lockTtlMs?: number;
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
 * Keeps each file's thread reply (and the memo's reaction) in step with its job and segments. This is where a
 * result lands in Slack. A change to a reply that is idle is written at once; changes that come while it is
 * being written, or soon after, are gathered into one later write, so Slack sees at most one write per reply
 * every `coalesceMs`. A lock in the store, held with an owner token and renewed while writing, keeps two
 * instances from writing the same reply.
 */
export class ReplyWriter {
  readonly #o: Required<ReplyWriterOptions>;
  readonly #pending = new Map<string, Pending>();
  #idle: (() => void)[] = [];

  constructor(options: ReplyWriterOptions) {
    this.#o = {
      ...options,
      coalesceMs: options.coalesceMs ?? 300,
      lockRetryMs: options.lockRetryMs ?? 400,
      lockTtlMs: options.lockTtlMs ?? 30_000,
      quiet: options.quiet ?? (() => Promise.resolve()),
    };
  }

  /** Shows the file's current state in its thread. `callbackAt`: the change came with a callback then. */
  refresh(ref: MemoRef, callbackAt?: number): void {
    const key = memoKey(ref);
    let p = this.#pending.get(key);
    if (!p) {
      p = {
        ref,
        running: false,
        // Stryker disable next-line BooleanLiteral: not observable through behaviour, and switched off because each run of it takes ~150 integration tests; `again: true` at creation costs one extra store read after the first write, and the digest sends Slack nothing
        again: false,
        lastWrite: 0,
      };
      this.#pending.set(key, p);
    }
    if (callbackAt !== undefined) p.callbackAt = Math.min(p.callbackAt ?? callbackAt, callbackAt);
    if (p.running) p.again = true;
    else if (!p.timer) this.#schedule(key, p, p.lastWrite + this.#o.coalesceMs - Date.now());
  }

  /** Resolves when every change has been written. */
  idle(): Promise<void> {
    return this.#busy() ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
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
    await this.#o.quiet();
    const callbackAt = p.callbackAt;
    p.callbackAt = undefined;
    let retryIn = this.#o.coalesceMs;
    try {
      if (await this.#locked(key, () => this.#write(p.ref))) {
        if (callbackAt !== undefined) this.#o.metrics.callbackToUpdateSeconds.observe((Date.now() - callbackAt) / 1000);
      } else {
        p.again = true;
        p.callbackAt = callbackAt;
        retryIn = this.#o.lockRetryMs;
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
        // Remembered for a moment, so that the next change keeps its distance from this write.
        // Stryker disable next-line BlockStatement: not observable through behaviour, and switched off because each run of it takes ~150 integration tests; never forgetting the entry is memory only, and it is recreated on the next change anyway
        setTimeout(() => {
          if (!p.running && !p.timer) this.#pending.delete(key);
        }, this.#o.coalesceMs).unref();
      }
      if (!this.#busy()) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /**
   * Runs write under the memo's render lock; false when another instance holds it. The lock carries a token
   * of its own, is renewed while the write lasts (a Slack answer can take a minute under rate limits), and is
   * released only by its owner: a fixed TTL and a plain DEL once let a slow writer's lock expire, a second
   * instance post its own reply, and the first delete the second's lock.
   */
  async #locked(key: string, write: () => Promise<void>): Promise<boolean> {
    const { store, lockTtlMs } = this.#o;
    const lock = keys.renderLock(key);
    // Stryker disable next-line StringLiteral: an empty owner shows only when a process dies holding the lock, which only the kill -9 child-process test does (Stryker does not credit child processes)
    const owner = `${this.#o.instanceId}/${randomUUID()}`;
    if (!(await store.claim(lock, owner, lockTtlMs)) && !(await this.#takeOver(lock, owner))) return false;
    const renew = setInterval(() => void store.extend(lock, owner, lockTtlMs).catch(() => {}), lockTtlMs / 3);
    try {
      await write();
      return true;
    } finally {
      // Stryker disable next-line CallExpression: not observable through behaviour, and switched off because each run of it takes ~150 integration tests; a renewal left running is refused once the lock is released (not the owner's any more)
      clearInterval(renew);
      await store.release(lock, owner).catch(() => {});
    }
  }

  /**
   * Takes a lock over from a process that died holding it (its heartbeat expired): after a SIGKILL mid-write,
   * the memo's reply would otherwise stay as it was until the lock's TTL ran out.
   */
  async #takeOver(lock: string, owner: string): Promise<boolean> {
    const { store, lockTtlMs } = this.#o;
    const held = await store.get<string>(lock);
    const holder = held?.split('/')[0];
    if (!held || !holder) return false;
    // This process writes one reply at a time per memo, so a lock in its own name here is one whose release
    // failed (Redis went away mid-write): without taking it back, the reply stayed stale until the lock's TTL.
    if (holder !== this.#o.instanceId && (await workerAlive(store, holder))) return false;
    this.#o.log.info('reply lock taken over from a process that died', { lock });
    return store.swap(lock, held, owner, lockTtlMs);
  }

  async #write(ref: MemoRef): Promise<void> {
    const { store, log } = this.#o;
    const key = memoKey(ref);
    const trackingId = await currentAttempt(store, key);
    if (!trackingId) return;
    const [job, segments, saved] = await Promise.all([
      loadJob(store, trackingId),
      loadSegments(store, trackingId),
      store.get<ReplyRecord>(keys.reply(key)),
    ]);
    if (!job) return;
    const reply = saved ?? {
      fileName: job.fileName,
      replyTs: [],
      // Stryker disable next-line ArrayDeclaration: equivalent; an entry here is compared with 16-character digests, and no filler ever equals one
      shown: [],
    };
    const view = viewOf(job, segments);
    const rendered = renderReply(reply.fileName, view, { lang: this.#o.lang, provider: this.#o.provider });
    for (const [i, message] of rendered.entries()) await this.#show(ref, reply, i, message);
    const reaction = view.kind === 'transcript' && view.complete ? REACTIONS.complete : REACTIONS[view.kind];
    await this.#react(ref, reply, reaction);
    await store.set(keys.reply(key), reply, JOB_TTL_MS);
    log.info('posted', { trackingId, state: job.state, replies: reply.replyTs.length });
  }

  /** Posts or updates the i-th reply, unless it shows this already. */
  async #show(ref: MemoRef, reply: ReplyRecord, i: number, message: SlackMessage): Promise<void> {
    const digest = digestOf(message);
    if (reply.shown[i] === digest) return;
    const ts = reply.replyTs[i];
    if (ts) {
      await this.#o.slack.chat.update({ channel: ref.channel, ts, text: message.text, blocks: message.blocks });
    } else {
      const posted = await this.#o.slack.chat.postMessage({
        channel: ref.channel,
        thread_ts: replyThreadTs(ref),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
      });
      if (typeof posted.ts === 'string') reply.replyTs[i] = posted.ts;
    }
    reply.shown[i] = digest;
    // Saved after each message, so a crash between two never posts a message twice.
    await this.#o.store.set(keys.reply(memoKey(ref)), reply, JOB_TTL_MS);
  }

  async #react(ref: MemoRef, reply: ReplyRecord, name: string): Promise<void> {
    if (reply.reaction === name) return;
    const { slack, log } = this.#o;
    try {
      if (reply.reaction)
        await slack.reactions.remove({ channel: ref.channel, timestamp: ref.ts, name: reply.reaction });
    } catch (err) {
      if (slackError(err) !== 'no_reaction') log.warn('could not remove a reaction', { error: slackError(err) });
    }
    try {
      await slack.reactions.add({ channel: ref.channel, timestamp: ref.ts, name });
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
    case 'receiving':
    // Stryker disable next-line ConditionalExpression: unreachable; a job completes only once its segments reach the end of the audio (lifecycle.ts), so never without segments
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
  // Stryker disable next-line MethodExpression: equivalent; a digest is only compared with digests made here, whatever their length
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}
