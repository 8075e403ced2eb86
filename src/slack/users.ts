import type { webApi } from '@slack/bolt';
import { LANGS, type Lang, langOfLocale } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import { chosenLanguage } from '../records/people.ts';
import type { Store } from '../store/index.ts';
import { retryAfterOf, type WorkspaceBudget } from './budget.ts';

/** A workspace's budget of Slack calls and its client that calls at once, when the app is installed there. */
export type SlackOf = (workspace: string) => Promise<{ budget: WorkspaceBudget; direct: webApi.WebClient } | undefined>;

/**
 * Each person's language: the one they chose with `/transcribe language`, else their Slack locale (`users.info`
 * with `include_locale`, which needs `users:read`; cached for an hour), else the app's language (when Slack will
 * not say, or speaks a language the app does not). Slack may not offer Vietnamese as a display language, hence
 * the choice. A language is often asked for before Slack's request is answered, so users.info is never waited for:
 * when its budget has no call now, the app's language serves this once.
 */
export class UserLanguages {
  readonly #slackOf: SlackOf;
  readonly #store: Store;
  readonly #fallback: Lang;
  readonly #cache = new Map<string, { lang: Lang; expires: number }>();

  constructor(slackOf: SlackOf, store: Store, fallback: Lang) {
    this.#slackOf = slackOf;
    this.#store = store;
    this.#fallback = fallback;
  }

  async of(workspace: string, userId: string | undefined): Promise<Lang> {
    if (!userId) return this.#fallback;
    const chosen = await chosenLanguage(this.#store, workspace, userId).catch(() => undefined);
    const valid = LANGS.find((l) => l === chosen);
    if (valid) return valid;
    const cacheKey = `${workspace}/${userId}`;
    const hit = this.#cache.get(cacheKey);
    if (hit && hit.expires > Date.now()) return hit.lang;
    let lang = this.#fallback;
    const slack = await this.#slackOf(workspace).catch(() => undefined);
    try {
      if (!slack || !(await slack.budget.take('users.info')).ok) return this.#fallback;
      const info = await slack.direct.users.info({ user: userId, include_locale: true });
      lang = langOfLocale(info.user?.locale) ?? this.#fallback;
    } catch (err) {
      // Missing users:read, or Slack busy: the app's language, and ask again next time.
      const retryAfter = retryAfterOf(err);
      if (slack && retryAfter !== undefined) await slack.budget.pause('users.info', undefined, retryAfter);
      return this.#fallback;
    }
    if (this.#cache.size >= LIMITS.languageCacheEntries) this.#cache.delete(this.#cache.keys().next().value ?? '');
    this.#cache.set(cacheKey, { lang, expires: Date.now() + LIMITS.languageCacheMs });
    return lang;
  }
}

/**
 * The workspace's admins and owners who are people (not bots, not deactivated), from `users.list` (needs
 * `users:read`), at most `pages` pages of 200 and `most` people.
 */
export async function workspaceAdmins(web: webApi.WebClient, pages: number, most: number): Promise<string[]> {
  const found: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < pages && found.length < most; page++) {
    const answer = await web.users.list({ limit: 200, ...(cursor ? { cursor } : {}) });
    for (const member of answer.members ?? []) {
      if (member.deleted || member.is_bot || !member.id || member.id === 'USLACKBOT') continue;
      if (member.is_admin || member.is_owner || member.is_primary_owner) found.push(member.id);
    }
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) break;
  }
  return found.slice(0, most);
}
