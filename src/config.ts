import { createHmac } from 'node:crypto';
import { ConfigError } from './errors.ts';
import { LANGS, type Lang } from './i18n/index.ts';
import { LIMITS } from './limits.ts';
import { DAY_MS } from './time.ts';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Which work a process does: `web` takes Slack's requests and callbacks, `worker` runs the relays. */
export type Role = 'all' | 'web' | 'worker';

export interface Config {
  slackBotToken: string;
  slackSigningSecret: string;
  slackApiUrl: string;
  omicallApiKey: string;
  omicallApiUrl: string;
  /** Secret path segment of the webhook URL registered with OMICall. */
  webhookSecret: string;
  /** Where Slack and OMICall reach this app: https, no trailing slash, so `${publicUrl}/slack/events` is right. */
  publicUrl?: string;
  port: number;
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

type Env = Record<string, string | undefined>;

/** Reads and validates the environment. Throws one ConfigError naming every bad variable. */
export function loadConfig(env: Env): Config {
  const r = new EnvReader(env);
  const slack = slackSettings(r);
  const omicall = omicallSettings(r, slack.slackSigningSecret);
  const store = storeSettings(r);
  const work = workSettings(r, store.redisUrl);
  const logging = loggingSettings(r);
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return { ...slack, ...omicall, ...store, ...work, ...logging };
}

function slackSettings(r: EnvReader) {
  return {
    slackBotToken: r.required(
      'SLACK_BOT_TOKEN',
      (v) => (v.startsWith('xoxb-') ? undefined : 'must be a bot token starting with "xoxb-"'),
      'the Bot User OAuth Token from your Slack app\'s "OAuth & Permissions" page',
    ),
    slackSigningSecret: r.required(
      'SLACK_SIGNING_SECRET',
      (v) =>
        /^[0-9a-f]{16,}$/i.test(v) ? undefined : 'must be the hexadecimal Signing Secret from "Basic Information"',
      'the Signing Secret from your Slack app\'s "Basic Information" page',
    ),
    slackApiUrl: r.url('SLACK_API_URL', 'https://slack.com/api/'),
    publicUrl: publicBaseUrl(r.value('PUBLIC_URL'), r.problems),
    port: r.integer('PORT', 3000, 0, 65535),
  };
}

function omicallSettings(r: EnvReader, signingSecret: string) {
  const webhookSecret = r.value('OMICALL_WEBHOOK_SECRET');
  if (webhookSecret !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(webhookSecret)) {
    r.problems.push('OMICALL_WEBHOOK_SECRET must be 16 to 128 letters, digits, "-" or "_"');
  }
  return {
    omicallApiKey: r.required(
      'OMICALL_API_KEY',
      (v) => (/\s/.test(v) ? 'must not contain spaces' : undefined),
      "the API key from OMICall's web console (account settings, API management)",
    ),
    omicallApiUrl: r.url('OMICALL_API_URL', 'https://public-v1-stg.omicrm.com/api/ai'),
    webhookSecret: webhookSecret ?? deriveSecret(signingSecret, 'omicall-webhook'),
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

/** Reads variables and collects one problem per bad one, so the app names them all at once. */
class EnvReader {
  readonly problems: string[] = [];
  readonly #env: Env;

  constructor(env: Env) {
    this.#env = env;
  }

  value(name: string): string | undefined {
    const v = this.#env[name]?.trim();
    return v === '' ? undefined : v;
  }

  required(name: string, check: (v: string) => string | undefined, hint: string): string {
    const v = this.value(name);
    if (v === undefined) {
      this.problems.push(`${name} is required: ${hint}`);
      // Stryker disable next-line StringLiteral: never used; a missing required setting stops the start with every problem listed
      return '';
    }
    const bad = check(v);
    if (bad) this.problems.push(`${name} ${bad}`);
    return v;
  }

  /** An http(s) base URL, ending in "/" so that relative paths resolve under it. */
  url(name: string, fallback: string): string {
    const v = this.value(name) ?? fallback;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && u.protocol !== 'http:')
        this.problems.push(`${name} must be an http(s) URL, got "${v}"`);
      return v.endsWith('/') ? v : `${v}/`;
    } catch {
      this.problems.push(`${name} is not a URL: "${v}"`);
      return fallback;
    }
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const v = this.value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    const found = allowed.find((a) => a === v);
    if (found === undefined) this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return found ?? fallback;
  }
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

/** The webhook URL registered with OMICall: `{PUBLIC_URL}/omicall/webhook/{secret}`. */
export function webhookUrl(config: Pick<Config, 'publicUrl' | 'webhookSecret'>): string | undefined {
  return config.publicUrl ? `${config.publicUrl}/omicall/webhook/${config.webhookSecret}` : undefined;
}
