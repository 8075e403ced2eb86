import { type Dispatcher, request } from 'undici';
import { HEAD_BYTES } from '../audio/containers.ts';
import { DownloadError } from '../errors.ts';

export interface Download {
  /** The first bytes, for sniffing; also the start of body. */
  head: Buffer;
  /** The whole file, streamed. */
  body: AsyncIterable<Uint8Array>;
  /** From Content-Length, when Slack sends one. */
  length?: number;
  contentType: string;
  /** Stops the transfer when the body will not be read. */
  cancel(): void;
}

/** Whether a URL is one of Slack's hosts, the only ones that may see the bot token. */
export function slackHosts(slackApiUrl: string): (url: URL) => boolean {
  const api = new URL(slackApiUrl);
  if (api.hostname === 'slack.com') {
    return (url) => url.protocol === 'https:' && (url.hostname === 'slack.com' || url.hostname.endsWith('.slack.com'));
  }
  return (url) => url.host === api.host;
}

export interface DownloadOptions {
  token: string;
  isSlackHost: (url: URL) => boolean;
  dispatcher?: Dispatcher;
  maxRedirects?: number;
  /** Stop past this many bytes, whatever Content-Length or Slack's reported size said. */
  maxBytes?: number;
  /** The whole transfer, first byte to last. */
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
  if (!options.isSlackHost(target))
    throw new DownloadError(`the file is not on Slack's file host (${target.host})`, { code: 'download_off_slack' });
  for (let hop = 0; ; hop++) {
    const headers: Record<string, string> = options.isSlackHost(target)
      ? { authorization: `Bearer ${options.token}` }
      : {};
    const res = await request(target, {
      method: 'GET',
      headers,
      dispatcher: options.dispatcher,
      signal: options.signal,
    });
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
    const contentType = String(res.headers['content-type'] ?? '');
    const { head, rest } = await peek(res.body, HEAD_BYTES);
    return {
      head,
      body: rest,
      length: Number.isFinite(length) ? length : undefined,
      contentType,
      cancel: () => {
        res.body.on('error', () => {});
        res.body.destroy();
      },
    };
  }
}

/** Reads the first n bytes (fewer at the end) and gives back a stream that still starts with them. */
async function peek(
  stream: AsyncIterable<Uint8Array>,
  n: number,
): Promise<{ head: Buffer; rest: AsyncIterable<Uint8Array> }> {
  const it = stream[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let done = false;
  while (size < n) {
    const next = await it.next();
    if (next.done) {
      done = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  async function* rest() {
    yield* chunks;
    if (!done) yield* { [Symbol.asyncIterator]: () => it };
  }
  return { head: Buffer.concat(chunks).subarray(0, n), rest: rest() };
}
