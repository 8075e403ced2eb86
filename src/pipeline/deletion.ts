import { errorMessage } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { Channels } from '../records/channels.ts';
import type { JobRecord, Jobs } from '../records/job.ts';
import type { Ledger } from '../records/ledger.ts';
import type { MemoIndex } from '../records/memo-index.ts';
import type { PersonJobs } from '../records/people.ts';
import { type MemoRef, verifyTrackingId } from '../records/tracking-id.ts';
import { slackError, slackRefused } from '../slack/errors.ts';
import type { Store } from '../store/index.ts';
import { type MemoId, memoField, parseMemoField, workspaceKeys } from '../store/keys.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { Deadlines } from './deadlines.ts';
import { type JobObserver, quietly } from './observer.ts';
import { Periodic } from './periodic.ts';
import { entryId, type RelayQueue } from './queue/index.ts';
import type { ReplyWriter } from './thread.ts';

export interface DeletionsOptions {
  store: Store;
  jobs: Jobs;
  index: MemoIndex;
  channels: Channels;
  people: PersonJobs;
  ledger: Ledger;
  queue: RelayQueue;
  deadlines: Deadlines;
  replies: ReplyWriter;
  workspaces: Workspaces;
  changes: JobObserver;
  trackingKey: string;
  log: Logger;
}

/** A deletion owed: since when, and how many tries failed. */
interface Owed {
  at: number;
  tries: number;
}

/** Tries of a deletion Slack keeps refusing to let through (unreachable, busy) before it is given up and logged. */
const TRIES = 5;

/**
 * Deletion follows the memo: when a memo's message or its file is deleted in Slack, everything the app made of it
 * goes too: its thread replies (`chat.delete`), the transcript files it uploaded (`files.delete`), its queued and
 * scheduled work (queue entries, relay ledger, deadline, reply owed) and every record of every attempt at it (job,
 * segments, characters, reply, claim, the lists that name it). A callback for it that comes later finds nothing and
 * is dropped.
 *
 * Before Slack gets its answer the memo is noted as owed deletion and its claim is deleted, so that from then on no
 * relay, deadline or reply writer goes on with it; the rest follows the answer, and what a process did not finish
 * (it died, Slack was away) is finished by the next look (`deletionsSweepMs`, and at start).
 */
export class Deletions {
  readonly #o: DeletionsOptions;
  readonly #periodic = new Periodic(() => this.#sweep());
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(options: DeletionsOptions) {
    this.#o = options;
    this.#warn = onceIn(10_000, options.log);
  }

  /**
   * A message was deleted (or lost its files): its memos. `fileIds`: the files the event says it had; when it says
   * none, the channel's list of jobs tells which memos the message had. Resolves once they are noted and cut off.
   */
  async messageDeleted(workspace: string, channel: string, ts: string, fileIds?: readonly string[]): Promise<number> {
    const memos = new Map<string, MemoId>();
    const add = (ref: MemoId) => {
      if (ref.channel === channel && ref.ts === ts) memos.set(memoField(ref), ref);
    };
    if (fileIds && fileIds.length > 0) {
      for (const fileId of fileIds.slice(0, LIMITS.memosPerDeletion)) {
        for (const id of await this.#o.index.attempts(workspace, fileId)) {
          const ref = this.#refOf(workspace, id);
          if (ref) add(ref);
        }
        // A memo claimed before its attempts were indexed.
        add({ channel, ts, fileId });
      }
    } else {
      for (const entry of await this.#o.channels.jobs(workspace, channel)) {
        const ref = this.#refOf(workspace, entry.trackingId);
        if (ref) add(ref);
      }
    }
    return this.#note(workspace, [...memos.values()]);
  }

  /** A file was deleted: every memo it was, in whichever channel. */
  async fileDeleted(workspace: string, fileId: string): Promise<number> {
    const memos = new Map<string, MemoId>();
    for (const id of await this.#o.index.attempts(workspace, fileId)) {
      const ref = this.#refOf(workspace, id);
      if (ref && ref.fileId === fileId) memos.set(memoField(ref), ref);
    }
    return this.#note(workspace, [...memos.values()].slice(0, LIMITS.memosPerDeletion));
  }

  /** Finishes the deletions owed in a workspace now (after Slack's answer). */
  async finish(workspace: string): Promise<void> {
    const owed = await this.#o.store.record<Record<string, Owed>>(workspaceKeys(workspace).deletionsOwed());
    for (const [field, entry] of Object.entries(owed ?? {})) {
      const memo = parseMemoField(field);
      if (memo && entry) await this.#finishOne(workspace, memo, entry);
    }
  }

