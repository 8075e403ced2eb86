import type { Readable } from 'node:stream';
import { type Dispatcher, getGlobalDispatcher, request } from 'undici';
import { HEAD_BYTES } from '../audio/containers.ts';
import { DownloadError } from '../errors.ts';

export interface Download {
  /** A copy of the first bytes, for sniffing; the body still starts with them. */
  head: Buffer;
  /**
   * The whole file, streamed: undici's own response stream, with no stream of ours in between. It fails
   * with a `DownloadError` (`download_too_large`, `download_timed_out`) when a limit of the download is hit.
   */
  body: Readable;
  /** From Content-Length, when Slack sends one. */
  length?: number;
  contentType: string;
  /** Stops the transfer when the body will not be read. */
  cancel(): void;
}

/**
 * Whether a URL is one of Slack's hosts, the only ones that may see the bot token: with Slack's own API, https to
 * slack.com and its subdomains; with another `SLACK_API_URL` (staging, tests), that URL's origin only, its scheme,
 * host and port alike, so that a plain-http link to the same host never carries the token.
 */
export function slackHosts(slackApiUrl: string): (url: URL) => boolean {
  const api = new URL(slackApiUrl);
  if (api.hostname === 'slack.com') {
    return (url) => url.protocol === 'https:' && (url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com'));
  }
  return (url) => url.protocol === api.protocol && url.host === api.host;
}

export interface DownloadOptions {
  token: string;
  isSlackHost: (url: URL) => boolean;
  dispatcher?: Dispatcher;
  maxRedirects?: number;
  /**
   * The most bytes the file may have. Bytes are counted as they arrive, whatever Content-Length or Slack's
   * reported size said: past this the connection is closed, nothing more is read, and the body fails with
   * `download_too_large` (the consumer gets at most this many bytes). A Content-Length over it fails at once.
   */
  maxBytes?: number;
  /**
   * Deadline of the whole transfer in ms, from this call to the body's last byte: redirects, headers and the
   * body (which is read as fast as its consumer reads it). Past it the transfer stops and the open call or the
   * body fails with `download_timed_out`.
   */
  deadlineMs?: number;
  /** Aborts the transfer (the app is stopping). */
  signal?: AbortSignal;
}

/**
 * Opens a file on Slack's file host as a stream. The bot token goes only to Slack's hosts, also across
 * redirects. Slack answers a request it will not serve (missing files:read, app not reinstalled) with
 * HTTP 200 and an HTML sign-in page; that is reported by the caller, who sniffs `head`.
 */
export async function openDownload(url: string, options: DownloadOptions): Promise<Download> {
  let target = new URL(url);
  if (!options.isSlackHost(target)) {
    throw new DownloadError(`the file is not on Slack's file host (${target.host})`, { code: 'download_off_slack' });
  }
  const deadline = startDeadline(options.deadlineMs);
  const signal = options.signal ? AbortSignal.any([deadline.signal, options.signal]) : deadline.signal;
  try {
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = options.isSlackHost(target)
        ? { authorization: `Bearer ${options.token}` }
        : {};
      const guard = new Guard(options.maxBytes ?? Number.POSITIVE_INFINITY, HEAD_BYTES);
      const dispatcher = (options.dispatcher ?? getGlobalDispatcher()).compose(
        (dispatch) => (opts, handler) => dispatch(opts, guard.wrap(handler)),
      );
      // Stryker disable next-line StringLiteral: equivalent; undici sends GET for an empty method (the file host sees GET)
      const res = await request(target, { method: 'GET', headers, dispatcher, signal });
      const location = res.headers.location;
      if (res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
        await res.body.dump();
        if (hop >= (options.maxRedirects ?? 5)) throw new DownloadError('too many redirects');
        target = new URL(location, target);
        continue;
      }
      if (res.statusCode !== 200) {
        await res.body.dump();
        throw new DownloadError(`Slack's file host answered HTTP ${res.statusCode}`, { status: res.statusCode });
      }
      const length = Number(res.headers['content-length']);
      if (Number.isFinite(length) && length > (options.maxBytes ?? Number.POSITIVE_INFINITY)) {
        res.body.destroy();
        throw tooLarge(options.maxBytes ?? 0);
      }
      const head = await Promise.race([guard.head, whenAborted(signal)]);
      const body = res.body;
      // The deadline runs on while the body is read, and stops with it.
      // Stryker disable next-line StringLiteral: not observable through behaviour, and switched off because each run of it takes ~150 integration tests; an uncleared deadline stays (unref'd) until it fires on a signal nobody listens to any more
      body.once('close', deadline.clear);
      return {
        head,
        body,
        length: Number.isFinite(length) ? length : undefined,
        contentType: String(res.headers['content-type'] ?? ''),
        cancel: () => {
          body.on('error', () => {});
          body.destroy();
        },
      };
    }
  } catch (err) {
    deadline.clear();
    throw deadline.signal.aborted ? deadline.signal.reason : err;
  }
}

