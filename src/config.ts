import { createHmac } from 'node:crypto';
import { type Env, EnvReader } from './env.ts';
import { ConfigError } from './errors.ts';
import { LANGS, type Lang } from './i18n/index.ts';
import { LIMITS } from './limits.ts';
import type { LogFormat, LogLevel } from './log.ts';
import { PROVIDERS, type ProviderModule, type ProviderSetup } from './providers/registry.ts';
import { DAY_MS } from './time.ts';

/** Which work a process does: `web` takes Slack's requests and callbacks, `worker` runs the relays. */
export type Role = 'all' | 'web' | 'worker';

export interface Config {
  /** One workspace's bot token (SLACK_BOT_TOKEN), or OAuth installations in many workspaces (SLACK_CLIENT_ID…). */
  slack: SlackMode;
  slackSigningSecret: string;
  slackApiUrl: string;
  /**
   * Slack allows the app one conversations.history/replies call a minute, 15 messages each: an app distributed to
   * other workspaces and not listed in the Slack Marketplace (Slack's rule since 2025-05-29).
   */
  slackHistoryLimited: boolean;
  /** The speech provider (SPEECH_PROVIDER) with the settings it read from the environment. */
  provider: ConfiguredProvider;
  /** Secret path segment of the provider's webhook URL. */
  webhookSecret: string;
  /** Where Slack and OMICall reach this app: https, no trailing slash, so `${publicUrl}/slack/events` is right. */
  publicUrl?: string;
  port: number;
  /**
   * Proxies in front of the app that each append the address they saw to X-Forwarded-For (Heroku's router: 1): the
   * HTTP server counts body slots by the address the outermost of them saw. 0: by the connection's own address.
   */
  proxyHops: number;
  role: Role;
  redisUrl?: string;
  /** Where the embedded store (SQLite) keeps its file when there is no Redis. */
  dataDir: string;
  redisPrefix: string;
  /** Whether a rediss:// server's certificate must be valid (Heroku Redis' is self-signed). */
  redisTlsVerify: boolean;
  /** How long a dead worker's job waits before another instance takes it over. */
  jobLockMs: number;
  maxAudioBytes: number;
  maxAudioSeconds: number;
  /** How long transcripts' records are kept, unless a workspace's admins say otherwise. */
  retentionMs: number;
  relayConcurrency: number;
  /** With no result this long after an upload was accepted (plus twice the audio's length), the thread says so. */
  callbackTimeoutMs: number;
  ffmpegPath?: string;
  /** The language of thread replies; private answers follow each person's Slack locale. */
  appLanguage: Lang;
  metricsToken?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/**
 * How the app is installed. `single`: one workspace, whose bot token is in the environment (a team that runs the app
 * for itself). `distribution`: any workspace installs it with "Add to Slack" (OAuth v2); each installation and each
 * workspace's provider key is kept in the store, encrypted (docs/setup-distribution.md).
 */
export type SlackMode =
  | { mode: 'single'; botToken: string }
  | {
      mode: 'distribution';
      clientId: string;
      clientSecret: string;
      /** Signs the OAuth `state` the install page hands to Slack. */
      stateSecret: string;
      /** GET /slack/install sends the browser straight to Slack instead of showing the Add to Slack page. */
      directInstall: boolean;
      /** AES-256-GCM key of the tokens and provider keys at rest (ENCRYPTION_KEY). */
      encryptionKey: Buffer;
      /** The key before it, while rotating (ENCRYPTION_KEY_PREVIOUS): read, never written. */
      previousEncryptionKey?: Buffer;
    };

/** A provider chosen by SPEECH_PROVIDER, configured from the environment. */
export interface ConfiguredProvider extends ProviderSetup {
  id: string;
}

/**
 * The values nothing the app writes may show (its logs, `npm run doctor`'s lines): the tokens, secrets and keys of the
 * configuration, and the password of `REDIS_URL`.
 */
export function secretsOf(config: Config): string[] {
  const redisPassword = config.redisUrl ? URL.parse(config.redisUrl)?.password : undefined;
  return [
    ...configSecrets(config),
    ...(config.metricsToken ? [config.metricsToken] : []),
    ...(redisPassword ? [redisPassword, decoded(redisPassword)] : []),
  ];
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Reads and validates the environment. Throws one ConfigError naming every bad variable. `providers` are the speech
 * providers SPEECH_PROVIDER may name (src/providers/registry.ts).
 */
export function loadConfig(env: Env, providers: readonly ProviderModule[] = PROVIDERS): Config {
  const r = new EnvReader(env);
  const slack = slackSettings(r);
  const omicall = providerSettings(r, providers, slack.slackSigningSecret, slack.slack.mode);
  const store = storeSettings(r);
  const work = workSettings(r, store.redisUrl);
  const logging = loggingSettings(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { ...slack, ...omicall, ...store, ...work, ...logging };
}

function slackSettings(r: EnvReader) {
  const publicUrl = publicBaseUrl(r.value('PUBLIC_URL'), r.problems);
  const slack = slackMode(r, publicUrl);
  // An app others install ("Add to Slack") is distributed; until the Marketplace lists it, Slack limits its history.
  const distributed = slack.mode === 'distribution';
  return {
    slack,
    slackSigningSecret: r.required(
      'SLACK_SIGNING_SECRET',
      (v) =>
        /^[0-9a-f]{16,}$/i.test(v) ? undefined : 'must be the hexadecimal Signing Secret from "Basic Information"',
      'the Signing Secret from your Slack app\'s "Basic Information" page',
    ),
    slackApiUrl: r.url('SLACK_API_URL', 'https://slack.com/api/'),
    slackHistoryLimited:
      r.oneOf('SLACK_HISTORY_LIMITED', ['true', 'false'] as const, distributed ? 'true' : 'false') === 'true',
    publicUrl,
    port: r.integer('PORT', 3000, 0, 65535),
    // Heroku sets DYNO, and always puts its router in front of the app.
    proxyHops: r.integer('PROXY_HOPS', r.value('DYNO') === undefined ? 0 : 1, 0, 10),
  };
}

/** The OAuth settings of distribution mode; any one of them set means distribution. */
const DISTRIBUTION_VARIABLES = ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_STATE_SECRET'] as const;

/** Single-workspace mode with SLACK_BOT_TOKEN, else distribution mode with the OAuth settings; never both. */
function slackMode(r: EnvReader, publicUrl: string | undefined): SlackMode {
  const distribution = DISTRIBUTION_VARIABLES.filter((name) => r.value(name) !== undefined);
  if (distribution.length === 0 || r.value('SLACK_BOT_TOKEN') !== undefined) {
    if (distribution.length > 0) {
      r.problems.push(
        `SLACK_BOT_TOKEN and ${distribution.join(', ')} are both set: SLACK_BOT_TOKEN serves one workspace, the OAuth settings let any workspace install the app (docs/setup-distribution.md); keep one`,
      );
    }
    return {
      mode: 'single',
      botToken: r.required(
        'SLACK_BOT_TOKEN',
        (v) => (v.startsWith('xoxb-') ? undefined : 'must be a bot token starting with "xoxb-"'),
        'the Bot User OAuth Token from your Slack app\'s "OAuth & Permissions" page (or, to offer the app to many workspaces, set SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET instead: docs/setup-distribution.md)',
      ),
    };
  }
  if (publicUrl === undefined && r.value('PUBLIC_URL') === undefined) {
    r.problems.push(
      'PUBLIC_URL is required to offer the app to many workspaces: Slack sends installers back to {PUBLIC_URL}/slack/oauth_redirect',
    );
  }
  const encryptionKey = secretKey(r, 'ENCRYPTION_KEY', true);
  const previous = secretKey(r, 'ENCRYPTION_KEY_PREVIOUS', false);
  if (previous && encryptionKey.equals(previous)) {
    r.problems.push(
      'ENCRYPTION_KEY_PREVIOUS is the same as ENCRYPTION_KEY: set it to the key being replaced, or unset it',
    );
  }
  return {
    mode: 'distribution',
    clientId: r.required(
      'SLACK_CLIENT_ID',
      (v) => (/^\d+\.\d+$/.test(v) ? undefined : 'must be the Client ID from "Basic Information" (digits.digits)'),
      'the Client ID from your Slack app\'s "Basic Information" page',
    ),
    clientSecret: r.required(
      'SLACK_CLIENT_SECRET',
      (v) =>
        /^[0-9a-f]{16,}$/i.test(v) ? undefined : 'must be the hexadecimal Client Secret from "Basic Information"',
      'the Client Secret from your Slack app\'s "Basic Information" page',
    ),
    stateSecret: r.required(
      'SLACK_STATE_SECRET',
      (v) => (v.length >= 16 && !/\s/.test(v) ? undefined : 'must be at least 16 characters, without spaces'),
      'a random secret of yours that signs the install links (openssl rand -hex 24)',
    ),
    directInstall: r.oneOf('SLACK_INSTALL_DIRECT', ['true', 'false'] as const, 'false') === 'true',
    encryptionKey,
    ...(previous ? { previousEncryptionKey: previous } : {}),
  };
}

/** A 32-byte key, written as 64 hexadecimal digits or in base64 (44 characters, as `openssl rand -base64 32`). */
function secretKey(r: EnvReader, name: string, required: true): Buffer;
function secretKey(r: EnvReader, name: string, required: false): Buffer | undefined;
function secretKey(r: EnvReader, name: string, required: boolean): Buffer | undefined {
  const v = r.value(name);
  if (v === undefined) {
    if (required)
      r.problems.push(
        `${name} is required to offer the app to many workspaces: it encrypts every workspace's Slack token and OMICall key in the store (openssl rand -base64 32)`,
      );
    return required ? Buffer.alloc(32) : undefined;
  }
  const key = /^[0-9a-f]{64}$/i.test(v)
    ? Buffer.from(v, 'hex')
    : /^[A-Za-z0-9+/]{43}=$/.test(v)
      ? Buffer.from(v, 'base64')
      : undefined;
  if (key?.length === 32) return key;
  r.problems.push(`${name} must be 32 random bytes, as 64 hexadecimal digits or in base64 (openssl rand -base64 32)`);
  return required ? Buffer.alloc(32) : undefined;
}

function providerSettings(
  r: EnvReader,
  providers: readonly ProviderModule[],
  signingSecret: string,
  mode: SlackMode['mode'],
) {
  const id = r.oneOf(
    'SPEECH_PROVIDER',
    providers.map((p) => p.id),
    'omicall',
  );
  const module = providers.find((p) => p.id === id) ?? providers[0];
  const setup = module.configure(r);
  // Single-workspace mode has no account but the operator's; in distribution mode it is the default of workspaces
  // that set none of their own, and may be left out.
  if (mode === 'single' && setup.account === undefined && setup.accountSetting) {
    r.problems.push(`${setup.accountSetting.variable} is required: ${setup.accountSetting.hint}`);
  }
  return {
    provider: { ...setup, id: module.id },
    webhookSecret: setup.webhookSecret ?? deriveSecret(signingSecret, `${module.id}-webhook`),
  };
}

function storeSettings(r: EnvReader) {
  const redisUrl = r.value('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    r.problems.push('REDIS_URL must start with redis:// or rediss://');
  }
  return {
    redisUrl,
    dataDir: r.value('DATA_DIR') ?? './data',
    redisPrefix: r.value('REDIS_PREFIX') ?? 'omicall-transcriber:',
    redisTlsVerify: r.oneOf('REDIS_TLS_VERIFY', ['true', 'false'] as const, 'true') === 'true',
    jobLockMs: r.integer('JOB_LOCK_SECONDS', 30, 1, 600) * 1000,
  };
}

function workSettings(r: EnvReader, redisUrl: string | undefined) {
  const role = r.oneOf('ROLE', ['all', 'web', 'worker'] as const, 'all');
  if (role !== 'all' && redisUrl === undefined) {
    r.problems.push(`ROLE=${role} needs REDIS_URL: web and worker processes share their jobs through Redis`);
  }
  return {
    role,
    maxAudioBytes: r.integer('MAX_AUDIO_MB', 200, 1, 10_000) * 1024 * 1024,
    maxAudioSeconds: r.integer('MAX_AUDIO_MINUTES', 120, 1, 24 * 60) * 60,
    retentionMs: r.integer('RETENTION_DAYS', 14, LIMITS.retentionDaysMin, LIMITS.retentionDaysMax) * DAY_MS,
    relayConcurrency: r.integer('RELAY_CONCURRENCY', 4, 1, 64),
    callbackTimeoutMs: r.integer('CALLBACK_TIMEOUT_S', 900, 1, 7 * 24 * 3600) * 1000,
    ffmpegPath: r.value('FFMPEG_PATH'),
    appLanguage: r.oneOf('APP_LANGUAGE', LANGS, 'en'),
    metricsToken: r.value('METRICS_TOKEN'),
  };
}

function loggingSettings(r: EnvReader) {
  return {
    logLevel: r.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    logFormat: r.oneOf(
      'LOG_FORMAT',
      ['json', 'pretty'] as const,
      r.value('NODE_ENV') === 'development' ? 'pretty' : 'json',
    ),
  };
}

/**
 * PUBLIC_URL, checked and without trailing slashes. `heroku create` and `heroku apps:info` print the address with
 * a trailing "/", and `${PUBLIC_URL}/slack/events` would then be `https://host//slack/events`: a URL whose "//"
 * makes the router read "slack" as a host and answer 404. One problem at most, naming PUBLIC_URL.
 */
function publicBaseUrl(v: string | undefined, problems: string[]): string | undefined {
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    problems.push(`PUBLIC_URL is not a URL: "${v}"`);
    return undefined;
  }
  if (u.protocol !== 'https:') {
    problems.push(`PUBLIC_URL must be an https URL, got "${v}"`);
  } else if (isDocumentationHost(u.hostname)) {
    problems.push(
      `PUBLIC_URL is a documentation address, reserved for examples ("${v}"): set it to the https address where this app is reachable`,
    );
  } else if (u.search || u.hash || u.username || u.password) {
    problems.push(`PUBLIC_URL must be a plain https address, without a query, "#" or credentials, got "${v}"`);
  } else {
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }
  return undefined;
}

/**
 * Whether a host is one of the domains RFC 2606 reserves for documentation (example.com, .net, .org, their
 * subdomains, and the .example top-level domain): nothing of ours can ever be reachable there. `.test`, reserved
 * for testing, is allowed.
 */
export function isDocumentationHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'example' || host.endsWith('.example')) return true;
  return ['example.com', 'example.net', 'example.org'].some((d) => host === d || host.endsWith(`.${d}`));
}

