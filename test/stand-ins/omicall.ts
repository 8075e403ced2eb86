import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { request } from 'undici';

/**
 * A local OMICall: `register_webhook_ai` and `speech_to_text` behind the `apiKey` header, answering
 * in OMICall's envelope (`status_code` 9999 / -9999, failures often with HTTP 200). Uploads are read
 * as a stream and recorded by hash, so large files cost it no memory. It can call the webhook back.
 */

export const API_KEY = 'omi-test-key-123456';
/** Two more companies' keys, for workspaces that set their own (distribution mode). */
export const KEY_A = 'omi-company-a-key-7a1f';
export const KEY_B = 'omi-company-b-key-9b2e';

export interface ReceivedUpload {
  trackingId?: string;
  fileName?: string;
  contentType?: string;
  size: number;
  sha256: string;
  /** The file's bytes, kept when small. */
  bytes?: Buffer;
  headers: IncomingMessage['headers'];
  /** Order of the multipart fields. */
  fields: string[];
}

/** How to answer the next upload; the default is success. */
export type UploadAnswer =
  | { kind: 'ok' }
  | { kind: 'fail'; error: string; message?: string; http?: number }
  | { kind: 'http'; status: number; body?: string }
  | { kind: 'hang'; ms: number }
  | { kind: 'reset' };

const KEEP_BYTES = 4 * 1024 * 1024;

export class OmicallStandIn {
  /** Uploads received whole and answered with success. */
  readonly uploads: ReceivedUpload[] = [];
  /** Uploads received whole whose sender was gone before the answer. */
  readonly unanswered: ReceivedUpload[] = [];
  /** Emits 'upload' with each ReceivedUpload once its last byte is read. */
  readonly events = new EventEmitter();
  /** Upload attempts, including refused ones. */
  attempts = 0;
  /** When each upload attempt arrived (Date.now()), to measure the back-off between them. */
  readonly attemptTimes: number[] = [];
  readonly registrations: { url: string; apiKey?: string }[] = [];
  /** The keys OMICall knows; any other is `api_key_invalid`. */
  readonly keys = new Set<string>([API_KEY, KEY_A, KEY_B]);
  /** Each key's webhook URL, as the last registration with it set it (one URL per key). */
  readonly webhooks = new Map<string, string>();
  /** Delay before answering a webhook registration, to hold it past the app's patience. */
  registerDelayMs = 0;
  readonly answers: UploadAnswer[] = [];
  /** Uploads being received right now, and the most at once. */
  inFlight = 0;
  maxInFlight = 0;
  /** Delay before answering an upload, to hold relays in flight. */
  uploadDelayMs = 0;
  /**
   * Runs once an upload is received, before it is answered: a quick OMICall that calls the webhook back before the
   * app has its answer to the upload.
   */
  beforeAnswer?: (upload: ReceivedUpload) => Promise<void>;
  webhookUrl?: string;
  /**
   * When set, `register_webhook_ai` refuses with this error and a message that quotes the request (the URL, and the
   * key it came with), as a careless API's refusal does.
   */
  registrationRefusal?: string;
  #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get apiUrl(): string {
    return `${this.url}/api/ai`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /**
   * POSTs results for an upload as OMICall does: to the webhook registered with the key the upload came with (one
   * URL per key), whatever tracking_id the body carries.
   */
  async callBackFor(upload: ReceivedUpload, body: unknown): Promise<{ status: number; body: string }> {
    const url = this.webhooks.get(String(upload.headers.apikey));
    if (!url) throw new Error('no webhook registered for the key of this upload');
    return this.callBack(body, url);
  }

