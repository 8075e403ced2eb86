import { type Due, meets, parseFields, type Store, type UpdateOptions } from './index.ts';

type Entry =
  | { kind: 'value'; data: string; expires: number }
  | { kind: 'token'; data: string; expires: number }
  | { kind: 'record'; data: Map<string, string>; expires: number }
  | { kind: 'counter'; data: number; expires: number }
  | { kind: 'schedule'; data: Map<string, number>; expires: number };

/** How often expired entries are swept, so that a long-running process does not keep them all. */
const SWEEP_MS = 60_000;

/**
 * The in-process store, for unit tests: one process, nothing survives it. Values are kept as JSON text, as the
 * other adapters keep them, so that a caller never shares an object with the store.
 */
export function memoryStore(options: { sweepMs?: number } = {}): Store & { size(): number } {
  const entries = new Map<string, Entry>();
  const never = Number.POSITIVE_INFINITY;
  const until = (ttlMs: number | undefined) => (ttlMs === undefined ? never : Date.now() + ttlMs);
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expires <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const of = <K extends Entry['kind']>(key: string, kind: K) => {
    const entry = live(key);
    return entry?.kind === kind ? (entry as Extract<Entry, { kind: K }>) : undefined;
  };
  const token = (key: string) => of(key, 'token')?.data;
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expires <= now) entries.delete(key);
  }, options.sweepMs ?? SWEEP_MS);
  sweep.unref();

  const schedule = (key: string) => {
    let entry = of(key, 'schedule');
    if (!entry) {
      entry = { kind: 'schedule', data: new Map(), expires: never };
      entries.set(key, entry);
    }
    return entry.data;
  };

  return {
    kind: 'memory',
    get: async <T>(key: string) => {
      const value = of(key, 'value')?.data;
      return value === undefined ? undefined : (JSON.parse(value) as T);
    },
    set: async (key, value, ttlMs) => {
      entries.set(key, { kind: 'value', data: JSON.stringify(value), expires: until(ttlMs) });
    },
    delete: async (...keys) => {
      for (const key of keys) entries.delete(key);
    },

    claim: async (key, value, ttlMs) => {
      if (live(key)) return false;
      entries.set(key, { kind: 'token', data: value, expires: until(ttlMs) });
      return true;
    },
    peek: async (key) => token(key),
    swap: async (key, expected, value, ttlMs) => {
      if (token(key) !== expected) return false;
      entries.set(key, { kind: 'token', data: value, expires: until(ttlMs) });
      return true;
    },
    release: async (key, expected) => token(key) === expected && entries.delete(key),
    extend: async (key, expected, ttlMs) => {
      const entry = of(key, 'token');
      if (entry?.data !== expected) return false;
      entry.expires = until(ttlMs);
      return true;
    },

    record: async <T extends object>(key: string) => {
      const fields = of(key, 'record')?.data;
      return fields && fields.size > 0 ? parseFields<T>(fields) : undefined;
    },
    update: async (key, fields, options: UpdateOptions = {}) => {
      const entry = of(key, 'record');
      if (!meets(entry?.data, options.when)) return false;
      const data = entry?.data ?? new Map<string, string>();
      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined) continue;
        if (value === null) data.delete(field);
        else data.set(field, JSON.stringify(value));
      }
      const expires = options.ttlMs !== undefined ? until(options.ttlMs) : (entry?.expires ?? never);
      if (data.size === 0) entries.delete(key);
      else entries.set(key, { kind: 'record', data, expires });
      return true;
    },
    addField: async (key, field, value, ttlMs) => {
      const entry = of(key, 'record') ?? { kind: 'record' as const, data: new Map<string, string>(), expires: never };
      entry.expires = until(ttlMs);
      entries.set(key, entry);
      if (entry.data.has(field)) return { added: false, size: entry.data.size };
      entry.data.set(field, JSON.stringify(value));
      return { added: true, size: entry.data.size };
    },

    incrementFields: async (key, increments, ttlMs) => {
      const entry = of(key, 'record') ?? { kind: 'record' as const, data: new Map<string, string>(), expires: never };
      const after: Record<string, number> = {};
      for (const [field, n] of Object.entries(increments)) {
        const next = Number(JSON.parse(entry.data.get(field) ?? '0')) + Math.trunc(n);
        entry.data.set(field, JSON.stringify(next));
        after[field] = next;
      }
      if (ttlMs !== undefined) entry.expires = until(ttlMs);
      if (entry.data.size > 0) entries.set(key, entry);
      return after;
    },

    increment: async (key, n, ttlMs) => {
      const entry = of(key, 'counter');
      const next = (entry?.data ?? 0) + n;
      entries.set(key, {
        kind: 'counter',
        data: next,
        expires: ttlMs !== undefined ? until(ttlMs) : (entry?.expires ?? never),
      });
      return next;
    },

    schedule: async (key, member, at, options = {}) => {
      const members = schedule(key);
      const current = members.get(member);
      const due = Math.round(at);
      if (options.earlier && current !== undefined && current <= due) return;
      members.set(member, due);
    },
    takeDue: async (key, now, limit, leaseMs) => {
      const members = of(key, 'schedule')?.data;
      if (!members) return [];
      const due = [...members]
        .filter(([, at]) => at <= now)
        .sort((a, b) => a[1] - b[1])
        .slice(0, limit);
      const lease = Math.round(now + leaseMs);
      const taken: Due[] = [];
      for (const [member] of due) {
        members.set(member, lease);
        taken.push({ member, lease });
      }
      return taken;
    },
    unschedule: async (key, member, lease) => {
      const members = of(key, 'schedule')?.data;
      if (members && (lease === undefined || members.get(member) === lease)) members.delete(member);
    },
    dueAt: async (key, member) => of(key, 'schedule')?.data.get(member),

    keysWith: async (prefix) => [...entries.keys()].filter((k) => k.startsWith(prefix) && live(k) !== undefined),
    ping: async () => {},
    close: async () => {
      clearInterval(sweep);
      entries.clear();
    },
    size: () => entries.size,
  };
}
