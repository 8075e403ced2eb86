import type { Store } from '../store/index.ts';
import { jobKeyParts, processKeys, workspaceKeys } from '../store/keys.ts';

/** How often a process says it is alive, and how long that lasts: a dead process is known within 5 s. */
export const HEARTBEAT_MS = 1_500;
export const HEARTBEAT_TTL_MS = 5_000;

/** A relay between intake and the provider's answer. */
export interface LedgerEntry {
  workspace: string;
  trackingId: string;
  /** The process that has it; undefined while it waits in the queue. */
  worker?: string;
  /** When it entered the queue or was taken. */
  since: number;
}

/**
 * The relay ledger: every relay from the moment its memo is claimed until the provider accepted it or it failed,
 * with the process that has it. Recovery reads it to find relays whose process died (their heartbeat expired) and
 * relays that never reached the queue (a process killed between the claim and the queue).
 */
export class Ledger {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async enter(e: LedgerEntry): Promise<void> {
    await this.#store.update(processKeys.relays(), { [this.#field(e)]: { worker: e.worker ?? null, since: e.since } });
  }

  async leave(e: Pick<LedgerEntry, 'workspace' | 'trackingId'>): Promise<void> {
    await this.#store.update(processKeys.relays(), { [this.#field(e)]: null });
  }

  async entries(): Promise<LedgerEntry[]> {
    const all = await this.#store.record<Record<string, { worker: string | null; since: number }>>(
      processKeys.relays(),
    );
    const found: LedgerEntry[] = [];
    for (const [field, value] of Object.entries(all ?? {})) {
      const parts = jobKeyParts(field);
      if (!parts || !value) continue;
      found.push({ ...parts, since: value.since, ...(value.worker ? { worker: value.worker } : {}) });
    }
    return found;
  }

  /** Removes a workspace's entries (it was uninstalled). */
  async forgetWorkspace(workspace: string): Promise<void> {
    const prefix = workspaceKeys(workspace).prefix;
    const all = await this.#store.record<Record<string, unknown>>(processKeys.relays());
    const mine = Object.keys(all ?? {}).filter((f) => f.startsWith(prefix));
    if (mine.length > 0) await this.#store.update(processKeys.relays(), Object.fromEntries(mine.map((f) => [f, null])));
  }

  #field(e: Pick<LedgerEntry, 'workspace' | 'trackingId'>): string {
    return workspaceKeys(e.workspace).job(e.trackingId);
  }
}

/** Says that a process is alive, every HEARTBEAT_MS; `alive` tells whether another one still is. */
export class Heartbeat {
  readonly #store: Store;
  readonly #id: string;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: Store, instanceId: string) {
    this.#store = store;
    this.#id = instanceId;
  }

  start(onError: (err: unknown) => void): void {
    const beat = () => this.#store.set(processKeys.worker(this.#id), Date.now(), HEARTBEAT_TTL_MS).catch(onError);
    void beat();
    this.#timer = setInterval(beat, HEARTBEAT_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#store.delete(processKeys.worker(this.#id)).catch(() => {});
  }

  async alive(instanceId: string): Promise<boolean> {
    return (await this.#store.get<number>(processKeys.worker(instanceId))) !== undefined;
  }
}