/** Rejects with the signal's reason once it aborts. */
function whenAborted(signal: AbortSignal): Promise<never> {
  // Stryker disable next-line BlockStatement: equivalent; undici's abort already fails the head through Guard's onResponseError, this race only backs it up
  return new Promise((_, reject) => {
    // Stryker disable next-line ConditionalExpression: equivalent; as above, the guard's head fails on the abort too
    if (signal.aborted) return reject(signal.reason);
    // (A comment before `else` is not the alternate's: Stryker ignored this one until the `else` went.)
    // Stryker disable next-line StringLiteral,ArrowFunction,ObjectLiteral,BooleanLiteral,CallExpression: equivalent; as above, the guard's head fails on the abort too
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function tooLarge(maxBytes: number): DownloadError {
  return new DownloadError(`the file is larger than ${maxBytes} bytes`, { code: 'download_too_large' });
}

/** An abort signal that fires with a `download_timed_out` DownloadError after ms; never when ms is undefined. */
function startDeadline(ms: number | undefined): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  if (ms === undefined) return { signal: controller.signal, clear: () => {} };
  const timer = setTimeout(
    () => controller.abort(new DownloadError(`the download took longer than ${ms} ms`, { code: 'download_timed_out' })),
    ms,
  );
  // Stryker disable next-line CallExpression: a ref'd deadline only delays a process exit by up to its length, which only a child process would show
  timer.unref();
  // Stryker disable next-line ArrowFunction: not observable through behaviour, and switched off because each run of it takes ~150 integration tests; as for 'close' above, the timer runs out harmlessly
  return { signal: controller.signal, clear: () => clearTimeout(timer) };
}

/**
 * Sits between undici and the response stream it feeds, where each chunk arrives from the socket: counts the
 * bytes and aborts the transfer (socket closed) before passing on a chunk that would go past `maxBytes`,
 * and copies the first bytes for sniffing, so that `head` is ready without reading the stream (and holds
 * none of its chunks).
 */
class Guard {
  readonly head: Promise<Buffer>;
  #received = 0;
  #headBytes: Buffer;
  #headSize = 0;
  #maxBytes: number;
  #resolveHead: (head: Buffer) => void = () => {};
  #rejectHead: (err: Error) => void = () => {};

  constructor(maxBytes: number, headBytes: number) {
    this.#maxBytes = maxBytes;
    this.#headBytes = Buffer.alloc(headBytes);
    this.head = new Promise<Buffer>((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    // The head is awaited only once the response has started; an earlier failure is the request's own.
    this.head.catch(() => {});
  }

  #headDone(): void {
    this.#resolveHead(this.#headBytes.subarray(0, this.#headSize));
  }

  wrap(handler: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler {
    return {
      onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
      // Stryker disable next-line ArrowFunction: equivalent; a GET without an Upgrade header is never upgraded
      onRequestUpgrade: (controller, status, headers, socket) =>
        handler.onRequestUpgrade?.(controller, status, headers, socket),
      onResponseStart: (controller, status, headers, message) =>
        handler.onResponseStart?.(controller, status, headers, message),
      onResponseData: (controller, chunk) => {
        this.#received += chunk.length;
        if (this.#received > this.#maxBytes) {
          const err = tooLarge(this.#maxBytes);
          // Stryker disable next-line CallExpression: equivalent; controller.abort(err) below rejects the head with the same error through onResponseError
          this.#rejectHead(err);
          controller.abort(err);
          return;
        }
        // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent; once the head is full a chunk copies 0 bytes and #headDone settles a settled promise
        if (this.#headSize < this.#headBytes.length) {
          this.#headSize += chunk.copy(this.#headBytes, this.#headSize);
          if (this.#headSize === this.#headBytes.length) this.#headDone();
        }
        handler.onResponseData?.(controller, chunk);
      },
      onResponseEnd: (controller, trailers) => {
        this.#headDone();
        handler.onResponseEnd?.(controller, trailers);
      },
      onResponseError: (controller, err) => {
        this.#rejectHead(err);
        handler.onResponseError?.(controller, err);
      },
    };
  }
}
