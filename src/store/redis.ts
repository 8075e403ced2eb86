import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import type { Store } from './index.ts';

export interface RedisOptions {
  url: string;
  /** For rediss:// URLs: whether the server's certificate must be valid (Heroku Redis' is self-signed). */
  tlsVerify: boolean;
}

/**
 * A connected node-redis client (the one @keyv/redis brings) for the store. At start it gives up after
 * a few tries so that the app says Redis does not answer; once connected it reconnects for as long as it takes.
 */
async function connectRedis({ url, tlsVerify }: RedisOptions) {
  let connected = false;
  const client = createClient({
    url,
    // Commands fail at once while Redis is away, instead of piling up in memory: the webhook answers 503 (the
    // provider tries again) and /healthz says so.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 5000,
      ...(url.startsWith('rediss://') ? { tls: true as const, rejectUnauthorized: tlsVerify } : {}),
      reconnectStrategy: (retries, cause) =>
        !connected && retries >= 3
          ? new Error(`Redis does not answer (${cause.message})`)
          : Math.min(retries * 200, 3000),
    },
  });
  client.on('error', () => {}); // failures surface as rejected commands and in ping()
  await client.connect();
  connected = true;
  return client;
}

type RedisClient = Awaited<ReturnType<typeof connectRedis>>;

// Compare-and-set, compare-and-delete and compare-and-expire: one round trip each, atomic in Redis.
const SWAP = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) and 1 else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/** The Redis store: records through keyv, the atomic operations as Redis commands and scripts. */
export async function redisStore(options: RedisOptions & { prefix: string }): Promise<Store> {
  const client = await connectRedis(options);
  // Both keyv and its Redis adapter swallow a failed command by default (an 'error' event, then `undefined`
  // from get and nothing from set). A record read while Redis was away then looked absent: a callback's job
  // seemed unknown and was answered 409, which OMICall does not retry, so its segments were lost; and a write
  // seemed to succeed. Failures must reach the caller (the webhook answers 503).
  const keyv = new Keyv({
    store: new KeyvRedis(client, { throwOnErrors: true }),
    namespace: undefined,
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  const k = (key: string) => `${options.prefix}${key}`;
  const script = async (lua: string, key: string, args: (string | number)[]) =>
    Number(await client.eval(lua, { keys: [k(key)], arguments: args.map(String) })) === 1;
  // Claims and locks are written in keyv's own form ({"value": …}), so that `get` reads them like any record,
  // and compared as whole strings by the scripts.
  const json = (value: string) => JSON.stringify({ value });
  return {
    kind: 'redis',
    get: async (key) => keyv.get(k(key)),
    set: async (key, value, ttl) => void (await keyv.set(k(key), value, ttl)),
    delete: async (key) => void (await client.del(k(key))),
    claim: async (key, value, ttl) => (await client.set(k(key), json(value), { NX: true, PX: ttl })) === 'OK',
    swap: async (key, expected, value, ttl) => script(SWAP, key, [json(expected), json(value), ttl]),
    release: async (key, expected) => script(RELEASE, key, [json(expected)]),
    extend: async (key, expected, ttl) => script(EXTEND, key, [json(expected), ttl]),
    mapAdd: async (key, field, value, ttl) => {
      const [added, , size] = await client
        .multi()
        .hSetNX(k(key), field, JSON.stringify(value))
        .pExpire(k(key), ttl)
        .hLen(k(key))
        .exec();
      return { added: Number(added) === 1, size: Number(size) };
    },
    mapRemove: async (key, field) => void (await client.hDel(k(key), field)),
    mapValues: async <T>(key: string) => Object.values(await client.hGetAll(k(key))).map((v) => JSON.parse(v) as T),
    increment: async (key, n, ttl) => {
      const [value] = await client.multi().incrBy(k(key), n).pExpire(k(key), ttl).exec();
      return Number(value);
    },
    ping: async () => void (await client.ping()),
    close: () => closeRedis(client),
  };
}

/** Closes a client: politely while Redis answers, at once when it does not (close() would wait for it). */
async function closeRedis(client: RedisClient): Promise<void> {
  if (!client.isOpen) return;
  if (!client.isReady) {
    client.destroy();
    return;
  }
  await Promise.race([client.close(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  if (client.isOpen) client.destroy();
}
