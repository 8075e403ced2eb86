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

/** A memo someone shared, as their Home tab lists it. */
export interface PersonJob {
  trackingId: string;
  channel: string;
  ts: string;
  fileId: string;
  fileName: string;
  since: number;
  /** The thread the memo is in, when it is a reply in one. */
  threadTs?: string;
}

/**
 * The memos each person shared (or asked for), newest kept: `kept` per person (at most half as many again between
 * two trims), the oldest leaving first, each for the workspace's retention.
 */
export class PersonJobs {
  readonly #store: Store;
  readonly #kept: number;

  constructor(store: Store, kept: number) {
    this.#store = store;
    this.#kept = kept;
  }

  async list(workspace: string, user: string, job: PersonJob, ttlMs: number): Promise<void> {
    const key = workspaceKeys(workspace).personJobs(user);
    const { size } = await this.#store.addField(key, job.trackingId, job, ttlMs);
    // Trimmed back to `kept` once it passes it by half as many again, not at every memo: someone sharing a burst of
    // memos costs one write each, and a trim now and then.
    if (size <= this.#kept + Math.ceil(this.#kept / 2)) return;
    const oldest = (await this.jobs(workspace, user)).slice(this.#kept);
    await this.#store.update(key, Object.fromEntries(oldest.map((j) => [j.trackingId, null])));
  }

  async unlist(workspace: string, user: string, trackingIds: readonly string[]): Promise<void> {
    if (trackingIds.length === 0) return;
    await this.#store.update(
      workspaceKeys(workspace).personJobs(user),
      Object.fromEntries(trackingIds.map((id) => [id, null])),
    );
  }

  /** Newest first. */
  async jobs(workspace: string, user: string): Promise<PersonJob[]> {
    const all = await this.#store.record<Record<string, PersonJob>>(workspaceKeys(workspace).personJobs(user));
    return Object.values(all ?? {})
      .filter((j): j is PersonJob => j !== undefined && typeof j.since === 'number')
      .sort((a, b) => b.since - a.since);
  }
}
