import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { segmentKey, type Segment } from '../transcripts/segments.ts';

/**
 * What the app keeps: small records through keyv, plus the two things keyv cannot do atomically
 * across instances, set-if-absent (claims, locks) and adding one segment to a transcript.
 */
export interface Store {
  get<T>(key: string): Promise<T | undefined>;
  /** ttlMs undefined: kept until deleted. */
  set(key: string, value: unknown, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Sets key only when absent. True for the one caller that set it, across every instance. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Adds a segment to a transcript; false when the same (from, to) is there already. */
  addSegment(transcript: string, segment: Segment, ttlMs: number): Promise<boolean>;
  segments(transcript: string): Promise<Segment[]>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

export async function createStore(options: { redisUrl?: string; prefix: string }): Promise<Store> {
  return options.redisUrl ? redisStore(options.redisUrl, options.prefix) : memoryStore();
}

export function memoryStore(): Store {
  const keyv = new Keyv();
  const claims = new Map<string, number>();
  const transcripts = new Map<string, { expires: number; segments: Map<string, Segment> }>();
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
    addSegment: async (id, segment, ttl) => {
      let t = alive(transcripts.get(id));
      if (!t) transcripts.set(id, (t = { expires: 0, segments: new Map() }));
      t.expires = Date.now() + ttl;
      const key = segmentKey(segment);
      if (t.segments.has(key)) return false;
      t.segments.set(key, segment);
      return true;
    },
    segments: async (id) => [...(alive(transcripts.get(id))?.segments.values() ?? [])],
    ping: async () => {},
    close: async () => keyv.disconnect(),
  };
}

async function redisStore(url: string, prefix: string): Promise<Store> {
  const client = createClient({ url, disableOfflineQueue: true, socket: { connectTimeout: 5000, reconnectStrategy: (n) => Math.min(n * 200, 3000) } });
  client.on('error', () => {}); // reconnects by itself; failures surface as rejected commands and in ping()
  await client.connect();
  const keyv = new Keyv({ store: new KeyvRedis(client), namespace: undefined, useKeyPrefix: false });
  const k = (key: string) => `${prefix}${key}`;
  return {
    get: async (key) => keyv.get(k(key)),
    set: async (key, value, ttl) => void (await keyv.set(k(key), value, ttl)),
    delete: async (key) => void (await client.del(k(key))),
    claim: async (key, ttl) => (await client.set(k(key), '1', { NX: true, PX: ttl })) === 'OK',
    addSegment: async (id, segment, ttl) => {
      const key = k(`segments:${id}`);
      const [added] = await client.multi().hSetNX(key, segmentKey(segment), JSON.stringify(segment)).pExpire(key, ttl).exec();
      return Number(added) === 1;
    },
    segments: async (id) => Object.values(await client.hGetAll(k(`segments:${id}`))).map((v) => JSON.parse(v) as Segment),
    ping: async () => void (await client.ping()),
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