/** The one URL Slack sends events, commands and interactivity to: `{PUBLIC_URL}/slack/events`. */
export function slackEventsUrl(publicUrl: string): string {
  return `${publicUrl}/slack/events`;
}

/** A stable secret derived from the signing secret, so every instance agrees without extra setup. */
export function deriveSecret(signingSecret: string, purpose: string): string {
  return createHmac('sha256', signingSecret).update(purpose).digest('base64url').slice(0, 32);
}

/** The webhook URL registered with the provider: `{PUBLIC_URL}/{provider id}/webhook/{secret}`. */
export function webhookUrl(config: Pick<Config, 'publicUrl' | 'webhookSecret' | 'provider'>): string | undefined {
  return config.publicUrl ? `${config.publicUrl}/${config.provider.id}/webhook/${config.webhookSecret}` : undefined;
}

/**
 * The secret of one workspace's webhook URL, derived from the webhook secret: the same on every instance, and
 * different for every workspace, so that a URL given to one workspace's key opens no other workspace's.
 */
export function workspaceWebhookSecret(webhookSecret: string, workspace: string): string {
  return createHmac('sha256', webhookSecret).update(`workspace:${workspace}`).digest('base64url').slice(0, 32);
}

/**
 * The webhook URL registered with a workspace's own provider key: `{PUBLIC_URL}/{provider id}/webhook/{workspace}/
 * {secret of the workspace}`. A callback there may write only into that workspace's threads.
 */
export function workspaceWebhookUrl(
  config: Pick<Config, 'publicUrl' | 'webhookSecret' | 'provider'>,
  workspace: string,
): string | undefined {
  if (!config.publicUrl) return undefined;
  const secret = workspaceWebhookSecret(config.webhookSecret, workspace);
  return `${config.publicUrl}/${config.provider.id}/webhook/${workspace}/${secret}`;
}

/** Where Slack sends an installer back: `{PUBLIC_URL}/slack/oauth_redirect`. */
export function oauthRedirectUrl(publicUrl: string): string {
  return `${publicUrl}/slack/oauth_redirect`;
}

/** Values logs must never print. */
export function configSecrets(config: Config): string[] {
  const slack =
    config.slack.mode === 'single'
      ? [config.slack.botToken]
      : [
          config.slack.clientSecret,
          config.slack.stateSecret,
          config.slack.encryptionKey.toString('base64'),
          config.slack.encryptionKey.toString('hex'),
          ...(config.slack.previousEncryptionKey
            ? [
                config.slack.previousEncryptionKey.toString('base64'),
                config.slack.previousEncryptionKey.toString('hex'),
              ]
            : []),
        ];
  return [...slack, config.slackSigningSecret, ...config.provider.secrets, config.webhookSecret];
}
