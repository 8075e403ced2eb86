import type { Store } from './index.ts';

interface Entry {
  value: unknown;
  /** Epoch ms; Infinity when kept until deleted. */
  expires: number;
}

/** How often expired entries are swept, so that a long-running instance does not keep them all. */
const SWEEP_MS = 60_000;

/**
 * The in-process store: one instance, nothing survives a restart. Values are kept as JSON text, as Redis
 * keeps them, so that a caller never shares an object with the store.
 */
export function memoryStore(options: { sweepMs?: number } = {}): Store & { size(): number } {
  const entries = new Map<string, Entry>();
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expires <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const put = (key: string, value: unknown, ttlMs?: number) =>
    entries.set(key, { value, expires: ttlMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + ttlMs });
  const map = (key: string): Map<string, string> | undefined => {
    const value = live(key)?.value;
    return value instanceof Map ? (value as Map<string, string>) : undefined;
  };
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expires <= now) entries.delete(key);
  }, options.sweepMs ?? SWEEP_MS);
  sweep.unref();

  return {
    kind: 'memory',
    get: async <T>(key: string) => {
      const value = live(key)?.value;
      return typeof value === 'string' ? (JSON.parse(value) as T) : undefined;
    },
    set: async (key, value, ttlMs) => void put(key, JSON.stringify(value), ttlMs),
    delete: async (key) => void entries.delete(key),
    claim: async (key, value, ttlMs) => {
      if (live(key)) return false;
      put(key, JSON.stringify(value), ttlMs);
      return true;
    },
    swap: async (key, expected, value, ttlMs) => {
      if (live(key)?.value !== JSON.stringify(expected)) return false;
      put(key, JSON.stringify(value), ttlMs);
      return true;
    },
    release: async (key, expected) => live(key)?.value === JSON.stringify(expected) && entries.delete(key),
    extend: async (key, expected, ttlMs) => {
      const entry = live(key);
      if (entry?.value !== JSON.stringify(expected)) return false;
      entry.expires = Date.now() + ttlMs;
      return true;
    },
    mapAdd: async (key, field, value, ttlMs) => {
      let fields = map(key);
      if (!fields) {
        fields = new Map();
        put(key, fields, ttlMs);
      }
      const entry = entries.get(key);
      if (entry) entry.expires = Date.now() + ttlMs;
      if (fields.has(field)) return { added: false, size: fields.size };
      fields.set(field, JSON.stringify(value));
      return { added: true, size: fields.size };
    },
    mapRemove: async (key, field) => void map(key)?.delete(field),
    mapValues: async <T>(key: string) => [...(map(key)?.values() ?? [])].map((v) => JSON.parse(v) as T),
    increment: async (key, n, ttlMs) => {
      const current = live(key)?.value;
      const next = (typeof current === 'number' ? current : 0) + n;
      put(key, next, ttlMs);
      return next;
    },
    ping: async () => {},
    close: async () => {
      clearInterval(sweep);
      entries.clear();
    },
    size: () => entries.size,
  };
}
