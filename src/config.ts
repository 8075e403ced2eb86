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
  slackBotToken: string;
  slackSigningSecret: string;
  slackApiUrl: string;
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
    config.slackBotToken,
    config.slackSigningSecret,
    ...config.provider.secrets,
    config.webhookSecret,
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
  const omicall = providerSettings(r, providers, slack.slackSigningSecret);
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
    // Heroku sets DYNO, and always puts its router in front of the app.
    proxyHops: r.integer('PROXY_HOPS', r.value('DYNO') === undefined ? 0 : 1, 0, 10),
  };
}

function providerSettings(r: EnvReader, providers: readonly ProviderModule[], signingSecret: string) {
  const id = r.oneOf(
    'SPEECH_PROVIDER',
    providers.map((p) => p.id),
    'omicall',
  );
  const module = providers.find((p) => p.id === id) ?? providers[0];
  const setup = module.configure(r);
  // Every workspace's uploads go with the operator's account here: single-workspace mode has no other.
  if (setup.account === undefined && setup.accountSetting) {
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
