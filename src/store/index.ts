import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';

/**
 * What the app keeps: small records through keyv, plus what keyv cannot do atomically across
 * instances: set-if-absent (claims, locks) and maps whose entries several instances add to at once
 * (a transcript's segments, a channel's jobs).
 */
export interface Store {
  get<T>(key: string): Promise<T | undefined>;
  /** ttlMs undefined: kept until deleted. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Sets key only when absent. True for the one caller that set it, across every instance. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Adds an entry to a map unless the field is there; false when it was. Refreshes the map's TTL. */
  mapAdd(key: string, field: string, value: unknown, ttlMs: number): Promise<boolean>;
  mapRemove(key: string, field: string): Promise<void>;
  mapValues<T>(key: string): Promise<T[]>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export interface StoreOptions {
  redisUrl?: string;
  prefix: string;
  /** For rediss:// URLs: whether the server's certificate must be valid. */
  tlsVerify?: boolean;
}

export async function createStore(options: StoreOptions): Promise<Store> {
  return options.redisUrl ? redisStore(options.redisUrl, options.prefix, options.tlsVerify ?? true) : memoryStore();
}

export function memoryStore(): Store {
  const keyv = new Keyv();
  const claims = new Map<string, number>();
  const maps = new Map<string, { expires: number; entries: Map<string, unknown> }>();
  const alive = <T extends { expires: number } | number>(entry: T | undefined) =>
    entry !== undefined && (typeof entry === 'number' ? entry : entry.expires) > Date.now() ? entry : undefined;
  return {
    get: async (key) => keyv.get(key),
    set: async (key, value, ttl) => void (await keyv.set(key, value, ttl)),
    delete: async (key) => {
      claims.delete(key);
      await keyv.delete(key);
    },
    claim: async (key, ttl) => {
      if (alive(claims.get(key)) !== undefined) return false;
      claims.set(key, Date.now() + ttl);
      return true;
    },
    mapAdd: async (key, field, value, ttl) => {
      let map = alive(maps.get(key));
      if (!map) {
        map = { expires: 0, entries: new Map() };
        maps.set(key, map);
      }
      map.expires = Date.now() + ttl;
      if (map.entries.has(field)) return false;
      map.entries.set(field, value);
      return true;
    },
    mapRemove: async (key, field) => void maps.get(key)?.entries.delete(field),
    mapValues: async <T>(key: string) => [...(alive(maps.get(key))?.entries.values() ?? [])] as T[],
    ping: async () => {},
    close: async () => keyv.disconnect(),
  };
}

async function redisStore(url: string, prefix: string, tlsVerify: boolean): Promise<Store> {
  let connected = false;
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      ...(url.startsWith('rediss://') ? { tls: true as const, rejectUnauthorized: tlsVerify } : {}),
      // At start, give up after a few tries so the app says so; once up, reconnect for as long as it takes.
      reconnectStrategy: (retries, cause) =>
        !connected && retries >= 3
          ? new Error(`Redis does not answer (${cause.message})`)
          : Math.min(retries * 200, 3000),
    },
  });
  client.on('error', () => {}); // failures surface as rejected commands and in ping()
  await client.connect();
  connected = true;
  const keyv = new Keyv({ store: new KeyvRedis(client), namespace: undefined, useKeyPrefix: false });
  const k = (key: string) => `${prefix}${key}`;
  return {
    get: async (key) => keyv.get(k(key)),
    set: async (key, value, ttl) => void (await keyv.set(k(key), value, ttl)),
    delete: async (key) => void (await client.del(k(key))),
    claim: async (key, ttl) => (await client.set(k(key), '1', { NX: true, PX: ttl })) === 'OK',
    mapAdd: async (key, field, value, ttl) => {
      const [added] = await client.multi().hSetNX(k(key), field, JSON.stringify(value)).pExpire(k(key), ttl).exec();
      return Number(added) === 1;
    },
    mapRemove: async (key, field) => void (await client.hDel(k(key), field)),
    mapValues: async <T>(key: string) => Object.values(await client.hGetAll(k(key))).map((v) => JSON.parse(v) as T),
    ping: async () => void (await client.ping()),
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
