import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';

/** A calendar month in UTC, as `YYYY-MM`: budgets and usage run from the 1st, 00:00 UTC. */
export function monthOf(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

/** Seconds of audio sent to the provider and memos, in a month. */
export interface Tally {
  seconds: number;
  memos: number;
}

/** A month's usage: in total and per channel, the busiest first. */
export interface MonthUsage extends Tally {
  month: string;
  channels: (Tally & { channel: string })[];
}

const TOTAL_SECONDS = 'seconds';
const TOTAL_MEMOS = 'memos';
const CHANNEL_SECONDS = 'seconds:';
const CHANNEL_MEMOS = 'memos:';

/**
 * What each workspace sent to the provider, per calendar month (UTC): one record a month, whose fields are counts
 * added atomically, so that instances uploading at once never lose one another's minutes.
 */
export class Usage {
  readonly #store: Store;
  readonly #keptMs: number;

  constructor(store: Store, keptMs: number) {
    this.#store = store;
    this.#keptMs = keptMs;
  }

  /** Adds (or with negative numbers, takes back) a memo's seconds; the month's total seconds after. */
  async add(workspace: string, month: string, channel: string, tally: Tally): Promise<number> {
    const after = await this.#store.incrementFields(
      workspaceKeys(workspace).usage(month),
      {
        [TOTAL_SECONDS]: tally.seconds,
        [TOTAL_MEMOS]: tally.memos,
        [`${CHANNEL_SECONDS}${channel}`]: tally.seconds,
        [`${CHANNEL_MEMOS}${channel}`]: tally.memos,
      },
      this.#keptMs,
    );
    return after[TOTAL_SECONDS] ?? 0;
  }

  async of(workspace: string, month: string): Promise<MonthUsage> {
    const fields = (await this.#store.record<Record<string, number>>(workspaceKeys(workspace).usage(month))) ?? {};
    const count = (v: unknown) => (typeof v === 'number' && v > 0 ? v : 0);
    const channels = Object.keys(fields)
      .filter((f) => f.startsWith(CHANNEL_SECONDS))
      .map((f) => {
        const channel = f.slice(CHANNEL_SECONDS.length);
        return { channel, seconds: count(fields[f]), memos: count(fields[`${CHANNEL_MEMOS}${channel}`]) };
      })
      .filter((c) => c.seconds > 0 || c.memos > 0)
      .sort((a, b) => b.seconds - a.seconds || b.memos - a.memos || a.channel.localeCompare(b.channel));
    return { month, seconds: count(fields[TOTAL_SECONDS]), memos: count(fields[TOTAL_MEMOS]), channels };
  }
}
