import { messages, monthName } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { JobRecord, Jobs } from '../records/job.ts';
import { monthOf, type Usage } from '../records/usage.ts';
import { slackError } from '../slack/errors.ts';
import { type UserLanguages, workspaceAdmins } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { Settings } from '../workspaces/settings.ts';

export interface BudgetOptions {
  store: Store;
  jobs: Jobs;
  usage: Usage;
  settings: Settings;
  workspaces: Workspaces;
  languages: UserLanguages;
  metrics: Metrics;
  log: Logger;
}

/**
 * Each workspace's monthly budget (its admins' setting, in minutes of audio per calendar month, UTC), counted when a
 * file is sent to the provider: a memo's seconds are counted once it is known how long it is and before it goes,
 * and one that would pass the budget is not sent (its thread says so). A recording whose length is known only once
 * it has been converted is counted when it has been sent, so it may pass the budget by its own length; one sent as it
 * is whose length nothing tells (an MP4 whose index comes last, with no `duration_ms`) is not counted. The seconds
 * an attempt counts are written on its job (`billed`), so a relay tried again never counts them twice, and taken
 * back when the provider did not take the file. When a month's usage reaches 80 % of the budget, the workspace's
 * admins are told once, by DM.
 */
export class Budget {
  readonly #o: BudgetOptions;

  constructor(options: BudgetOptions) {
    this.#o = options;
  }

  /** Whether anything may still be sent this month (false: the budget is used up already). */
  async open(workspace: string): Promise<boolean> {
    const limit = await this.#limitSeconds(workspace);
    if (limit === undefined) return true;
    return (await this.#o.usage.of(workspace, monthOf(Date.now()))).seconds < limit;
  }

  /**
   * Counts a memo of `seconds` against this month's budget, before it is sent; false (nothing counted) when it would
   * pass the budget. An attempt counted already is not counted again.
   */
  async reserve(job: JobRecord, seconds: number): Promise<boolean> {
    if (job.billed) return true;
    const limit = await this.#limitSeconds(job.workspace);
    const counted = Math.max(1, Math.ceil(seconds));
    const month = monthOf(Date.now());
    const { usage } = this.#o;
    const after = await usage.add(job.workspace, month, job.channel, { seconds: counted, memos: 1 });
    if (limit !== undefined && after > limit) {
      await usage.add(job.workspace, month, job.channel, { seconds: -counted, memos: -1 });
      this.#o.log.info('budget used up: not sent', { trackingId: job.trackingId, seconds: counted });
      return false;
    }
    await this.#bill(job, month, counted);
    if (limit !== undefined) await this.#warnAt(job.workspace, month, after - counted, after, limit);
    return true;
  }

  /** Counts a memo whose length was known only once it was sent (a converted stream). */
  async count(job: JobRecord, seconds: number | undefined): Promise<void> {
    if (job.billed || seconds === undefined) return;
    const counted = Math.max(1, Math.ceil(seconds));
    const month = monthOf(Date.now());
    const after = await this.#o.usage.add(job.workspace, month, job.channel, { seconds: counted, memos: 1 });
    await this.#bill(job, month, counted);
    const limit = await this.#limitSeconds(job.workspace);
    if (limit !== undefined) await this.#warnAt(job.workspace, month, after - counted, after, limit);
  }

  /** Takes back what an attempt counted: the provider did not take the file. */
  async refund(job: JobRecord): Promise<void> {
    const billed = job.billed;
    if (!billed) return;
    await this.#o.usage.add(job.workspace, billed.month, job.channel, { seconds: -billed.seconds, memos: -1 });
    await this.#o.jobs.bill(job, null);
    delete job.billed;
  }

  async #bill(job: JobRecord, month: string, seconds: number): Promise<void> {
    job.billed = { month, seconds };
    await this.#o.jobs.bill(job, job.billed);
  }

  async #limitSeconds(workspace: string): Promise<number | undefined> {
    const minutes = (await this.#o.settings.of(workspace)).budgetMinutes;
    return minutes === undefined ? undefined : minutes * 60;
  }

  /** Tells the admins, once a month and budget, when the usage went from under 80 % of it to 80 % or more. */
  async #warnAt(workspace: string, month: string, before: number, after: number, limit: number): Promise<void> {
    const threshold = limit * LIMITS.budgetWarnShare;
    if (before >= threshold || after < threshold) return;
    const minutes = limit / 60;
    const { store, workspaces, languages, log } = this.#o;
    const claimed = await store.claim(
      workspaceKeys(workspace).budgetWarned(month, minutes),
      String(Date.now()),
      LIMITS.usageKeptMs,
    );
    if (!claimed) return;
    const slack = await workspaces.slack(workspace);
    if (!slack) return;
    let admins: string[];
    try {
      admins = await workspaceAdmins(slack.web, LIMITS.adminPages, LIMITS.adminsTold);
    } catch (err) {
      log.warn('budget: could not list the admins', { error: slackError(err) });
      return;
    }
    const usedMinutes = after / 60;
    for (const admin of admins) {
      const lang = await languages.of(workspace, admin);
      const text = messages(lang).budgetWarning({ used: usedMinutes, budget: minutes, month: monthName(lang, month) });
      try {
        await slack.web.chat.postMessage({ channel: admin, text });
      } catch (err) {
        log.warn('budget: could not tell an admin', { error: slackError(err) });
      }
    }
    log.info('budget: admins told it is 80 % used', { admins: admins.length });
  }
}
