import type { Store } from '../store/index.ts';

const key = (user: string) => `person:${user}:language`;

/** The language code someone chose with `/transcribe language` (checked by the caller), when they chose one. */
export async function chosenLanguage(store: Store, user: string): Promise<string | undefined> {
  return store.get<string>(key(user));
}

/** Sets (or with undefined, forgets) someone's choice of language. */
export async function chooseLanguage(store: Store, user: string, lang: string | undefined): Promise<void> {
  if (lang) await store.set(key(user), lang);
  else await store.delete(key(user));
}
