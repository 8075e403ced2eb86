import { memoryStore } from './memory.ts';
import { redisStore } from './redis.ts';
import { sqliteStore } from './sqlite.ts';

/**
 * What the app keeps, behind one interface with three adapters side by side, as keyv does: `redis.ts` (several
 * instances share it), `sqlite.ts` (one instance, a file on disk: the default) and `memory.ts` (unit tests only).
 * Every adapter runs the same contract suite (test/store-contract.test.ts). Every key is built in `keys.ts`.
 *
 * Five kinds of entry, each with its own operations; a key holds one kind:
 * - values: one JSON value (`get`, `set`);
 * - tokens: a string compared exactly, for claims and locks with an owner (`claim`, `peek`, `swap`, `release`,
 *   `extend`);
 * - records: named fields written one by one, so that two writers never lose each other's fields, with an
 *   atomic condition on fields (`record`, `update`, `addField`): a job's state changes through these; fields that
 *   are counts add up atomically (`incrementFields`);
 * - counters (`increment`);
 * - schedules: members due at a time, taken by whichever instance looks first (`schedule`, `takeDue`,
 *   `unschedule`).
 */
export interface Store {
  /** `memory` serves one process and keeps nothing; `sqlite` one instance, on disk; `redis` every instance. */
  readonly kind: StoreKind;

  /** The value stored under key, or undefined when absent or expired. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores a JSON value; ttlMs undefined: kept until deleted. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  /** Deletes keys of any kind. */
  delete(...keys: string[]): Promise<void>;

  /** Sets a token only when the key is absent. True for the one caller that set it, across every instance. */
  claim(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** The token under key. */
  peek(key: string): Promise<string | undefined>;
  /** Replaces the token only while it is `expected`. */
  swap(key: string, expected: string, token: string, ttlMs: number): Promise<boolean>;
  /** Deletes the token only while it is `expected` (an owner releasing its lock). */
  release(key: string, expected: string): Promise<boolean>;
  /** Renews the token's TTL only while it is `expected` (an owner keeping its lock). */
  extend(key: string, expected: string, ttlMs: number): Promise<boolean>;

  /** Every field of a record, or undefined when it has none. */
  record<T extends object>(key: string): Promise<Partial<T> | undefined>;
  /**
   * Atomically: when every condition of `when` holds, writes `fields` (a field set to null is removed) and, with
   * `ttlMs`, restarts the record's TTL. True when the fields were written. Fields not named are left as they are.
   */
  update(key: string, fields: Readonly<Record<string, unknown>>, options?: UpdateOptions): Promise<boolean>;
  /** Adds a field unless the record has it. Restarts the record's TTL. */
  addField(key: string, field: string, value: unknown, ttlMs: number): Promise<{ added: boolean; size: number }>;
  /**
   * Atomically adds a whole number to each named field of a record (a field absent counts as 0) and returns the new
   * values; with `ttlMs`, restarts the record's TTL. The fields read back as numbers (`record`).
   */
  incrementFields(
    key: string,
    increments: Readonly<Record<string, number>>,
    ttlMs?: number,
  ): Promise<Record<string, number>>;

  /** Adds n to a counter (created at 0) and returns the new value; with ttlMs, restarts its TTL. */
  increment(key: string, n: number, ttlMs?: number): Promise<number>;

  /**
   * Makes `member` due at `at` (epoch ms, kept to the whole millisecond); with `earlier`, only when that is earlier
   * than its current time.
   */
  schedule(key: string, member: string, at: number, options?: { earlier?: boolean }): Promise<void>;
  /**
   * Takes up to `limit` members due by `now` and makes each due again at `now + leaseMs`, so that a member whose
   * taker dies comes back. Whoever took one calls `schedule` or `unschedule` with the lease it got.
   */
  takeDue(key: string, now: number, limit: number, leaseMs: number): Promise<Due[]>;
  /** Removes a member; with `lease`, only while it is still due at that lease (nobody moved it meanwhile). */
  unschedule(key: string, member: string, lease?: number): Promise<void>;
  /** When a member is due, if it is scheduled. */
  dueAt(key: string, member: string): Promise<number | undefined>;

  /** Every live key that starts with prefix (for deleting a workspace's data). */
  keysWith(prefix: string): Promise<string[]>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type StoreKind = 'memory' | 'sqlite' | 'redis';

/** Each named field must hold one of the listed values; null stands for "absent". */
export type FieldCondition = Readonly<Record<string, readonly FieldValue[]>>;
export type FieldValue = string | number | boolean | null;

export interface UpdateOptions {
  when?: FieldCondition;
  ttlMs?: number;
}

/** A schedule member taken by `takeDue`, and the lease it is due at now. */
export interface Due {
  member: string;
  lease: number;
}

export type StoreOptions =
  | { kind: 'redis'; url: string; prefix: string; tlsVerify: boolean }
  | { kind: 'sqlite'; path: string }
  | { kind: 'memory' };

export async function createStore(options: StoreOptions): Promise<Store> {
  switch (options.kind) {
    case 'redis':
      return redisStore(options);
    case 'sqlite':
      return sqliteStore(options);
    case 'memory':
      return memoryStore();
  }
}

/** Whether a record's fields meet a condition; fields are compared in their stored (JSON) form. */
export function meets(stored: ReadonlyMap<string, string> | undefined, when: FieldCondition | undefined): boolean {
  if (!when) return true;
  return Object.entries(when).every(([field, allowed]) => {
    const current = stored?.get(field);
    return allowed.some((v) => (v === null ? current === undefined : current === JSON.stringify(v)));
  });
}

/** Parses stored fields back into their values. */
export function parseFields<T>(stored: ReadonlyMap<string, string> | Record<string, string>): Partial<T> {
  const entries = stored instanceof Map ? [...stored] : Object.entries(stored);
  return Object.fromEntries(entries.map(([k, v]) => [k, JSON.parse(v)])) as Partial<T>;
}
