import type { webApi } from '@slack/bolt';
import { LANGS, type Lang, langOfLocale } from '../i18n/index.ts';
import { chosenLanguage } from '../records/people.ts';
import type { Store } from '../store/index.ts';

const TTL_MS = 60 * 60 * 1000;
const MAX_ENTRIES = 5_000;

/**
 * Each person's language: the one they chose with `/transcribe language`, else their Slack locale (`users.info`
 * with `include_locale`, which needs `users:read`; cached for an hour), else the app's language (when Slack will
 * not say, or speaks a language the app does not). Slack may not offer Vietnamese as a display language, hence
 * the choice.
 */
export class UserLanguages {
  readonly #slack: webApi.WebClient;
  readonly #store: Store;
  readonly #fallback: Lang;
  readonly #cache = new Map<string, { lang: Lang; expires: number }>();

  constructor(slack: webApi.WebClient, store: Store, fallback: Lang) {
    this.#slack = slack;
    this.#store = store;
    this.#fallback = fallback;
  }

  async of(userId: string | undefined): Promise<Lang> {
    if (!userId) return this.#fallback;
    const chosen = await chosenLanguage(this.#store, userId).catch(() => undefined);
    const valid = LANGS.find((l) => l === chosen);
    if (valid) return valid;
    const hit = this.#cache.get(userId);
    if (hit && hit.expires > Date.now()) return hit.lang;
    let lang = this.#fallback;
    try {
      const info = await this.#slack.users.info({ user: userId, include_locale: true });
      lang = langOfLocale(info.user?.locale) ?? this.#fallback;
    } catch {
      // Missing users:read, or Slack busy: the app's language, and ask again next time.
      return this.#fallback;
    }
    if (this.#cache.size >= MAX_ENTRIES) this.#cache.delete(this.#cache.keys().next().value ?? '');
    this.#cache.set(userId, { lang, expires: Date.now() + TTL_MS });
    return lang;
  }
}
