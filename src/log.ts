import type { Logger as BoltLogger } from '@slack/bolt';
import { LogLevel as BoltLogLevel } from '@slack/bolt';

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SLACK_TOKEN = /xox[abposr]-[A-Za-z0-9-]+/g;

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Values that must never appear in a log line (API keys, secrets). */
  secrets?: string[];
  write?: (line: string) => void;
  base?: Fields;
}

/**
 * The rule that keeps secrets out of what the app writes (its logs, `npm run doctor`): every Slack token, whoever's,
 * and each of the given secrets (values under 6 characters are left, they would match ordinary text), become
 * `[redacted]`.
 */
export function scrubber(secrets: readonly (string | undefined)[]): (text: string) => string {
  // Stryker disable next-line ArrayDeclaration: with no secrets given, a stand-in secret would be scrubbed only from lines that contain it, which none do
  const kept = secrets.filter((s): s is string => s !== undefined && s.length >= 6);
  return (text) => {
    let out = text.replace(SLACK_TOKEN, '[redacted]');
    for (const s of kept) out = out.split(s).join('[redacted]');
    return out;
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const scrub = scrubber(options.secrets ?? []);
  const make = (base: Fields): Logger => {
    const emit = (level: LogLevel, msg: string, fields?: Fields) => {
      if (rank[level] < rank[options.level]) return;
      const record = { time: new Date().toISOString(), level, msg, ...base, ...fields };
      write(scrub(options.format === 'json' ? JSON.stringify(record, errorsAsObjects) : pretty(record)));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.base ?? {});
}

function errorsAsObjects(_key: string, value: unknown) {
  return value instanceof Error ? { name: value.name, message: value.message } : value;
}

function pretty({ time, level, msg, ...fields }: Fields): string {
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, errorsAsObjects)}`)
    .join(' ');
  return `${String(time).slice(11, 23)} ${String(level).toUpperCase().padEnd(5)} ${msg}${rest ? `  ${rest}` : ''}`;
}

/** Bolt wants its own logger shape; route its lines through ours. */
export function boltLogger(log: Logger, level: LogLevel): BoltLogger {
  const slack = log.child({ component: 'bolt' });
  const join = (parts: unknown[]) =>
    parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p, errorsAsObjects))).join(' ');
  const debugging = level === 'debug';
  return {
    // Bolt and the Web API client log every request and response at debug level: skip the work unless shown.
    debug: (...m) => debugging && slack.debug(join(m)),
    info: (...m) => slack.info(join(m)),
    warn: (...m) => slack.warn(join(m)),
    error: (...m) => slack.error(join(m)),
    setLevel: () => {},
    getLevel: () =>
      ({ debug: BoltLogLevel.DEBUG, info: BoltLogLevel.INFO, warn: BoltLogLevel.WARN, error: BoltLogLevel.ERROR })[
        level
      ],
    setName: () => {},
  };
}

/**
 * A warning that repeats (a connection that is away fails every few milliseconds) is written once, then at most
 * once per `ms` for each message, with how many were left out.
 */
export function onceIn(ms: number, log: Logger): (msg: string, fields?: Fields) => void {
  const last = new Map<string, { at: number; skipped: number }>();
  return (msg, fields) => {
    const now = Date.now();
    const seen = last.get(msg);
    if (seen && now - seen.at < ms) {
      seen.skipped += 1;
      return;
    }
    log.warn(msg, { ...fields, ...(seen?.skipped ? { repeated: seen.skipped } : {}) });
    last.set(msg, { at: now, skipped: 0 });
  };
}
