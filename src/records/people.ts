import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';

/** The language code someone chose with `/transcribe language` (checked by the caller), when they chose one. */
export async function chosenLanguage(store: Store, workspace: string, user: string): Promise<string | undefined> {
  return store.get<string>(workspaceKeys(workspace).personLanguage(user));
}

/** Sets (or with undefined, forgets) someone's choice of language. */
export async function chooseLanguage(
  store: Store,
  workspace: string,
  user: string,
  lang: string | undefined,
): Promise<void> {
  const key = workspaceKeys(workspace).personLanguage(user);
  if (lang) await store.set(key, lang);
  else await store.delete(key);
}