  /** Finishes owed deletions in every workspace now, and from then on every `everyMs`. */
  start(everyMs: number): void {
    this.#periodic.start(everyMs);
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  async #sweep(): Promise<void> {
    try {
      for (const workspace of await this.#o.workspaces.list()) await this.finish(workspace);
    } catch (err) {
      this.#warn('deletions: could not look', { error: errorMessage(err) });
    }
  }

  /** Notes memos as owed deletion and deletes their claims: from now on nothing goes on with them. */
  async #note(workspace: string, memos: MemoId[]): Promise<number> {
    const { store, jobs } = this.#o;
    const keys = workspaceKeys(workspace);
    let found = 0;
    for (const memo of memos) {
      const current = await jobs.current({ workspace, ...memo });
      const attempts = await this.#attempts(workspace, memo);
      if (!current && attempts.length === 0) continue;
      found += 1;
      await store.update(keys.deletionsOwed(), { [memoField(memo)]: { at: Date.now(), tries: 0 } satisfies Owed });
      await store.delete(keys.memo(memo));
    }
    if (found > 0) this.#o.log.info('memo deleted in Slack: deleting its transcript', { memos: found });
    return found;
  }

  /** Every attempt at a memo the app knows of: the file's index, and the channel's list for memos before it. */
  async #attempts(workspace: string, memo: MemoId): Promise<string[]> {
    const ids = new Set<string>();
    const mine = (id: string) => {
      const ref = this.#refOf(workspace, id);
      return ref !== undefined && memoField(ref) === memoField(memo);
    };
    for (const id of await this.#o.index.attempts(workspace, memo.fileId)) if (mine(id)) ids.add(id);
    for (const entry of await this.#o.channels.jobs(workspace, memo.channel))
      if (mine(entry.trackingId)) ids.add(entry.trackingId);
    return [...ids];
  }

  async #finishOne(workspace: string, memo: MemoId, owed: Owed): Promise<void> {
    const { store, jobs, ledger, queue, deadlines, replies, log } = this.#o;
    const keys = workspaceKeys(workspace);
    const ref: MemoRef = { workspace, ...memo };
    try {
      const ids = await this.#attempts(workspace, memo);
      const records = (await Promise.all(ids.map((id) => jobs.load(workspace, id)))).filter(
        (j): j is JobRecord => j !== undefined,
      );
      // Work not yet done is cancelled first, so that none of it starts meanwhile.
      for (const job of records) {
        for (let run = 1; run <= job.run; run++) await queue.remove(entryId(job.trackingId, run));
        await ledger.leave(job);
        await deadlines.cancel(job);
      }
      // Slack's side first; a memo whose Slack messages cannot be deleted after a few tries loses its records anyway.
      const threadTs = records.find((j) => j.threadTs)?.threadTs;
      const inSlack =
        (await replies.withdraw({ ...ref, ...(threadTs ? { threadTs } : {}) })) &&
        (await this.#deleteUploads(workspace, memo));
      if (!inSlack) {
        if (owed.tries + 1 < TRIES) return this.#again(workspace, memo, owed);
        log.error('gave up deleting a memo’s transcript from Slack; its records are deleted', { tries: TRIES });
      }
      await store.delete(
        keys.memo(memo),
        keys.reply(memo),
        keys.uploads(memo),
        ...ids.flatMap((id) => [keys.job(id), keys.segments(id), keys.characters(id)]),
      );
      await this.#o.index.forgetAttempts(workspace, memo.fileId, ids);
      for (const id of ids) await this.#o.channels.unlist(workspace, memo.channel, id);
      const users = new Set(records.map((j) => j.user).filter((u): u is string => u !== undefined));
      for (const user of users) await this.#o.people.unlist(workspace, user, ids);
      await store.update(keys.deletionsOwed(), { [memoField(memo)]: null });
      log.info('transcript deleted with its memo', { attempts: ids.length });
      for (const user of users) quietly(this.#o.changes, { workspace, user }, log);
    } catch (err) {
      // The store failed: the deletion stays owed, for the next look.
      log.error('could not delete a memo’s transcript', { error: errorMessage(err) });
    }
  }

  /** Deletes the transcript files the app uploaded into the memo's thread; false when Slack could not be reached. */
  async #deleteUploads(workspace: string, memo: MemoId): Promise<boolean> {
    const uploads = await this.#o.index.uploads(workspace, memo);
    if (uploads.length === 0) return true;
    const slack = await this.#o.workspaces.slack(workspace);
    if (!slack) return true;
    for (const file of uploads) {
      try {
        await slack.web.files.delete({ file: file.fileId });
      } catch (err) {
        if (!slackRefused(err)) return false;
        if (slackError(err) !== 'file_deleted' && slackError(err) !== 'file_not_found')
          this.#o.log.warn('Slack refused to delete a transcript file', { error: slackError(err) });
      }
    }
    return true;
  }

  async #again(workspace: string, memo: MemoId, owed: Owed): Promise<void> {
    await this.#o.store.update(workspaceKeys(workspace).deletionsOwed(), {
      [memoField(memo)]: { at: owed.at, tries: owed.tries + 1 } satisfies Owed,
    });
  }

  #refOf(workspace: string, trackingId: string): MemoRef | undefined {
    const ref = verifyTrackingId(trackingId, this.#o.trackingKey)?.ref;
    return ref?.workspace === workspace ? ref : undefined;
  }
}
