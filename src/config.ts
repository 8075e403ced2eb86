import { createHmac } from 'node:crypto';
import { ConfigError } from './errors.ts';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
  redisUrl?: string;
  redisPrefix: string;
  /** Whether a rediss:// server's certificate must be valid (Heroku Redis' is self-signed). */
  redisTlsVerify: boolean;
  maxAudioBytes: number;
  relayConcurrency: number;
  ffmpegPath?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment. Throws one ConfigError naming every bad variable. */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const value = (name: string) => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const required = (name: string, check: (v: string) => string | undefined, hint: string) => {
    const v = value(name);
    if (v === undefined) {
      problems.push(`${name} is required: ${hint}`);
      return '';
    }
    const bad = check(v);
    if (bad) problems.push(`${name} ${bad}`);
    return v;
  };
  const url = (name: string, fallback: string | undefined, httpsOnly = false) => {
    const v = value(name) ?? fallback;
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (u.protocol !== 'https:' && (httpsOnly || u.protocol !== 'http:')) {
        problems.push(`${name} must be an ${httpsOnly ? 'https' : 'http(s)'} URL, got "${v}"`);
      }
      return v.endsWith('/') ? v : `${v}/`;
    } catch {
      problems.push(`${name} is not a URL: "${v}"`);
      return undefined;
    }
  };
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${v}"`);
      return fallback;
    }
    return n;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const v = value(name)?.toLowerCase();
    if (v === undefined) return fallback;
    if (!allowed.includes(v as T)) {
      problems.push(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
      return fallback;
    }
    return v as T;
  };

  const slackBotToken = required(
    'SLACK_BOT_TOKEN',
    (v) => (v.startsWith('xoxb-') ? undefined : 'must be a bot token starting with "xoxb-"'),
    'the Bot User OAuth Token from your Slack app\'s "OAuth & Permissions" page',
  );
  const slackSigningSecret = required(
    'SLACK_SIGNING_SECRET',
    (v) => (/^[0-9a-f]{16,}$/i.test(v) ? undefined : 'must be the hexadecimal Signing Secret from "Basic Information"'),
    'the Signing Secret from your Slack app\'s "Basic Information" page',
  );
  const omicallApiKey = required(
    'OMICALL_API_KEY',
    (v) => (/\s/.test(v) ? 'must not contain spaces' : undefined),
    "the API key from OMICall's web console (account settings, API management)",
  );
  const webhookSecretEnv = value('OMICALL_WEBHOOK_SECRET');
  if (webhookSecretEnv !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(webhookSecretEnv)) {
    problems.push('OMICALL_WEBHOOK_SECRET must be 16 to 128 letters, digits, "-" or "_"');
  }
  const publicUrl = publicBaseUrl(value('PUBLIC_URL'), problems);
  const slackApiUrl = url('SLACK_API_URL', 'https://slack.com/api/') ?? 'https://slack.com/api/';
  const omicallApiUrl =
    url('OMICALL_API_URL', 'https://public-v1-stg.omicrm.com/api/ai') ?? 'https://public-v1-stg.omicrm.com/api/ai/';
  const redisUrl = value('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must start with redis:// or rediss://');
  }
  const redisTlsVerify = oneOf('REDIS_TLS_VERIFY', ['true', 'false'] as const, 'true') === 'true';
  const port = integer('PORT', 3000, 0, 65535);
  const maxAudioMb = integer('MAX_AUDIO_MB', 200, 1, 10_000);
  const relayConcurrency = integer('RELAY_CONCURRENCY', 4, 1, 64);
  const logLevel = oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info');
  const logFormat = oneOf(
    'LOG_FORMAT',
    ['json', 'pretty'] as const,
    value('NODE_ENV') === 'development' ? 'pretty' : 'json',
  );

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    slackBotToken,
    slackSigningSecret,
    slackApiUrl,
    omicallApiKey,
    omicallApiUrl,
    webhookSecret: webhookSecretEnv ?? deriveSecret(slackSigningSecret, 'omicall-webhook'),
    publicUrl,
    port,
    redisUrl,
    redisPrefix: value('REDIS_PREFIX') ?? 'omicall-transcriber:',
    redisTlsVerify,
    maxAudioBytes: maxAudioMb * 1024 * 1024,
    relayConcurrency,
    ffmpegPath: value('FFMPEG_PATH'),
    logLevel,
    logFormat,
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

/** The webhook URL registered with OMICall: `{PUBLIC_URL}/omicall/webhook/{secret}`. */
export function webhookUrl(config: Pick<Config, 'publicUrl' | 'webhookSecret'>): string | undefined {
  return config.publicUrl ? `${config.publicUrl}/omicall/webhook/${config.webhookSecret}` : undefined;
}
