import { createHash } from 'node:crypto';
import type { webApi } from '@slack/bolt';
import type { Logger } from '../log.ts';
import { displayName, type SlackFile } from '../slack/files.ts';
import type { Store } from '../store/store.ts';
import { renderReply, type ReplyState, type SlackMessage } from './format.ts';
import { JOB_TTL_MS, keys, loadJob, loadSegments, type JobState, type ReplyRecord } from './jobs.ts';
import { replyThreadTs, type MemoRef } from './tracking-id.ts';

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
  /** How long to gather callbacks before one chat.update. */
  coalesceMs?: number;
  /** How long to wait when another instance is writing the same reply. */
  lockRetryMs?: number;
}

interface Pending {
  ref: MemoRef;
  timer?: NodeJS.Timeout;
  running: boolean;
  again: boolean;
}

/**
 * Keeps each file's thread reply in step with its job and segments. Calls for one file are coalesced
 * into one Slack call at a time; a lock in the store keeps two instances from writing the same reply.
 */
export class ReplyWriter {
  readonly #o: Required<ReplyWriterOptions>;
  readonly #pending = new Map<string, Pending>();
  #idle: (() => void)[] = [];

  constructor(options: ReplyWriterOptions) {
    this.#o = { coalesceMs: 300, lockRetryMs: 400, ...options };
  }

  /** Shows the file's current state in its thread soon; calls close together become one update. */
  refresh(trackingId: string, ref: MemoRef, delayMs = this.#o.coalesceMs): void {
    let p = this.#pending.get(trackingId);
    if (!p) this.#pending.set(trackingId, (p = { ref, running: false, again: false }));
    if (p.running) p.again = true;
    else if (!p.timer) p.timer = setTimeout(() => void this.#run(trackingId, p), delayMs);
  }

  /** Resolves when every scheduled refresh has been written. */
  idle(): Promise<void> {
    return this.#pending.size === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  async #run(trackingId: string, p: Pending): Promise<void> {
    p.timer = undefined;
    p.running = true;
    let delay = this.#o.coalesceMs;
    try {
      if (!(await this.#write(trackingId, p.ref))) {
        p.again = true;
        delay = this.#o.lockRetryMs;
      }
    } catch (err) {
      this.#o.log.error('could not update the thread reply', { trackingId, error: slackError(err) });
    } finally {
      p.running = false;
      if (p.again) {
        p.again = false;
        p.timer = setTimeout(() => void this.#run(trackingId, p), delay);
      } else {
        this.#pending.delete(trackingId);
        if (this.#pending.size === 0) this.#idle.splice(0).forEach((resolve) => resolve());
      }
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
      if (reply.reaction) await slack.reactions.remove({ channel: ref.channel, timestamp: ref.ts, name: reply.reaction });
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

/** Slack's error name ("not_in_channel") from a Web API error, else the message. */
export function slackError(err: unknown): string {
  const data = (err as { data?: { error?: string } }).data;
  return data?.error ?? (err as Error).message;
}
