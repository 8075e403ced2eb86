import type { types } from '@slack/bolt';
import { errorMessage } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { JobObserver, Person } from '../pipeline/observer.ts';
import { Jobs } from '../records/job.ts';
import { PersonJobs } from '../records/people.ts';
import { monthOf, Usage } from '../records/usage.ts';
import { slackError } from '../slack/errors.ts';
import { messageLink } from '../slack/permalink.ts';
import type { UserLanguages } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { Settings } from '../workspaces/settings.ts';
import { type AdminPart, type HomeMemo, homeView } from './view.ts';

export interface HomeTabOptions {
  store: Store;
  workspaces: Workspaces;
  settings: Settings;
  languages: UserLanguages;
  /** The provider's name, as users read it. */
  provider: string;
  /** Someone's tab is published again after a change at most once in this long. */
  gapMs: number;
  log: Logger;
}

/**
 * Each person's Home tab (`views.publish`), in their language: published when they open it, and again when one of
 * their memos changes or a setting they see does, at most once every `gapMs` per person across instances (a token in
 * the store holds the time of the last publish; a change within the gap is published once the gap ends). Changes are
 * published only to people who opened the tab before.
 */
export class HomeTab implements JobObserver {
  readonly #o: HomeTabOptions;
  readonly #people: PersonJobs;
  readonly #jobs: Jobs;
  readonly #usage: Usage;
  /** Each workspace's address, for links to memos (`auth.test`), asked once. */
  readonly #teamUrls = new Map<string, string | undefined>();
  /** Publishes waiting for the end of a person's gap, in this process. */
  readonly #waiting = new Map<string, { timer?: NodeJS.Timeout; changeAt: number }>();
  readonly #warn: ReturnType<typeof onceIn>;
  #stopped = false;

  constructor(options: HomeTabOptions) {
    this.#o = options;
    this.#people = new PersonJobs(options.store, LIMITS.personJobsKept);
    this.#jobs = new Jobs(options.store, (ws) => options.workspaces.retentionMs(ws));
    this.#usage = new Usage(options.store, LIMITS.usageKeptMs);
    this.#warn = onceIn(10_000, options.log);
  }

  /** Someone opened the Home tab. */
  async opened(workspace: string, user: string): Promise<void> {
    const ttlMs = await this.#o.workspaces.retentionMs(workspace);
    await this.#o.store.set(workspaceKeys(workspace).personHome(user), Date.now(), ttlMs);
    await this.#request(workspace, user, Date.now());
  }

