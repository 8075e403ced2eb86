/**
 * The app's one error family. Every error the app throws on purpose is an `AppError` with a `code`, so
 * callers branch with `instanceof` or on `code`, never on message text. Messages are for logs; what a user
 * reads comes from the i18n catalogues, chosen by code.
 */
export type ErrorCode =
  /** An environment variable is missing or malformed. */
  | 'config_invalid'
  /** Slack's file host answered something other than the file. */
  | 'download_failed'
  /** The download passed MAX_AUDIO_MB, whatever Slack said its size was. */
  | 'download_too_large'
  /** The download did not finish within its deadline. */
  | 'download_timed_out'
  /** The file's link leads off Slack's hosts: the bot token is never sent there. */
  | 'download_off_slack'
  /** ffmpeg could not make audio of the file, took too long, or found it longer than allowed. */
  | 'conversion_failed'
  /** The audio source failed while it was being uploaded (download cut, ffmpeg stopped). */
  | 'source_failed'
  /** A relay that cannot succeed; the thread says why. */
  | 'job_failed'
  /** A relay that failed for now; the queue tries again after its back-off. */
  | 'retry_later'
  /** An OAuth `state` this app did not issue, that expired, or that was used already. */
  | 'oauth_state_invalid'
  /** An installation the app does not take (token rotation on, no bot token). */
  | 'installation_refused'
  /** Slack's rate limit allows no call of a method soon enough (src/slack/budget.ts). */
  | 'slack_busy';

export class AppError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class ConfigError extends AppError {
  /** One line per bad variable, each starting with the variable's name. */
  readonly problems: string[];

  constructor(problems: string[]) {
    super('config_invalid', `Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export class DownloadError extends AppError {
  /** Slack's HTTP status, when it answered one. */
  readonly status?: number;

  constructor(
    message: string,
    options: {
      status?: number;
      code?: 'download_failed' | 'download_too_large' | 'download_timed_out' | 'download_off_slack';
      cause?: unknown;
    } = {},
  ) {
    super(options.code ?? 'download_failed', message, { cause: options.cause });
    this.status = options.status;
  }
}

/**
 * Why ffmpeg gave no audio: it could not start, could not read the input as the container it was told, the
 * audio is longer than allowed, ffmpeg ran past its wall-clock limit, the MP3 passed its size limit, or the
 * conversion was stopped (`kill()`: the app is stopping, or the output's reader gave up).
 */
export type ConversionFailure =
  | 'cannot_start'
  | 'unreadable'
  | 'too_long'
  | 'timed_out'
  | 'output_too_large'
  | 'stopped';

export class ConversionError extends AppError {
  readonly reason: ConversionFailure;

  constructor(reason: ConversionFailure, message: string, options?: { cause?: unknown }) {
    super('conversion_failed', message, options);
    this.reason = reason;
  }
}

/** Wraps a failure of the audio being uploaded, so that it is not mistaken for the provider's fault. */
export class SourceError extends AppError {
  constructor(cause: unknown) {
    super('source_failed', `audio source failed: ${errorMessage(cause)}`, { cause });
  }
}

/** Why the OAuth `state` of an installation was refused: nothing is stored, the installer sees a plain page. */
export class OAuthStateError extends AppError {
  readonly reason: 'forged' | 'expired' | 'reused';

  constructor(reason: 'forged' | 'expired' | 'reused') {
    super('oauth_state_invalid', `OAuth state refused: ${reason}`);
    this.reason = reason;
  }
}

/** A readable message from anything thrown. */
/**
 * What a log line says of an error nothing caught: its name and message, and the first lines of its stack; never
 * throws, whatever was thrown (an object whose getters throw, one without a prototype), and never very long.
 */
export function describeError(err: unknown): string {
  try {
    const text =
      err instanceof Error
        ? `${err.name}: ${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 8).join('\n')}` : ''}`
        : errorMessage(err);
    return String(text).slice(0, 4000);
  } catch {
    return 'an error that cannot be shown';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return String(err);
  }
}
