import { errorMessage } from '../errors.ts';
import { type Logger, onceIn } from '../log.ts';
import type { MemoIndex } from '../records/memo-index.ts';
import { verifyTrackingId } from '../records/tracking-id.ts';
import type { Store } from '../store/index.ts';
import { jobKeyParts, workspaceKeys } from '../store/keys.ts';
import type { Workspaces } from '../workspaces/index.ts';
import { Periodic } from './periodic.ts';

export interface RetentionOptions {
  store: Store;
  index: MemoIndex;
  workspaces: Workspaces;
  trackingKey: string;
  log: Logger;
}

/** A list's entry: when its memo was shared. */
interface Listed {
  since?: unknown;
}

/**
 * Keeps transcripts no longer than their workspace's retention, where the store's TTLs alone would not: records
 * written before the admins shortened it (they keep the TTL they were stored with), and the entries of the lists that
 * name memos (a channel's, a person's), whose TTL restarts with each memo listed. Every workspace is looked through
 * every `everyMs` (an hour) and at start: an attempt older than the retention loses its job, segments and counter,
 * and, when it is its memo's current one, the memo's claim, reply and transcript files' record; list entries older
 * than it leave their lists. Slack's own messages (the thread replies) are not touched: the workspace's own Slack
 * retention governs them.
 */
export class RetentionSweep {
  readonly #o: RetentionOptions;
  readonly #periodic = new Periodic(() => this.sweep());
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(options: RetentionOptions) {
    this.#o = options;
    this.#warn = onceIn(60_000, options.log);
  }

  start(everyMs: number): void {
    this.#periodic.start(everyMs);
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  /** Looks through every workspace once. */
  async sweep(): Promise<void> {
    try {
      for (const workspace of await this.#o.workspaces.list()) await this.sweepWorkspace(workspace);
    } catch (err) {
      this.#warn('retention: could not look', { error: errorMessage(err) });
    }
  }

  async sweepWorkspace(workspace: string): Promise<void> {
    const { store, workspaces } = this.#o;
    const keys = workspaceKeys(workspace);
    const oldest = Date.now() - (await workspaces.retentionMs(workspace));
    let expired = 0;
    for (const key of await store.keysWith(keys.jobsPrefix)) {
      const trackingId = jobKeyParts(key)?.trackingId;
      if (!trackingId) continue;
      const job = await store.record<{ createdAt: number }>(key);
      if (typeof job?.createdAt !== 'number' || job.createdAt >= oldest) continue;
      await this.#expire(workspace, trackingId);
      expired += 1;
    }
    const lists = [...(await store.keysWith(keys.channelsPrefix)), ...(await store.keysWith(keys.peoplePrefix))].filter(
      keys.isMemoList,
    );
    for (const list of lists) {
      const entries = (await store.record<Record<string, Listed>>(list)) ?? {};
      const old = Object.entries(entries)
        .filter(([, e]) => typeof e?.since === 'number' && e.since < oldest)
        .map(([field]) => field);
      if (old.length > 0) await store.update(list, Object.fromEntries(old.map((f) => [f, null])));
    }
    if (expired > 0) this.#o.log.info('retention: records past their time deleted', { attempts: expired });
  }

  async #expire(workspace: string, trackingId: string): Promise<void> {
    const { store, index, trackingKey } = this.#o;
    const keys = workspaceKeys(workspace);
    const ref = verifyTrackingId(trackingId, trackingKey)?.ref;
    const doomed = [keys.job(trackingId), keys.segments(trackingId), keys.characters(trackingId)];
    if (ref && ref.workspace === workspace) {
      if ((await store.peek(keys.memo(ref))) === trackingId)
        doomed.push(keys.memo(ref), keys.reply(ref), keys.uploads(ref));
      await index.forgetAttempts(workspace, ref.fileId, [trackingId]);
    }
    await store.delete(...doomed);
  }
}
