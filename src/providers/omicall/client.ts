import { randomBytes } from 'node:crypto';
import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isSoleView, release } from '../../buffers.ts';
import { errorMessage, SourceError } from '../../errors.ts';
import type { AudioUpload, ProviderResult } from '../index.ts';
import { readEnvelope } from './envelope.ts';

export interface OmicallClient {
  registerWebhook(url: string, apiKey: string, signal?: AbortSignal): Promise<ProviderResult>;
  speechToText(upload: AudioUpload, apiKey: string): Promise<ProviderResult>;
  close(): Promise<void>;
}

export interface OmicallOptions {
  /** Base URL ending in "/", e.g. https://public-v1-stg.omicrm.com/api/ai/ */
  baseUrl: string;
  /** How long the connection may stay silent (OMICall neither reading the upload nor answering). */
  timeoutMs?: number;
  /** How long connecting may take. */
  connectTimeoutMs?: number;
}

/** What a request sends: fixed bytes, or a multipart form around a streamed file. */
interface Body {
  head: Buffer;
  source?: AsyncIterable<Uint8Array>;
  tail?: Buffer;
  signal?: AbortSignal;
}

/** The largest answer read from OMICall; its envelopes are a few hundred bytes. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * OMICall's API over Node's own HTTP client. Uploads are written chunk by chunk with a callback for each, so
 * that a chunk's memory is released the moment the socket has sent it (see `release`): undici's request body
 * gives no such signal, and without it each 64 KB chunk of a relay waits for a garbage collection.
 */
export function createOmicallClient({
  baseUrl,
  timeoutMs = 120_000,
  connectTimeoutMs = 10_000,
}: OmicallOptions): OmicallClient {
  const base = new URL(baseUrl);
  const secure = base.protocol === 'https:';
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });

  const call = (path: string, apiKey: string, headers: Record<string, string>, body: Body): Promise<ProviderResult> => {
    const url = new URL(path, base);
    const length = body.source ? undefined : body.head.length;
    const req = (secure ? https : http).request(url, {
      method: 'POST',
      agent,
      headers: { apiKey, ...(length === undefined ? {} : { 'content-length': String(length) }), ...headers },
      ...(body.signal ? { signal: body.signal } : {}),
    });
    let failure: 'timeout' | 'connect_timeout' | undefined;
    req.setTimeout(timeoutMs, () => {
      failure ??= 'timeout';
      req.destroy();
    });
    req.once('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => {
        failure ??= 'connect_timeout';
        req.destroy();
      }, connectTimeoutMs);
      socket.once('connect', () => clearTimeout(timer));
      socket.once('close', () => clearTimeout(timer));
    });
    const answer = readAnswer(req).then(
      ({ status, text }) => readEnvelope(status, text),
      (err: unknown) => networkFailure(err, failure),
    );
    return send(req, body).then(
      () => answer,
      (err: unknown) => {
        // The source failed: the upload is abandoned, and the failure is the source's, not OMICall's.
        req.destroy();
        throw err instanceof SourceError ? err : new SourceError(err);
      },
    );
  };

  return {
    registerWebhook: (url, apiKey, signal) =>
      call(
        'register_webhook_ai',
        apiKey,
        { 'content-type': 'application/json' },
        { head: Buffer.from(JSON.stringify({ url })), ...(signal ? { signal } : {}) },
      ).then((result) => withoutKey(result, apiKey)),
    speechToText: (upload, apiKey) => {
      const form = multipart(upload);
      return call('speech_to_text', apiKey, form.headers, {
        head: form.head,
        source: upload.body,
        tail: form.tail,
        signal: upload.signal,
      }).then((result) => withoutKey(result, apiKey));
    },
    close: async () => agent.destroy(),
  };
}

/**
 * The parts of a multipart/form-data body around the audio: the bytes before it and after it, and the headers.
 * The audio itself is streamed between them, never held whole in memory.
 */
export function multipart(upload: AudioUpload): { headers: Record<string, string>; head: Buffer; tail: Buffer } {
  const boundary = `----omicall-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="tracking_id"\r\n\r\n${upload.trackingId}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${upload.fileName.replace(/["\r\n]/g, '_')}"\r\n` +
      `Content-Type: ${upload.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (upload.length !== undefined) headers['content-length'] = String(head.length + upload.length + tail.length);
  return { headers, head, tail };
}

/**
 * Writes the body, honouring back-pressure: the next chunk is taken from the source only once the socket can
 * take it. Rejects only when the source fails; a network failure stops the writing and is reported by the
 * answer.
 */
async function send(req: ClientRequest, body: Body): Promise<void> {
  req.write(body.head);
  if (body.source) {
    for await (const chunk of body.source) {
      if (req.destroyed) return;
      const releasable = isSoleView(chunk);
      const more = req.write(chunk, (err) => {
        if (!err && releasable) release(chunk);
      });
      if (!more && !(await drained(req))) return;
    }
  }
  req.end(body.tail);
}

/** Waits until the request can take more; false when it closed instead. */
function drained(req: ClientRequest): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      req.off('drain', onDrain);
      req.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    req.once('drain', onDrain);
    req.once('close', onClose);
  });
}

/** OMICall's answer: status and body text (at most MAX_ANSWER_BYTES). */
function readAnswer(req: ClientRequest): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    req.once('error', reject);
    req.once('response', (res: IncomingMessage) => {
      answered = true;
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ANSWER_BYTES) parts.push(chunk);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      res.once('error', reject);
      res.once('close', () => {
        if (!res.complete) reject(new Error('OMICall closed the connection mid-answer'));
      });
    });
    req.once('close', () => {
      if (!answered) reject(new Error('OMICall closed the connection without an answer'));
    });
  });
}

/**
 * A refusal without the API key the request carried, should the answer quote it: the error of a refused upload is
 * shown in the Slack thread (`provider_refused`) and in the Home tab. Taken out after parsing, so that a key written
 * with JSON escapes goes too.
 */
function withoutKey(result: ProviderResult, apiKey: string): ProviderResult {
  if (result.ok || apiKey.length < 6) return result;
  const redact = (text: string) => text.split(apiKey).join('[redacted]');
  return { ...result, error: redact(result.error), ...(result.message ? { message: redact(result.message) } : {}) };
}

function networkFailure(err: unknown, failure: 'timeout' | 'connect_timeout' | undefined): ProviderResult {
  if (failure) {
    return { ok: false, error: 'timeout', message: `OMICall did not answer in time (${failure})`, retryable: true };
  }
  const code = (err as { code?: string }).code ?? '';
  const error =
    code.includes('TIMEOUT') || code === 'ABORT_ERR'
      ? 'timeout'
      : code === 'ECONNREFUSED'
        ? 'connection_refused'
        : 'connection_failed';
  return { ok: false, error, message: errorMessage(err), retryable: true };
}
