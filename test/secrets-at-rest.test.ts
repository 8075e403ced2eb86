/**
 * Secrets at rest, in distribution mode: every workspace's bot token and OMICall key is sealed with ENCRYPTION_KEY
 * (AES-256-GCM), so neither can be read in the store's bytes without it; a sealed value opens only under the key it
 * was stored under; changing ENCRYPTION_KEY (the old one as ENCRYPTION_KEY_PREVIOUS) seals everything again; and the
 * app refuses to run on a store that forgets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../src/assemble.ts';
import { EnvReader } from '../src/env.ts';
import { ConfigError } from '../src/errors.ts';
import { boltLogger, createLogger } from '../src/log.ts';
import { omicall } from '../src/providers/omicall/index.ts';
import { workspaceKeys } from '../src/store/keys.ts';
import { memoryStore } from '../src/store/memory.ts';
import { Cipher } from '../src/workspaces/cipher.ts';
import { distributionWorkspaces } from '../src/workspaces/distribution.ts';
import { speech } from './helpers/audio.ts';
import { ENCRYPTION_KEY, Harness, waitFor } from './helpers/harness.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { IN_A, install, PEOPLE, seatPeople, setKeyThroughModal, shareIn } from './helpers/workspaces.ts';
import { KEY_A } from './stand-ins/omicall.ts';
import { TEAM_A } from './stand-ins/slack.ts';

/** Every byte the embedded store keeps on disk (its file and its write-ahead log). */
function sqliteBytes(h: Harness): string {
  const base = join(h.dataDir, DATABASE_FILE);
  return [base, `${base}-wal`]
    .filter((p) => existsSync(p))
    .map((p) => readFileSync(p).toString('latin1'))
    .join('');
}

/** Every value Redis holds under the harness's prefix, as Redis itself returns it. */
async function redisBytes(h: Harness): Promise<string> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const parts: string[] = [];
    for (const key of await redis.keys(`${h.prefix}*`)) {
      const dump = await redis.dumpBuffer(key);
      parts.push(key, dump ? dump.toString('latin1') : '');
    }
    return parts.join('\n');
  } finally {
    redis.disconnect();
  }
}

describe.each([
  ['the embedded store', false],
  ['Redis', true],
])('on %s', (_name, redis) => {
  it("a workspace's token and OMICall key are not in the store's bytes, and open again after a restart", async () => {
    const h = await Harness.start({ redis, distribution: {} });
    seatPeople(h);
    try {
      await install(h, { kind: 'approve', team: TEAM_A, user: PEOPLE.adminA });
      expect((await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A)).body.response_action).toBe('update');
      const token = h.slack.tokenOf(TEAM_A) ?? '';
      const bytes = redis ? await redisBytes(h) : sqliteBytes(h);
      expect(bytes).toContain(workspaceKeys(TEAM_A).installation());
      expect(bytes).not.toContain(token);
      expect(bytes).not.toContain(token.slice(5));
      expect(bytes).not.toContain(KEY_A);
      await h.app.stop();
      const restarted = await Harness.start({ with: h, redis, distribution: {} });
      try {
        h.slack.channelTeams.set('C0ALPHA01', [TEAM_A]);
        const file = h.slack.addFile({ name: 'm.wav', mimetype: 'audio/wav', path: speech('wav'), team: TEAM_A });
        const { ts } = await shareIn(restarted, IN_A, 'C0ALPHA01', file);
        const up = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000);
        expect(up.headers.apikey).toBe(KEY_A);
      } finally {
        await restarted.stop();
      }
    } finally {
      await h.stop();
    }
  });
});

it('changing ENCRYPTION_KEY: with the old one as ENCRYPTION_KEY_PREVIOUS, everything is sealed again at start', async () => {
  const h = await Harness.start({ distribution: {} });
  seatPeople(h);
  try {
    await install(h, { kind: 'approve', team: TEAM_A, user: PEOPLE.adminA });
    await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A);
    const sealedWith = async (store: Harness['app']['store']) => {
      const installation = await store.get<{ token: string }>(workspaceKeys(TEAM_A).installation());
      const key = await store.get<{ sealed: string }>(workspaceKeys(TEAM_A).providerKey());
      return [installation?.token.split('.')[1], key?.sealed.split('.')[1]];
    };
    const oldId = new Cipher(Buffer.from(ENCRYPTION_KEY, 'base64')).keyId;
    expect(await sealedWith(h.app.store)).toEqual([oldId, oldId]);
    await h.app.stop();
    const next = Buffer.alloc(32, 3);
    const rotating = await Harness.start({
      with: h,
      distribution: {},
      env: { ENCRYPTION_KEY: next.toString('hex'), ENCRYPTION_KEY_PREVIOUS: ENCRYPTION_KEY },
    });
    const newId = new Cipher(next).keyId;
    expect(rotating.logged('secrets sealed again with the current ENCRYPTION_KEY')[0]).toMatchObject({ resealed: 2 });
    expect(await sealedWith(rotating.app.store)).toEqual([newId, newId]);
    await rotating.stop();
    // The old key can go: the new one alone opens everything.
    const after = await Harness.start({ with: h, distribution: {}, env: { ENCRYPTION_KEY: next.toString('base64') } });
    expect(after.logged('distribution mode')[0]).toMatchObject({ installations: 1 });
    expect(after.logged('some workspaces cannot be served: their secrets do not open with ENCRYPTION_KEY')).toEqual([]);
    await after.stop();
  } finally {
    await h.stop();
  }
});

