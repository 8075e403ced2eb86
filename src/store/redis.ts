import KeyvRedis, { createClient } from '@keyv/redis';
import Keyv from 'keyv';
import { type Due, parseFields, type Store } from './index.ts';

export interface RedisOptions {
  url: string;
  /** Prefix of every key (REDIS_PREFIX), so that the app can share a Redis with others. */
  prefix: string;
  /** For rediss:// URLs: whether the server's certificate must be valid (Heroku Redis' is self-signed). */
  tlsVerify: boolean;
}

/**
 * A connected node-redis client (the one @keyv/redis brings). At start it gives up after a few tries, so that the
 * app says Redis does not answer; once connected it reconnects for as long as it takes.
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

// Tokens: compare-and-set, compare-and-delete, compare-and-expire, one round trip each.
const SWAP = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) and 1 else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * Records are hashes of JSON fields. ARGV[1]: the condition, `{field: [stored form, or null for absent]}`;
 * ARGV[2]: the fields, `{field: stored form, or null to remove}`; ARGV[3]: the TTL in ms, 0 to leave it.
 */
const UPDATE = `
local when = cjson.decode(ARGV[1])
for field, allowed in pairs(when) do
  local current = redis.call('HGET', KEYS[1], field)
  local ok = false
  for _, v in ipairs(allowed) do
    if (v == cjson.null and current == false) or v == current then ok = true end
  end
  if not ok then return 0 end
end
for field, v in pairs(cjson.decode(ARGV[2])) do
  if v == cjson.null then redis.call('HDEL', KEYS[1], field) else redis.call('HSET', KEYS[1], field, v) end
end
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/** ARGV: now, limit, lease (the time each taken member is due again). */
const TAKE_DUE = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], member) end
return due`;

const UNSCHEDULE_AT = `if redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('ZREM', KEYS[1], ARGV[1]) else return 0 end`;

/**
 * The Redis store. Values go through keyv (its get/set with a TTL); keyv offers nothing else, so tokens, records,
 * counters and schedules are Redis commands and scripts on the same client, each atomic in Redis.
 */
export async function redisStore(options: RedisOptions): Promise<Store> {
  const client = await connectRedis(options);
  // keyv and its Redis adapter swallow a failed command by default (an 'error' event, then `undefined` from get):
  // a record read while Redis is away would look absent. Failures must reach the caller (the webhook answers 503).
  const keyv = new Keyv({
    store: new KeyvRedis(client, { throwOnErrors: true }),
    namespace: undefined,
    useKeyPrefix: false,
    throwOnErrors: true,
  });
  const k = (key: string) => `${options.prefix}${key}`;
  const run = async (lua: string, key: string, args: (string | number)[]) =>
    client.eval(lua, { keys: [k(key)], arguments: args.map(String) });
  const yes = async (lua: string, key: string, args: (string | number)[]) => Number(await run(lua, key, args)) === 1;
  const stored = (fields: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(
      Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([f, v]) => [f, v === null ? null : JSON.stringify(v)]),
    );

  return {
    kind: 'redis',
    get: async (key) => keyv.get(k(key)),
    set: async (key, value, ttl) => void (await keyv.set(k(key), value, ttl)),
    delete: async (...keys) => {
      if (keys.length > 0) await client.del(keys.map(k));
    },

    claim: async (key, token, ttl) =>
      (await client.set(k(key), token, { condition: 'NX', expiration: { type: 'PX', value: ttl } })) === 'OK',
    peek: async (key) => (await client.get(k(key))) ?? undefined,
    swap: async (key, expected, token, ttl) => yes(SWAP, key, [expected, token, ttl]),
    release: async (key, expected) => yes(RELEASE, key, [expected]),
    extend: async (key, expected, ttl) => yes(EXTEND, key, [expected, ttl]),

    record: async <T extends object>(key: string) => {
      const fields = await client.hGetAll(k(key));
      return Object.keys(fields).length > 0 ? parseFields<T>(fields) : undefined;
    },
    update: async (key, fields, opts = {}) => {
      const when = Object.fromEntries(
        Object.entries(opts.when ?? {}).map(([f, vs]) => [f, vs.map((v) => (v === null ? null : JSON.stringify(v)))]),
      );
      // cjson reads an empty table as an object: encode "no condition" and "no fields" as {} explicitly.
      return yes(UPDATE, key, [JSON.stringify(when), JSON.stringify(stored(fields)), opts.ttlMs ?? 0]);
    },
    addField: async (key, field, value, ttl) => {
      const [added, , size] = await client
        .multi()
        .hSetNX(k(key), field, JSON.stringify(value))
        .pExpire(k(key), ttl)
        .hLen(k(key))
        .exec();
      return { added: Number(added) === 1, size: Number(size) };
    },

    incrementFields: async (key, increments, ttl) => {
      const fields = Object.entries(increments);
      if (fields.length === 0) return {};
      const multi = client.multi();
      for (const [field, n] of fields) multi.hIncrBy(k(key), field, Math.trunc(n));
      if (ttl !== undefined) multi.pExpire(k(key), ttl);
      const results = await multi.exec();
      return Object.fromEntries(fields.map(([field], i) => [field, Number(results[i])]));
    },

    increment: async (key, n, ttl) => {
      if (ttl === undefined) return Number(await client.incrBy(k(key), n));
      const [value] = await client.multi().incrBy(k(key), n).pExpire(k(key), ttl).exec();
      return Number(value);
    },

    schedule: async (key, member, at, opts = {}) => {
      // ZADD LT still adds a member that is absent, and moves one only to an earlier time.
      await client.sendCommand(['ZADD', k(key), ...(opts.earlier ? ['LT'] : []), String(Math.round(at)), member]);
    },
    takeDue: async (key, now, limit, leaseMs) => {
      const lease = Math.round(now + leaseMs);
      const members = (await run(TAKE_DUE, key, [now, limit, lease])) as string[];
      return members.map((member): Due => ({ member, lease }));
    },
    unschedule: async (key, member, lease) => {
      if (lease === undefined) await client.zRem(k(key), member);
      else await run(UNSCHEDULE_AT, key, [member, lease]);
    },
    dueAt: async (key, member) => {
      const score = await client.zScore(k(key), member);
      return score === null ? undefined : Number(score);
    },

    keysWith: async (prefix) => {
      const found: string[] = [];
      const pattern = `${globEscape(k(prefix))}*`;
      for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) {
        for (const key of batch) found.push(String(key).slice(options.prefix.length));
      }
      return found;
    },
    ping: async () => void (await client.ping()),
    close: () => closeRedis(client),
  };
}

/** A key written into a SCAN pattern literally. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
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