  /** POSTs a body to the registered webhook, as OMICall does with results. */
  async callBack(body: unknown, url = this.webhookUrl): Promise<{ status: number; body: string }> {
    if (!url) throw new Error('no webhook registered');
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.statusCode, body: await res.body.text() };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    const apiKey = req.headers.apikey as string | undefined;
    if (req.method !== 'POST') return envelope(res, 404, -9999, { status: 'fail', error: 'not_found' });
    if (!apiKey) return drain(req, () => envelope(res, 200, -9999, { status: 'fail', error: 'api_key_is_required' }));
    if (!this.keys.has(apiKey))
      return drain(req, () =>
        envelope(res, 200, -9999, { status: 'fail', error: 'api_key_invalid', message: 'API key is invalid' }),
      );
    if (path === '/api/ai/register_webhook_ai') {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const url = (JSON.parse(raw || '{}') as { url?: string }).url;
      if (!url) return envelope(res, 200, -9999, { status: 'fail', error: 'request_body_required' });
      if (this.registerDelayMs) await new Promise((r) => setTimeout(r, this.registerDelayMs));
      if (res.destroyed || req.socket.destroyed) return;
      if (this.registrationRefusal) {
        return envelope(res, 200, -9999, {
          status: 'fail',
          error: this.registrationRefusal,
          message: `cannot reach ${url} with apiKey ${apiKey}`,
        });
      }
      this.registrations.push({ url, apiKey });
      this.webhooks.set(apiKey, url);
      this.webhookUrl = url;
      return envelope(res, 200, 9999, { status: 'success' });
    }
    if (path === '/api/ai/speech_to_text') return this.#upload(req, res);
    envelope(res, 404, -9999, { status: 'fail', error: 'not_found' });
  }

  async #upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.attempts += 1;
    this.attemptTimes.push(Date.now());
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const answer = this.answers.shift() ?? { kind: 'ok' };
    try {
      if (answer.kind === 'reset') {
        req.socket.destroy();
        return;
      }
      const upload = await readMultipart(req);
      if (this.uploadDelayMs) await new Promise((r) => setTimeout(r, this.uploadDelayMs));
      if (this.beforeAnswer && answer.kind === 'ok') await this.beforeAnswer(upload);
      if (answer.kind === 'hang') {
        await new Promise((r) => setTimeout(r, answer.ms));
        if (!res.writable) return;
      }
      if (answer.kind === 'http') {
        res.writeHead(answer.status, { 'content-type': 'text/html' });
        res.end(answer.body ?? '<html><body>Bad Gateway</body></html>');
        return;
      }
      if (answer.kind === 'fail')
        return envelope(res, answer.http ?? 200, -9999, {
          status: 'fail',
          error: answer.error,
          message: answer.message,
        });
      if (res.destroyed || req.socket.destroyed) {
        // The uploader went away before the answer (killed mid-upload): it never learns the file arrived,
        // and will send it again. Kept apart from the answered uploads.
        this.unanswered.push(upload);
        return;
      }
      if (!upload.trackingId || !upload.fileName)
        return envelope(res, 200, -9999, {
          status: 'fail',
          error: 'data_is_required',
          message: 'Please check your input param',
        });
      this.uploads.push(upload);
      this.events.emit('upload', upload);
      envelope(res, 200, 9999, { status: 'success', tracking_id: upload.trackingId });
    } finally {
      this.inFlight -= 1;
    }
  }
}

function envelope(res: ServerResponse, http: number, status_code: number, payload: Record<string, unknown>): void {
  res.writeHead(http, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ status_code, instance_id: 'stand-in', instance_version: 'test', key_enabled: true, payload }),
  );
}

async function drain(req: IncomingMessage, then: () => void): Promise<void> {
  for await (const _ of req);
  then();
}

function readMultipart(req: IncomingMessage): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    const upload: ReceivedUpload = { size: 0, sha256: '', headers: req.headers, fields: [] };
    const parser = busboy({ headers: req.headers, limits: { fileSize: Number.MAX_SAFE_INTEGER } });
    parser.on('field', (name, value) => {
      upload.fields.push(name);
      if (name === 'tracking_id') upload.trackingId = value;
    });
    parser.on('file', (name, stream, info) => {
      upload.fields.push(name);
      if (name !== 'file') {
        stream.resume();
        return;
      }
      upload.fileName = info.filename;
      upload.contentType = info.mimeType;
      const hash = createHash('sha256');
      const kept: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        upload.size += chunk.length;
        if (upload.size <= KEEP_BYTES) kept.push(chunk);
      });
      stream.on('end', () => {
        upload.sha256 = hash.digest('hex');
        if (upload.size <= KEEP_BYTES) upload.bytes = Buffer.concat(kept);
      });
    });
    parser.on('close', () => resolve(upload));
    parser.on('error', reject);
    req.pipe(parser);
  });
}
