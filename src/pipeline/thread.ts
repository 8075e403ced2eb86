import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Logger } from '../log.ts';
import {
  JOB_TTL_MS,
  type JobState,
  keys,
  loadJob,
  loadSegments,
  type ReplyRecord,
  unlistChannelJob,
} from '../records/jobs.ts';
import { type MemoRef, replyThreadTs } from '../records/tracking-id.ts';
import { slackError } from '../slack/errors.ts';
import { displayName, type SlackFile } from '../slack/files.ts';
import type { Store } from '../store/index.ts';
import { type ReplyState, renderReply, type SlackMessage } from './render.ts';

const REACTIONS: Record<ReplyState['kind'], string> = {
  working: 'hourglass_flowing_sand',
  waiting: 'hourglass_flowing_sand',
  transcript: 'memo',
  failed: 'warning',
};

export interface ReplyWriterOptions {
  store: Store;
  slack: webApi.WebClient;
  log: Logger;
  /** Least time between two writes of one reply; changes in between are gathered into the next. */
  coalesceMs?: number;
  /** How long to wait when another instance is writing the same reply. */
  lockRetryMs?: number;
}

interface Pending {
  ref: MemoRef;
  timer?: NodeJS.Timeout;
  running: boolean;
  again: boolean;
  lastWrite: number;
}

/**
 * Keeps each file's thread reply in step with its job and segments. A change to a reply that is idle is
 * written at once; changes that come while it is being written, or soon after, are gathered into one
 * later write, so Slack sees at most one write per reply every `coalesceMs`. A lock in the store keeps
 * two instances from writing the same reply.
 */
export class ReplyWriter {
  readonly #o: Required<ReplyWriterOptions>;
  readonly #pending = new Map<string, Pending>();
  #idle: (() => void)[] = [];

  constructor(options: ReplyWriterOptions) {
    this.#o = { ...options, coalesceMs: options.coalesceMs ?? 300, lockRetryMs: options.lockRetryMs ?? 400 };
  }

  /** Shows the file's current state in its thread. */
  refresh(trackingId: string, ref: MemoRef): void {
    let p = this.#pending.get(trackingId);
    if (!p) {
      p = { ref, running: false, again: false, lastWrite: 0 };
      this.#pending.set(trackingId, p);
    }
    if (p.running) p.again = true;
    else if (!p.timer) this.#schedule(trackingId, p, p.lastWrite + this.#o.coalesceMs - Date.now());
  }

  /** Resolves when every change has been written. */
  idle(): Promise<void> {
    return this.#busy() ? new Promise((resolve) => this.#idle.push(resolve)) : Promise.resolve();
  }

  #busy(): boolean {
    return [...this.#pending.values()].some((p) => p.running || p.timer !== undefined);
  }

  #schedule(trackingId: string, p: Pending, delayMs: number): void {
    p.timer = setTimeout(() => void this.#run(trackingId, p), Math.max(0, delayMs));
  }

  async #run(trackingId: string, p: Pending): Promise<void> {
    p.timer = undefined;
    p.running = true;
    let retryIn = this.#o.coalesceMs;
    try {
      if (!(await this.#write(trackingId, p.ref))) {
        p.again = true;
        retryIn = this.#o.lockRetryMs;
      }
    } catch (err) {
      this.#o.log.error('could not update the thread reply', { trackingId, error: slackError(err) });
    } finally {
      p.running = false;
      p.lastWrite = Date.now();
      if (p.again) {
        p.again = false;
        this.#schedule(trackingId, p, retryIn);
      } else {
        // Remembered for a moment, so that the next change keeps its distance from this write.
        setTimeout(() => {
          if (!p.running && !p.timer) this.#pending.delete(trackingId);
        }, this.#o.coalesceMs).unref();
      }
      if (!this.#busy()) for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /** False when another instance holds the reply's lock. */
  async #write(trackingId: string, ref: MemoRef): Promise<boolean> {
    const { store, slack, log } = this.#o;
    if (!(await store.claim(keys.renderLock(trackingId), 60_000))) return false;
    try {
      const [job, segments, saved] = await Promise.all([
        loadJob(store, trackingId),
        loadSegments(store, trackingId),
        store.get<ReplyRecord>(keys.reply(trackingId)),
      ]);
      // No record: this instance restarted with the in-memory store, or never saw the upload.
      const reply = saved ?? { fileName: job?.fileName ?? (await this.#fileName(ref)), replyTs: [], shown: [] };
      const jobState: JobState = job?.state ?? 'waiting';
      const state: ReplyState =
        segments.length > 0
          ? { kind: 'transcript', segments }
          : jobState === 'failed'
            ? { kind: 'failed', reason: job?.failure ?? 'unknown error' }
            : { kind: jobState };
      const messages = renderReply(reply.fileName, state);
      for (const [i, message] of messages.entries()) {
        const digest = digestOf(message);
        if (reply.shown[i] === digest) continue;
        const ts = reply.replyTs[i];
        if (ts) {
          await slack.chat.update({ channel: ref.channel, ts, text: message.text, blocks: message.blocks });
        } else {
          const posted = await slack.chat.postMessage({
            channel: ref.channel,
            thread_ts: replyThreadTs(ref),
            text: message.text,
            blocks: message.blocks,
            unfurl_links: false,
            unfurl_media: false,
          });
          reply.replyTs[i] = posted.ts as string;
        }
        reply.shown[i] = digest;
        await store.set(keys.reply(trackingId), reply, JOB_TTL_MS);
      }
      // Transcribing has visibly begun: no longer "in progress" for /transcribe status.
      if (state.kind === 'transcript' && job && reply.reaction !== REACTIONS.transcript)
        await unlistChannelJob(store, job);
      await this.#react(ref, reply, REACTIONS[state.kind]);
      await store.set(keys.reply(trackingId), reply, JOB_TTL_MS);
      log.info('posted', { trackingId, state: state.kind, replies: reply.replyTs.length });
      return true;
    } finally {
      await store.delete(keys.renderLock(trackingId));
    }
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

  async #fileName(ref: MemoRef): Promise<string> {
    try {
      const info = await this.#o.slack.files.info({ file: ref.fileId });
      return displayName(info.file as SlackFile);
    } catch {
      return 'audio file';
    }
  }
}

function digestOf(message: SlackMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}