describe('the cipher', () => {
  const cipher = new Cipher(Buffer.alloc(32, 1));

  it('opens what it sealed, under the key it was stored under only', () => {
    const sealed = cipher.seal('xoxb-secret', 'ws:T0001:installation');
    expect(sealed).not.toContain('xoxb-secret');
    expect(cipher.open(sealed, 'ws:T0001:installation')).toEqual({ ok: true, plain: 'xoxb-secret', stale: false });
    // Copied under another workspace's key, it does not open.
    expect(cipher.open(sealed, 'ws:T0002:installation')).toEqual({ ok: false, why: 'tampered' });
    // Two seals of the same text differ (a fresh IV each time).
    expect(cipher.seal('xoxb-secret', 'k')).not.toBe(cipher.seal('xoxb-secret', 'k'));
  });

  it('refuses a changed byte, another key, and what is not a sealed value', () => {
    const sealed = cipher.seal('omi-key', 'k');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[4], 'base64url');
    flipped[0] ^= 1;
    expect(cipher.open([...parts.slice(0, 4), flipped.toString('base64url')].join('.'), 'k').ok).toBe(false);
    expect(new Cipher(Buffer.alloc(32, 2)).open(sealed, 'k')).toEqual({ ok: false, why: 'unknown-key' });
    // Nor does a key it holds as the previous one open what a third key sealed: that key is unknown, not tried.
    expect(new Cipher(Buffer.alloc(32, 2), Buffer.alloc(32, 3)).open(sealed, 'k')).toEqual({
      ok: false,
      why: 'unknown-key',
    });
    for (const junk of ['', 'v1', 'v2.a.b.c.d', `${sealed}.extra`]) expect(cipher.open(junk, 'k').ok).toBe(false);
  });

  it('an empty secret seals and opens; a value with a part missing or added is tampered, under a known key', () => {
    const empty = cipher.seal('', 'k');
    expect(cipher.open(empty, 'k')).toEqual({ ok: true, plain: '', stale: false });
    const [version, id, iv, tag, body] = cipher.seal('omi-key', 'k').split('.');
    expect(version).toBe('v1');
    expect(id).toBe(cipher.keyId);
    expect(id).toMatch(/^[A-Za-z0-9_-]{8}$/);
    const tampered = { ok: false, why: 'tampered' };
    expect(cipher.open([version, id, '', tag, body].join('.'), 'k')).toEqual(tampered);
    expect(cipher.open([version, id, iv, '', body].join('.'), 'k')).toEqual(tampered);
    expect(cipher.open([version, id, iv, tag].join('.'), 'k')).toEqual(tampered);
    expect(cipher.open([version, id, iv, tag, body, ''].join('.'), 'k')).toEqual(tampered);
    expect(cipher.open(['v2', id, iv, tag, body].join('.'), 'k')).toEqual(tampered);
    expect(cipher.open([version, id, iv, tag, body].join('.'), 'k')).toEqual({
      ok: true,
      plain: 'omi-key',
      stale: false,
    });
    // The key id says nothing of the key: another key, another id; the same key, the same id.
    expect(new Cipher(Buffer.alloc(32, 1)).keyId).toBe(id);
    expect(new Cipher(Buffer.alloc(32, 3)).keyId).not.toBe(id);
  });

  it('with the previous key: opens its values, and says they are to be sealed again', () => {
    const old = new Cipher(Buffer.alloc(32, 5));
    const both = new Cipher(Buffer.alloc(32, 6), Buffer.alloc(32, 5));
    expect(both.open(old.seal('t', 'k'), 'k')).toEqual({ ok: true, plain: 't', stale: true });
  });
});

it('distribution mode refuses the memory store, and says why', () => {
  const log = createLogger({ level: 'error', format: 'json', write: () => {} });
  const refusal = (() => {
    try {
      distributionWorkspaces({
        store: memoryStore(),
        cipher: new Cipher(Buffer.alloc(32)),
        retentionMs: async () => 1,
        clients: { slackApiUrl: 'http://127.0.0.1:1/api/', logger: boltLogger(log, 'error') },
        provider: omicall.configure(new EnvReader({})).create({ timeoutMs: 1000 }),
        webhookUrlOf: () => undefined,
        fingerprintKey: 'f',
        log,
      });
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  expect(refusal).toBeInstanceOf(ConfigError);
  expect((refusal as ConfigError).problems).toEqual([
    expect.stringMatching(/survives a restart: the memory store forgets every installation and OMICall key.*REDIS_URL/),
  ]);
});
