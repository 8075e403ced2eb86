import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { errorMessage, SourceError } from '../../errors.ts';
import type { AudioUpload, ProviderResult } from '../index.ts';
import { readEnvelope } from './envelope.ts';

export interface OmicallClient {
  registerWebhook(url: string): Promise<ProviderResult>;
  speechToText(upload: AudioUpload): Promise<ProviderResult>;
  close(): Promise<void>;
}

export interface OmicallOptions {
  /** Base URL ending in "/", e.g. https://public-v1-stg.omicrm.com/api/ai/ */
  baseUrl: string;
  apiKey: string;
  /** How long to wait for OMICall's answer once the upload is sent. */
  timeoutMs?: number;
}

export function createOmicallClient({ baseUrl, apiKey, timeoutMs = 120_000 }: OmicallOptions): OmicallClient {
  const dispatcher = new Agent({ headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: 10_000 });
  const call = async (path: string, headers: Record<string, string>, body: string | Readable) => {
    try {
      const res = await request(new URL(path, baseUrl), {
        method: 'POST',
        headers: { apiKey, ...headers },
        body,
        dispatcher,
      });
      return readEnvelope(res.statusCode, await res.body.text());
    } catch (err) {
      return networkFailure(err);
    }
  };
  return {
    registerWebhook: (url) =>
      call('register_webhook_ai', { 'content-type': 'application/json' }, JSON.stringify({ url })),
    speechToText: (upload) => {
      const form = multipart(upload);
      return call('speech_to_text', form.headers, Readable.from(form.body, { objectMode: false }));
    },
    close: () => dispatcher.close(),
  };
}

/** A multipart/form-data body streamed around the audio, never held whole in memory. */
export function multipart(upload: AudioUpload): { headers: Record<string, string>; body: AsyncIterable<Uint8Array> } {
  const boundary = `----omicall-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="tracking_id"\r\n\r\n${upload.trackingId}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${upload.fileName.replace(/["\r\n]/g, '_')}"\r\n` +
      `Content-Type: ${upload.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const headers: Record<string, string> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
  if (upload.length !== undefined) headers['content-length'] = String(head.length + upload.length + tail.length);
  async function* body() {
    yield head;
    yield* upload.body;
    yield tail;
  }
  return { headers, body: body() };
}

function networkFailure(err: unknown): ProviderResult {
  if (err instanceof SourceError) throw err;
  const code = (err as { code?: string }).code ?? '';
  const error = code.includes('TIMEOUT')
    ? 'timeout'
    : code === 'ECONNREFUSED'
      ? 'connection_refused'
      : 'connection_failed';
  return { ok: false, error, message: errorMessage(err), retryable: true };
}