  /** One of someone's memos changed, or what they see did (never throws). */
  changed(person: Person): void {
    const { workspace, user } = person;
    if (!user || this.#stopped) return;
    const at = Date.now();
    void (async () => {
      if ((await this.#o.store.get(workspaceKeys(workspace).personHome(user))) === undefined) return;
      await this.#request(workspace, user, at);
    })().catch((err: unknown) => this.#warn('home tab: could not publish', { error: errorMessage(err) }));
  }

  stop(): void {
    this.#stopped = true;
    for (const { timer } of this.#waiting.values()) clearTimeout(timer);
    this.#waiting.clear();
  }

  /** The view someone's Home tab shows now. */
  async view(workspace: string, user: string): Promise<types.HomeView> {
    const { languages, provider } = this.#o;
    const [lang, memos, admin] = await Promise.all([
      languages.of(workspace, user),
      this.#memos(workspace, user),
      this.#admin(workspace, user),
    ]);
    return homeView({ lang, provider, memos, ...(admin ? { admin } : {}) });
  }

  /** Publishes now, unless it was published within the gap, after this change: then once the gap ends. */
  async #request(workspace: string, user: string, changeAt: number): Promise<void> {
    const waitKey = `${workspace}/${user}`;
    const waiting = this.#waiting.get(waitKey);
    if (waiting) {
      // The publish that waits shows this change too; it must not count an older publish as showing it.
      waiting.changeAt = Math.max(waiting.changeAt, changeAt);
      return;
    }
    if (this.#stopped) return;
    const { store, gapMs } = this.#o;
    const gap = workspaceKeys(workspace).homeGap(user);
    if (await store.claim(gap, String(Date.now()), gapMs)) {
      await this.#publish(workspace, user);
      return;
    }
    const last = Number(await store.peek(gap));
    // Published since the change by another instance or call: that publish read the store after the change.
    if (Number.isFinite(last) && last >= changeAt) return;
    const wait = Number.isFinite(last) ? Math.max(10, last + gapMs - Date.now()) : 10;
    const entry: { timer?: NodeJS.Timeout; changeAt: number } = { changeAt };
    entry.timer = setTimeout(() => {
      this.#waiting.delete(waitKey);
      void this.#request(workspace, user, entry.changeAt).catch((err: unknown) =>
        this.#warn('home tab: could not publish', { error: errorMessage(err) }),
      );
    }, wait);
    entry.timer.unref();
    this.#waiting.set(waitKey, entry);
  }

  async #publish(workspace: string, user: string): Promise<void> {
    const slack = await this.#o.workspaces.slack(workspace);
    if (!slack) return;
    const view = await this.view(workspace, user);
    try {
      await slack.web.views.publish({ user_id: user, view });
    } catch (err) {
      this.#o.log.warn('home tab: Slack refused the view', { error: slackError(err) });
    }
  }

  /** The person's last memos (one line per memo, its latest attempt), newest first. */
  async #memos(workspace: string, user: string): Promise<HomeMemo[]> {
    const seen = new Set<string>();
    const latest = (await this.#people.jobs(workspace, user)).filter((e) => {
      const memo = `${e.channel}:${e.ts}:${e.fileId}`;
      if (seen.has(memo)) return false;
      seen.add(memo);
      return true;
    });
    const entries = latest.slice(0, LIMITS.homeMemos);
    const [jobs, teamUrl] = await Promise.all([
      Promise.all(entries.map((e) => this.#jobs.load(workspace, e.trackingId))),
      this.#teamUrl(workspace),
    ]);
    const gone = entries.filter((_, i) => jobs[i] === undefined).map((e) => e.trackingId);
    if (gone.length > 0) await this.#people.unlist(workspace, user, gone);
    const memos: HomeMemo[] = [];
    for (const [i, entry] of entries.entries()) {
      const job = jobs[i];
      if (!job || job.unsure) continue;
      const link = teamUrl ? messageLink(teamUrl, entry.channel, entry.ts, entry.threadTs) : undefined;
      memos.push({
        fileName: job.fileName,
        channel: entry.channel,
        since: entry.since,
        state: job.state,
        ...(link ? { link } : {}),
      });
    }
    return memos;
  }

  async #admin(workspace: string, user: string): Promise<AdminPart | undefined> {
    const { workspaces, settings } = this.#o;
    if (!(await workspaces.isAdmin(workspace, user))) return undefined;
    const [current, usage, key] = await Promise.all([
      settings.of(workspace),
      this.#usage.of(workspace, monthOf(Date.now())),
      workspaces.keyState(workspace),
    ]);
    return { settings: current, usage, key, keyButton: workspaces.mode === 'distribution' };
  }

  async #teamUrl(workspace: string): Promise<string | undefined> {
    if (this.#teamUrls.has(workspace)) return this.#teamUrls.get(workspace);
    const slack = await this.#o.workspaces.slack(workspace);
    try {
      const url = (await slack?.web.auth.test())?.url;
      if (this.#teamUrls.size >= LIMITS.settingsCacheEntries) this.#teamUrls.clear();
      this.#teamUrls.set(workspace, url);
      return url;
    } catch (err) {
      this.#warn('home tab: auth.test failed', { error: slackError(err) });
      return undefined;
    }
  }
}
