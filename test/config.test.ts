/**
 * The settings the app reads from its environment: their defaults and units, PUBLIC_URL, the refusals that name the
 * variable (also from `npm start`), and their documentation.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  configSecrets,
  deriveSecret,
  loadConfig,
  secretsOf,
  slackEventsUrl,
  webhookUrl,
  workspaceWebhookUrl,
} from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';
import { startAppProcess } from './helpers/app-process.ts';
import { Harness } from './helpers/harness.ts';
import { mutantEnv, runNode } from './helpers/process.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';
import { API_KEY } from './stand-ins/omicall.ts';
import { BOT_TOKEN } from './stand-ins/slack.ts';

const good = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  OMICALL_API_KEY: 'omi-key',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(good);
    expect(c.port).toBe(3000);
    expect(c.slackApiUrl).toBe('https://slack.com/api/');
    expect(c.provider.address).toBe('https://public-v1-stg.omicrm.com/api/ai/');
    expect(c.redisUrl).toBeUndefined();
    expect(c.maxAudioBytes).toBe(200 * 1024 * 1024);
    expect(c.relayConcurrency).toBe(4);
    expect(c.logLevel).toBe('info');
    expect(c.logFormat).toBe('json');
    expect(c.publicUrl).toBeUndefined();
  });

  it.each(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'OMICALL_API_KEY'])('names %s when it is missing', (name) => {
    const env: Record<string, string> = { ...good };
    delete env[name];
    expect(problems(env)).toEqual([expect.stringContaining(`${name} is required`)]);
  });

  it.each([
    ['SLACK_BOT_TOKEN', 'xoxp-user-token'],
    ['SLACK_SIGNING_SECRET', 'not hex!'],
    ['PUBLIC_URL', 'http://insecure.test'],
    ['PUBLIC_URL', 'not a url'],
    ['PORT', 'eighty'],
    ['REDIS_URL', 'localhost:6379'],
    ['MAX_AUDIO_MB', '-5'],
    // A limit of nothing would refuse every memo: the app does not start with it.
    ['MAX_AUDIO_MB', '0'],
    ['MAX_AUDIO_MB', '10001'],
    ['LOG_LEVEL', 'loud'],
    ['OMICALL_API_URL', 'ftp://omicall'],
    ['OMICALL_WEBHOOK_SECRET', 'short'],
  ])('names %s when it is malformed (%s)', (name, value) => {
    const found = problems({ ...good, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${name} `));
  });
});

describe('each setting, as docs/configuration.md documents it', () => {
  const one = (env: Record<string, string>) => problems({ ...good, ...env });

  it('a missing credential names where to find it', () => {
    const found = problems({});
    expect(found).toEqual([
      expect.stringMatching(/^SLACK_BOT_TOKEN is required: .*"OAuth & Permissions"/),
      expect.stringMatching(/^SLACK_SIGNING_SECRET is required: .*"Basic Information"/),
      expect.stringMatching(/^OMICALL_API_KEY is required: .*OMICall's web console/),
    ]);
    expect(one({ OMICALL_API_KEY: 'omi key' })).toEqual(['OMICALL_API_KEY must not contain spaces']);
  });

  it('secrets must be whole, not merely contain a valid part', () => {
    expect(one({ SLACK_SIGNING_SECRET: `zz${good.SLACK_SIGNING_SECRET}` })).toHaveLength(1);
    expect(one({ SLACK_SIGNING_SECRET: `${good.SLACK_SIGNING_SECRET}!!` })).toHaveLength(1);
    for (const bad of ['!!aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa!!', 'a'.repeat(15), 'a'.repeat(129)])
      expect(one({ OMICALL_WEBHOOK_SECRET: bad })).toEqual([expect.stringMatching(/^OMICALL_WEBHOOK_SECRET must be/)]);
    for (const ok of ['a'.repeat(16), `${'a-_Z9'.repeat(25)}abc`])
      expect(loadConfig({ ...good, OMICALL_WEBHOOK_SECRET: ok }).webhookSecret).toBe(ok);
    expect(one({ REDIS_URL: 'xredis://127.0.0.1' })).toEqual([expect.stringMatching(/^REDIS_URL /)]);
    expect(one({ OMICALL_API_URL: 'api.omicall.com/stt' })).toEqual([
      'OMICALL_API_URL is not a URL: "api.omicall.com/stt"',
    ]);
    expect(one({ SLACK_API_URL: 'ftp://slack.example/api/' })).toEqual([
      'SLACK_API_URL must be an http(s) URL, got "ftp://slack.example/api/"',
    ]);
  });

  it('without OMICALL_WEBHOOK_SECRET, the webhook secret is derived from the signing secret: 32 characters, its own', () => {
    const c = loadConfig(good);
    expect(c.webhookSecret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Stable across versions: the address registered with OMICall must stay valid after an upgrade.
    expect(c.webhookSecret).toBe(deriveSecret(good.SLACK_SIGNING_SECRET, 'omicall-webhook'));
    expect(c.webhookSecret).not.toBe(deriveSecret(good.SLACK_SIGNING_SECRET, 'tracking-id').slice(0, 32));
    expect(loadConfig({ ...good, SLACK_SIGNING_SECRET: 'f'.repeat(32) }).webhookSecret).not.toBe(c.webhookSecret);
    expect(loadConfig({ ...good }).webhookSecret).toBe(c.webhookSecret);
  });

  it('defaults and units', () => {
    const c = loadConfig(good);
    expect(c.redisPrefix).toBe('omicall-transcriber:');
    expect(c.redisTlsVerify).toBe(true);
    expect(c.jobLockMs).toBe(30_000);
    expect(c.maxAudioSeconds).toBe(120 * 60);
    expect(c.callbackTimeoutMs).toBe(900_000);
    expect(c.role).toBe('all');
    const set = loadConfig({
      ...good,
      REDIS_URL: 'rediss://r.test:6380',
      REDIS_TLS_VERIFY: 'FALSE',
      JOB_LOCK_SECONDS: '45',
      MAX_AUDIO_MINUTES: String(24 * 60),
      CALLBACK_TIMEOUT_S: String(7 * 24 * 3600),
      ROLE: 'worker',
    });
    expect(set).toMatchObject({
      redisTlsVerify: false,
      jobLockMs: 45_000,
      maxAudioSeconds: 24 * 3600,
      callbackTimeoutMs: 7 * 24 * 3600 * 1000,
      role: 'worker',
    });
    expect(loadConfig({ ...good, REDIS_TLS_VERIFY: 'true' }).redisTlsVerify).toBe(true);
    expect(one({ MAX_AUDIO_MINUTES: String(24 * 60 + 1) })).toHaveLength(1);
    expect(one({ CALLBACK_TIMEOUT_S: String(7 * 24 * 3600 + 1) })).toHaveLength(1);
    expect(one({ PORT: '65535' })).toEqual([]);
    expect(one({ PORT: '65536' })).toEqual(['PORT must be a whole number from 0 to 65535, got "65536"']);
  });

  it("the secrets nothing may show: tokens, keys, the webhook secret (derived or set), METRICS_TOKEN, Redis's password", () => {
    const c = loadConfig({
      ...good,
      METRICS_TOKEN: 'metrics-token-1',
      REDIS_URL: 'rediss://user:p%40ss-word@redis.test:6380',
    });
    expect(secretsOf(c)).toEqual([
      good.SLACK_BOT_TOKEN,
      good.SLACK_SIGNING_SECRET,
      good.OMICALL_API_KEY,
      deriveSecret(good.SLACK_SIGNING_SECRET, 'omicall-webhook'),
      'metrics-token-1',
      'p%40ss-word',
      'p@ss-word',
    ]);
  });

  it('without METRICS_TOKEN or a Redis password, the secrets nothing may show are the tokens and keys alone', () => {
    const only = [
      good.SLACK_BOT_TOKEN,
      good.SLACK_SIGNING_SECRET,
      good.OMICALL_API_KEY,
      deriveSecret(good.SLACK_SIGNING_SECRET, 'omicall-webhook'),
    ];
    expect(secretsOf(loadConfig(good))).toEqual(only);
    expect(secretsOf(loadConfig({ ...good, REDIS_URL: 'redis://redis.test:6379' }))).toEqual(only);
    expect(secretsOf(loadConfig({ ...good, METRICS_TOKEN: 'metrics-token-1' }))).toEqual([...only, 'metrics-token-1']);
    expect(secretsOf(loadConfig({ ...good, REDIS_URL: 'redis://:s%2Fecret@redis.test:6379' }))).toEqual([
      ...only,
      's%2Fecret',
      's/ecret',
    ]);
  });

  it('the embedded store keeps its file in ./data unless DATA_DIR says where', () => {
    expect(loadConfig(good).dataDir).toBe('./data');
    expect(loadConfig({ ...good, DATA_DIR: '/var/lib/transcriber' }).dataDir).toBe('/var/lib/transcriber');
  });

  it('PROXY_HOPS: 0 by default, 1 on Heroku (DYNO is set), or as set', () => {
    expect(loadConfig(good).proxyHops).toBe(0);
    expect(loadConfig({ ...good, DYNO: 'web.1' }).proxyHops).toBe(1);
    expect(loadConfig({ ...good, DYNO: 'web.1', PROXY_HOPS: '0' }).proxyHops).toBe(0);
    expect(loadConfig({ ...good, PROXY_HOPS: '2' }).proxyHops).toBe(2);
    expect(problems({ ...good, PROXY_HOPS: 'one' })).toEqual([
      'PROXY_HOPS must be a whole number from 0 to 10, got "one"',
    ]);
  });

  it('a web or worker process needs Redis, an all-in-one process does not', () => {
    expect(one({ ROLE: 'web' })).toEqual([expect.stringMatching(/^ROLE=web needs REDIS_URL/)]);
    expect(one({ ROLE: 'web', REDIS_URL: 'redis://127.0.0.1:6379' })).toEqual([]);
    expect(one({ ROLE: 'all' })).toEqual([]);
  });

  it('blank values count as unset, values are trimmed, and a choice names its options', () => {
    expect(loadConfig({ ...good, PORT: '', SLACK_BOT_TOKEN: '  xoxb-1-2-abc  ' })).toMatchObject({
      port: 3000,
      slack: { mode: 'single', botToken: 'xoxb-1-2-abc' },
    });
    expect(one({ LOG_LEVEL: 'loud' })).toEqual(['LOG_LEVEL must be one of debug, info, warn, error, got "loud"']);
  });

  it('logs are pretty in development, JSON otherwise unless LOG_FORMAT says', () => {
    expect(loadConfig({ ...good, NODE_ENV: 'development' }).logFormat).toBe('pretty');
    expect(loadConfig({ ...good, NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ ...good, NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  it('PUBLIC_URL on the bare .example domain is refused like any documentation address', () => {
    expect(one({ PUBLIC_URL: 'https://example/' })).toEqual([expect.stringMatching(/^PUBLIC_URL is a documentation/)]);
  });
});

describe('PUBLIC_URL', () => {
  const urlProblems = (publicUrl: string) => problems({ ...good, PUBLIC_URL: publicUrl });

  it.each([
    ['https://transcriber-1234567890ab.herokuapp.com/', 'https://transcriber-1234567890ab.herokuapp.com'],
    ['https://transcriber-1234567890ab.herokuapp.com//', 'https://transcriber-1234567890ab.herokuapp.com'],
    ['https://Proxy.Acme.test/transcriber/', 'https://proxy.acme.test/transcriber'],
    ['  https://transcriber.test  ', 'https://transcriber.test'],
  ])('loses its trailing slash (%s), so every URL made from it has one "/" before its path', (given, kept) => {
    const config = loadConfig({ ...good, PUBLIC_URL: given });
    expect(config.publicUrl).toBe(kept);
    expect(slackEventsUrl(kept)).toBe(`${kept}/slack/events`);
    expect(webhookUrl(config)).toBe(`${kept}/omicall/webhook/${config.webhookSecret}`);
  });

  it.each([
    'https://transcriber.example.com',
    'https://example.com/',
    'https://a.b.example.net',
    'https://EXAMPLE.ORG.',
    'https://transcriber.example',
  ])('refuses the documentation address %s, naming PUBLIC_URL', (url) => {
    expect(urlProblems(url)).toEqual([
      expect.stringMatching(/^PUBLIC_URL is a documentation address, reserved for examples/),
    ]);
  });

  it.each([
    'https://transcriber.test',
    'https://example.com.acme.test',
    'https://notexample.com',
    'https://127.0.0.1:8443',
  ])('accepts %s', (url) => {
    expect(urlProblems(url)).toEqual([]);
  });

  it('is one problem at most: http, a query, credentials', () => {
    expect(urlProblems('http://transcriber.example.com')).toEqual([
      'PUBLIC_URL must be an https URL, got "http://transcriber.example.com"',
    ]);
    expect(urlProblems('https://transcriber.test/?a=1')).toEqual([
      expect.stringMatching(/^PUBLIC_URL must be a plain https address/),
    ]);
    expect(urlProblems('https://user:pw@transcriber.test')).toHaveLength(1);
  });

  it('pasted with its trailing slash, the app still registers the webhook with one "/" (OMICall sees it)', async () => {
    const h = await Harness.start({ env: { PUBLIC_URL: 'https://transcriber-1234567890ab.herokuapp.com/' } });
    try {
      expect(h.omicall.registrations.at(-1)?.url).toBe(
        `https://transcriber-1234567890ab.herokuapp.com/omicall/webhook/${h.config.webhookSecret}`,
      );
    } finally {
      await h.stop();
    }
  });
});

describe('`npm start` refuses to start, naming what is wrong', () => {
  let standIns: StandIns;
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(() => standIns.close());

  it('stops `npm start` at once, naming the missing variable', () => {
    const run = spawnSync(process.execPath, ['src/index.ts'], {
      env: {
        PATH: process.env.PATH,
        ...mutantEnv(),
        SLACK_SIGNING_SECRET: good.SLACK_SIGNING_SECRET,
        OMICALL_API_KEY: 'k',
      },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('SLACK_BOT_TOKEN is required');
  });

  it('a documentation address stops `npm start` at once, naming PUBLIC_URL', async () => {
    const run = await runNode(['src/index.ts'], { ...good, PUBLIC_URL: 'https://transcriber.example.com' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('PUBLIC_URL is a documentation address');
  });

  it('MAX_AUDIO_MB=0 (a limit that refuses everything) stops the start, naming the variable', () => {
    const run = spawnSync(process.execPath, ['src/index.ts'], {
      env: {
        PATH: process.env.PATH,
        ...mutantEnv(),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        OMICALL_API_KEY: API_KEY,
        MAX_AUDIO_MB: '0',
        PORT: '0',
      },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/MAX_AUDIO_MB must be a whole number from 1 to 10000, got "0"/);
  });

  it('an unreachable Redis stops the start with a clear line', async () => {
    const run = await runNode(['src/index.ts'], {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      OMICALL_API_KEY: API_KEY,
      REDIS_URL: 'redis://127.0.0.1:9',
      PORT: '0',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/could not start.*Redis does not answer/);
  });

  it('refuses ROLE=web or worker without Redis, naming both', async () => {
    await expect(startAppProcess(standIns, { ROLE: 'worker' })).rejects.toThrow(/ROLE=worker needs REDIS_URL/);
  });
});

describe('documentation', () => {
  it('docs/configuration.md and .env.example name every variable the app reads', () => {
    // The names the app asks its environment for, recorded as it reads them (with Redis set, so the Redis-only
    // settings are read too).
    const names = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>(
      { ...good, REDIS_URL: 'redis://127.0.0.1:6379' },
      {
        get(target, key) {
          if (typeof key === 'string') names.add(key);
          return target[key as string];
        },
      },
    );
    loadConfig(env);
    expect(names.size).toBeGreaterThan(12);
    const documented = readFileSync('docs/configuration.md', 'utf8');
    const example = readFileSync('.env.example', 'utf8');
    for (const name of names) {
      expect(documented).toContain(`| \`${name}\` |`);
      expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });
});

describe('distribution mode ("Add to Slack")', () => {
  const key = Buffer.alloc(32, 4);
  const oauth = {
    SLACK_SIGNING_SECRET: good.SLACK_SIGNING_SECRET,
    SLACK_CLIENT_ID: '1234567890.9876543210',
    SLACK_CLIENT_SECRET: 'abcdef0123456789abcdef0123456789',
    SLACK_STATE_SECRET: 'a-state-secret-of-32-characters!',
    ENCRYPTION_KEY: key.toString('base64'),
    PUBLIC_URL: 'https://transcriber.test',
  };

  it('is on with the OAuth settings and no bot token; OMICALL_API_KEY is then optional (the default key)', () => {
    const c = loadConfig(oauth);
    expect(c.slack).toEqual({
      mode: 'distribution',
      clientId: oauth.SLACK_CLIENT_ID,
      clientSecret: oauth.SLACK_CLIENT_SECRET,
      stateSecret: oauth.SLACK_STATE_SECRET,
      directInstall: false,
      encryptionKey: key,
    });
    expect(c.provider.account).toBeUndefined();
    expect(loadConfig({ ...oauth, OMICALL_API_KEY: 'omi-default' }).provider.account).toEqual({
      apiKey: 'omi-default',
    });
    expect(loadConfig({ ...oauth, SLACK_INSTALL_DIRECT: 'true' }).slack).toMatchObject({ directInstall: true });
    // 64 hexadecimal digits are the same key.
    expect(loadConfig({ ...oauth, ENCRYPTION_KEY: key.toString('hex') }).slack).toMatchObject({ encryptionKey: key });
  });

  it('expects Slack to limit history reads, as it does for apps outside the Marketplace, unless told otherwise', () => {
    expect(loadConfig(oauth).slackHistoryLimited).toBe(true);
    expect(loadConfig({ ...oauth, SLACK_HISTORY_LIMITED: 'false' }).slackHistoryLimited).toBe(false);
    expect(loadConfig(good).slackHistoryLimited).toBe(false);
    expect(loadConfig({ ...good, SLACK_HISTORY_LIMITED: 'true' }).slackHistoryLimited).toBe(true);
  });

  it('names every setting it is missing, and refuses a bot token beside them', () => {
    expect(problems({ SLACK_SIGNING_SECRET: good.SLACK_SIGNING_SECRET, SLACK_CLIENT_ID: '1.2' })).toEqual([
      expect.stringMatching(/^PUBLIC_URL is required to offer the app to many workspaces/),
      expect.stringMatching(/^ENCRYPTION_KEY is required .*openssl rand -base64 32/),
      expect.stringMatching(/^SLACK_CLIENT_SECRET is required/),
      expect.stringMatching(/^SLACK_STATE_SECRET is required/),
    ]);
    expect(problems({ ...oauth, SLACK_BOT_TOKEN: 'xoxb-1', OMICALL_API_KEY: 'k' })).toEqual([
      expect.stringMatching(
        /^SLACK_BOT_TOKEN and SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_STATE_SECRET are both set/,
      ),
    ]);
  });

  it.each([
    ['SLACK_CLIENT_ID', 'abc'],
    ['SLACK_CLIENT_SECRET', 'not hex'],
    ['SLACK_STATE_SECRET', 'short'],
    ['ENCRYPTION_KEY', 'dG9vIHNob3J0'],
    ['ENCRYPTION_KEY_PREVIOUS', 'zz'],
    ['ENCRYPTION_KEY_PREVIOUS', key.toString('base64')],
  ])('refuses %s=%s and names it', (name, value) => {
    expect(problems({ ...oauth, [name]: value })).toEqual([expect.stringMatching(new RegExp(`^${name}`))]);
  });

  it('names each missing OAuth setting with where to find it', () => {
    const without = (name: keyof typeof oauth) => {
      const env: Record<string, string> = { ...oauth };
      delete env[name];
      return problems(env);
    };
    expect(without('SLACK_CLIENT_ID')).toEqual([
      'SLACK_CLIENT_ID is required: the Client ID from your Slack app\'s "Basic Information" page',
    ]);
    expect(without('SLACK_CLIENT_SECRET')).toEqual([
      'SLACK_CLIENT_SECRET is required: the Client Secret from your Slack app\'s "Basic Information" page',
    ]);
    expect(without('SLACK_STATE_SECRET')).toEqual([
      'SLACK_STATE_SECRET is required: a random secret of yours that signs the install links (openssl rand -hex 24)',
    ]);
  });

  it('refuses a Client ID or Client Secret with anything before or after it', () => {
    for (const id of ['x1234567890.9876543210', '1234567890.9876543210x', 'v1.2', '1.2.3'])
      expect(problems({ ...oauth, SLACK_CLIENT_ID: id })).toEqual([
        'SLACK_CLIENT_ID must be the Client ID from "Basic Information" (digits.digits)',
      ]);
    expect(loadConfig({ ...oauth, SLACK_CLIENT_ID: '1.2' }).slack).toMatchObject({ clientId: '1.2' });
    for (const secret of [`zz${oauth.SLACK_CLIENT_SECRET}`, `${oauth.SLACK_CLIENT_SECRET}zz`])
      expect(problems({ ...oauth, SLACK_CLIENT_SECRET: secret })).toEqual([
        'SLACK_CLIENT_SECRET must be the hexadecimal Client Secret from "Basic Information"',
      ]);
    expect(loadConfig({ ...oauth, SLACK_CLIENT_SECRET: 'ABCDEF0123456789' }).slack).toMatchObject({
      clientSecret: 'ABCDEF0123456789',
    });
  });

  it('takes a state secret of 16 characters, and refuses 15 or one with a space', () => {
    expect(loadConfig({ ...oauth, SLACK_STATE_SECRET: 's'.repeat(16) }).slack).toMatchObject({
      stateSecret: 's'.repeat(16),
    });
    for (const secret of ['s'.repeat(15), 'sixteen chars ok'])
      expect(problems({ ...oauth, SLACK_STATE_SECRET: secret })).toEqual([
        'SLACK_STATE_SECRET must be at least 16 characters, without spaces',
      ]);
  });

  it('shows the Add to Slack page unless SLACK_INSTALL_DIRECT is true', () => {
    expect(loadConfig({ ...oauth, SLACK_INSTALL_DIRECT: 'false' }).slack).toMatchObject({ directInstall: false });
    expect(loadConfig({ ...oauth, SLACK_INSTALL_DIRECT: 'TRUE' }).slack).toMatchObject({ directInstall: true });
    expect(problems({ ...oauth, SLACK_INSTALL_DIRECT: 'yes' })).toEqual([
      'SLACK_INSTALL_DIRECT must be one of true, false, got "yes"',
    ]);
  });

  it('refuses an encryption key with anything before or after its 64 hexadecimal digits or 44 base64 characters', () => {
    const hex = key.toString('hex');
    const base64 = key.toString('base64');
    for (const bad of [`0${hex}`, `${hex}0`, `${hex}!`, `!${hex}`, `!${base64}`, `${base64}!`, `A${base64}`])
      expect(problems({ ...oauth, ENCRYPTION_KEY: bad })).toEqual([
        'ENCRYPTION_KEY must be 32 random bytes, as 64 hexadecimal digits or in base64 (openssl rand -base64 32)',
      ]);
    expect(loadConfig({ ...oauth, ENCRYPTION_KEY: hex.toUpperCase() }).slack).toMatchObject({ encryptionKey: key });
  });

  it('a PUBLIC_URL that is set but refused is named once, not also as missing', () => {
    expect(problems({ ...oauth, PUBLIC_URL: 'http://transcriber.test' })).toEqual([
      'PUBLIC_URL must be an https URL, got "http://transcriber.test"',
    ]);
    expect(problems({ ...oauth, PUBLIC_URL: 'not a url' })).toEqual(['PUBLIC_URL is not a URL: "not a url"']);
  });

  it("a workspace's own webhook URL is under PUBLIC_URL, and there is none without PUBLIC_URL", () => {
    const c = loadConfig(oauth);
    expect(workspaceWebhookUrl(c, 'T0001')).toMatch(
      /^https:\/\/transcriber\.test\/omicall\/webhook\/T0001\/[\w-]{32}$/,
    );
    expect(workspaceWebhookUrl({ ...c, publicUrl: undefined }, 'T0001')).toBeUndefined();
    expect(workspaceWebhookUrl(loadConfig(good), 'T0001')).toBeUndefined();
  });

  it('keeps its client secret, state secret and encryption key out of the logs, and nothing else of it', () => {
    const c = loadConfig(oauth);
    expect(configSecrets(c)).toEqual([
      oauth.SLACK_CLIENT_SECRET,
      oauth.SLACK_STATE_SECRET,
      oauth.ENCRYPTION_KEY,
      key.toString('hex'),
      oauth.SLACK_SIGNING_SECRET,
      c.webhookSecret,
    ]);
  });

  it('keeps every secret of it out of the logs', () => {
    const c = loadConfig({ ...oauth, ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(32, 8).toString('hex') });
    const secrets = configSecrets(c);
    for (const v of [oauth.SLACK_CLIENT_SECRET, oauth.SLACK_STATE_SECRET, oauth.ENCRYPTION_KEY, key.toString('hex')])
      expect(secrets).toContain(v);
    expect(secrets).toContain(Buffer.alloc(32, 8).toString('hex'));
  });
});
