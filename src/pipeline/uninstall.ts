import { errorMessage } from '../errors.ts';
import { type Logger, onceIn } from '../log.ts';
import type { Jobs } from '../records/job.ts';
import type { Ledger } from '../records/ledger.ts';
import type { Store } from '../store/index.ts';
import { jobKeyParts, processKeys, workspaceKeys } from '../store/keys.ts';
import type { StoredInstallation } from '../workspaces/distribution.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { Deadlines } from './deadlines.ts';
import { Periodic } from './periodic.ts';
import { entryId, type RelayQueue } from './queue/index.ts';

/** Keys deleted per call to the store. */
const BATCH = 500;

export interface UninstallOptions {
  store: Store;
  jobs: Jobs;
  ledger: Ledger;
  deadlines: Deadlines;
  queue: RelayQueue;
  workspaces: Workspaces;
  /** How long after an uninstallation its records are deleted once more, and it is done (Timings.uninstallSettleMs). */
  settleMs: number;
  log: Logger;
}

/**
 * Uninstalling deletes the workspace's data: `app_uninstalled` and `tokens_revoked` (in either order, each maybe more
 * than once) begin it, and it ends with no stored key of the workspace left. Beginning is quick and durable, before
 * Slack's answer: the installation and the provider key are forgotten (nothing of the workspace is served any more)
 * and the uninstallation is noted in `uninstalls`. The rest follows at once after the answer: every key under
 * `ws:{W}:` (jobs, segments, replies, locks, settings, people's choices, what it was told), its queued and delayed
 * relays (cancelled), its deadlines, its relay-ledger entries and its place in the lists of workspaces. Work that was
 * under way may write one record more as it ends, so the deletion runs once more `settleMs` later, by whichever
 * instance looks first (also after a restart); then the uninstallation is done. Installing again before then finishes
 * the deletion first: a reinstalled workspace starts clean.
 */
export class Uninstalls {
  readonly #o: UninstallOptions;
  readonly #periodic = new Periodic(() => this.sweep());
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(options: UninstallOptions) {
    this.#o = options;
    this.#warn = onceIn(10_000, options.log);
  }

  /** Forgets the installation and key, and notes the uninstallation, durably; `finish` then deletes the rest. */
  async begin(workspace: string): Promise<void> {
    const { store, workspaces, log } = this.#o;
    await store.update(processKeys.uninstalls(), { [workspace]: Date.now() }, { when: { [workspace]: [null] } });
    await workspaces.forget(workspace);
    log.info('uninstalled: deleting the workspace’s records', { workspace });
  }

  /** Deletes every record of the workspace (once now; the sweep does it again once work under way has ended). */
  async finish(workspace: string): Promise<void> {
    const deleted = await this.#delete(workspace);
    this.#o.log.info('workspace records deleted', { workspace, keys: deleted });
  }

  /** Before an installation is stored: an uninstallation of the workspace still under way is finished first. */
  async beforeInstall(workspace: string): Promise<void> {
    const { store } = this.#o;
    const pending = await store.record<Record<string, number>>(processKeys.uninstalls());
    if (pending?.[workspace] === undefined) return;
    await this.#delete(workspace);
    await store.update(processKeys.uninstalls(), { [workspace]: null });
  }

  /** Finishes uninstallations every `everyMs`: any left unfinished by a dead process, and the second deletions. */
  start(everyMs: number): void {
    this.#periodic.start(everyMs);
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  /** Looks once: deletes again what is due, and ends the uninstallations that have settled. */
  async sweep(): Promise<void> {
    const { store, settleMs } = this.#o;
    try {
      const pending = (await store.record<Record<string, number>>(processKeys.uninstalls())) ?? {};
      for (const [workspace, since] of Object.entries(pending)) {
        if (typeof since !== 'number') continue;
        // Installed again since (on another instance, which finished the deletion first): nothing is left to do.
        const installation = await store.get<StoredInstallation>(workspaceKeys(workspace).installation());
        if (installation && installation.installedAt > since) {
          await store.update(processKeys.uninstalls(), { [workspace]: null }, { when: { [workspace]: [since] } });
          continue;
        }
        await this.#delete(workspace);
        if (Date.now() - since >= settleMs) {
          await store.update(processKeys.uninstalls(), { [workspace]: null }, { when: { [workspace]: [since] } });
          this.#o.log.info('uninstallation done: nothing of the workspace is left', { workspace });
        }
      }
    } catch (err) {
      this.#warn('uninstallations: could not look', { error: errorMessage(err) });
    }
  }

  /** One deletion of everything the workspace has in the store; the number of its keys deleted. */
  async #delete(workspace: string): Promise<number> {
    const { store, jobs, ledger, deadlines, queue, workspaces } = this.#o;
    await workspaces.forget(workspace);
    const keys = await store.keysWith(workspaceKeys(workspace).prefix);
    const trackingIds = new Set<string>();
    for (const key of keys) {
      const parts = jobKeyParts(key);
      if (parts?.workspace === workspace) trackingIds.add(parts.trackingId);
    }
    for (const entry of await ledger.entries()) if (entry.workspace === workspace) trackingIds.add(entry.trackingId);
    // Its relays leave the queue, its checks the schedule, before their records go: none of them runs on a record.
    for (const trackingId of trackingIds) {
      const job = await jobs.load(workspace, trackingId);
      for (let run = 1; run <= Math.max(1, job?.run ?? 1); run++) await queue.remove(entryId(trackingId, run));
      await deadlines.cancel({ workspace, trackingId });
    }
    await ledger.forgetWorkspace(workspace);
    for (let i = 0; i < keys.length; i += BATCH) await store.delete(...keys.slice(i, i + BATCH));
    return keys.length;
  }
}
