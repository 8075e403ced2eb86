import { memoryStore } from './memory.ts';
import { redisStore } from './redis.ts';

/**
 * What the app keeps, behind one interface with two adapters side by side (`memory.ts`, `redis.ts`), as keyv
 * does: small records, plus what must be atomic across instances: set-if-absent and compare-and-set (claims,
 * locks with an owner), maps several instances add to at once (a transcript's segments, a channel's jobs), and
 * counters.
 */
export interface Store {
  /** Which adapter: `memory` does not survive a restart and serves one instance only. */
  readonly kind: 'memory' | 'redis';
  /** The value stored under key, or undefined when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores a JSON value; ttlMs undefined: kept until deleted. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Sets key to value only when absent. True for the one caller that set it, across every instance. */
  claim(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Sets key to value only while it holds `expected`. True when it did. */
  swap(key: string, expected: string, value: string, ttlMs: number): Promise<boolean>;
  /** Deletes key only while it holds `expected` (a lock's owner releasing it). True when it did. */
  release(key: string, expected: string): Promise<boolean>;
  /** Renews key's TTL only while it holds `expected` (a lock's owner keeping it). True when it did. */
  extend(key: string, expected: string, ttlMs: number): Promise<boolean>;
  /** Adds an entry to a map unless the field is there. Refreshes the map's TTL. */
  mapAdd(key: string, field: string, value: unknown, ttlMs: number): Promise<{ added: boolean; size: number }>;
  mapRemove(key: string, field: string): Promise<void>;
  mapValues<T>(key: string): Promise<T[]>;
  /** Adds n to a counter (created at 0) and returns the new value. Refreshes its TTL. */
  increment(key: string, n: number, ttlMs: number): Promise<number>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  redisUrl?: string;
  prefix: string;
  /** For rediss:// URLs: whether the server's certificate must be valid. */
  tlsVerify?: boolean;
}

export async function createStore(options: StoreOptions): Promise<Store> {
  return options.redisUrl
    ? redisStore({ url: options.redisUrl, prefix: options.prefix, tlsVerify: options.tlsVerify ?? true })
    : memoryStore();
}

export const DAY_MS = 24 * 60 * 60 * 1000;
