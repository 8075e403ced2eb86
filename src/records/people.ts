import type { Lang } from '../i18n/index.ts';
import type { Store } from '../store/index.ts';

const key = (user: string) => `person:${user}:language`;

/** The language someone chose with `/transcribe language`, when they chose one. */
export async function chosenLanguage(store: Store, user: string): Promise<Lang | undefined> {
  return store.get<Lang>(key(user));
}

/** Sets (or with undefined, forgets) someone's choice of language. */
export async function chooseLanguage(store: Store, user: string, lang: Lang | undefined): Promise<void> {
  if (lang) await store.set(key(user), lang);
  else await store.delete(key(user));
}
