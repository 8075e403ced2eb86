import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { isSoleView, release } from '../buffers.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import { sendJson } from './respond.ts';

export interface ServerOptions {
  /** Bolt's request listener for `POST /slack/events`; absent on a worker (ROLE=worker). */
  slack?: RequestListener;
  /** Every other route: health, metrics, the provider's webhook. */
  routes: CustomRoute[];
  /** Largest Slack request body read (Slack's own are a few KB; Bolt's default of 4 MB is far more). */
  slackBodyLimit: number;
  /** Slack's bodies are checked against it as they are read; Bolt checks them again. */
  slackSigningSecret: string;
  /** Request bodies read at once; more requests wait for a slot, unread, in the kernel's buffers. */
  bodySlots: number;
  /** Told of each signed Slack request being handled: returns what to call once it is answered. */
  foreground?: { begin(): () => void };
  log: Logger;
}

const SLACK_PATH = '/slack/events';
/** Slack signs with the request's time; Bolt refuses requests older than 5 minutes, and so does this. */
const MAX_AGE_S = 5 * 60;
const SLOT_WAIT_MS = 2_000;
const MAX_WAITING = 1_000;

/**
 * The one HTTP server: Slack's requests (handed to Bolt), the provider's callbacks, /healthz and /metrics.
 *
 * Every caller is unauthenticated until proven otherwise, and cheap to refuse: a request to /slack/events
 * without Slack's signature headers, or with a stale timestamp, or announcing a body over the limit, is
 * answered before a byte of its body is read. Bolt once buffered up to 4 MB of any POST before checking its
 * signature, so 250 unsigned 4 MB posts held about 700 MB; now bodies are read `bodySlots` at a time, each
 * at most `slackBodyLimit`, and the rest wait unread.
 */
export function createHttpServer(options: ServerOptions): Server & { stopping: boolean } {
  const slots = new Slots(options.bodySlots);
  const routes = options.routes.map((r) => ({ ...r, match: matcher(r.path) }));
  const server = createServer((req, res) => {
    void handle(req, res).catch((err: unknown) => {
      options.log.error('request failed', { path: pathOf(req), error: errorMessage(err) });
      if (!res.headersSent) sendJson(res, 500, { ok: false });
      else res.destroy();
    });
  }) as Server & { stopping: boolean };
  server.stopping = false;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (path === SLACK_PATH && options.slack) {
      const refusal = refuseUnsigned(req, options.slackBodyLimit);
      if (refusal) return refuse(req, res, refusal.status, refusal.error);
      if (server.stopping) return refuse(req, res, 503, 'stopping');
      return slots.run(req, res, async () => {
        const read = await readSigned(req, options.slackBodyLimit, options.slackSigningSecret);
        if (!read.ok) return refuse(req, res, read.status, read.error);
        // Bolt takes a request whose body is already read as it is (its `rawBody`).
        Object.assign(req, { rawBody: read.body });
        const end = options.foreground?.begin();
        if (end) res.once('close', end);
        return options.slack?.(req, res);
      });
    }
    for (const route of routes) {
      const params = route.match(path);
      // Stryker disable next-line StringLiteral: a server's request always has its method; the default is never used
      if (!params || !methods(route.method).includes(req.method ?? 'GET')) continue;
      Object.assign(req, { params });
      return slots.run(req, res, () => route.handler(req, res));
    }
    return refuse(req, res, 404, 'not found');
  }

  return server;
}

/** Why a request to /slack/events is refused before its body is read, or undefined. */
function refuseUnsigned(req: IncomingMessage, bodyLimit: number): { status: number; error: string } | undefined {
  if (req.method !== 'POST') return { status: 405, error: 'method not allowed' };
  const signature = req.headers['x-slack-signature'];
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !signature.startsWith('v0=') || !Number.isFinite(timestamp)) {
    return { status: 401, error: 'unsigned' };
  }
  if (Math.abs(Date.now() / 1000 - timestamp) > MAX_AGE_S) return { status: 401, error: 'stale' };
  const length = Number(req.headers['content-length'] ?? 0);
  if (length > bodyLimit) return { status: 413, error: 'body too large' };
  return undefined;
}

type SignedBody = { ok: true; body: Buffer } | { ok: false; status: number; error: string };

/**
 * Reads a Slack request's body, at most `limit` bytes, computing its signature as the bytes arrive (HMAC-SHA256
 * of `v0:{timestamp}:{body}` under the signing secret). A body whose signature is wrong, or that passes the
 * limit, has the memory of its chunks released at once: headers that merely look signed cost an attacker's
 * bytes nothing after the answer, where waiting for the garbage collector let 100 such 1 MB posts hold 100+ MB.
 * Slack's `ssl_check` (a form with `ssl_check=1`, which Bolt answers without a signature) goes on to Bolt.
 */
async function readSigned(req: IncomingMessage, limit: number, secret: string): Promise<SignedBody> {
  const timestamp = String(req.headers['x-slack-request-timestamp']);
  const hmac = createHmac('sha256', secret).update(`v0:${timestamp}:`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      // Stryker disable next-line ArrayDeclaration,ConditionalExpression: memory only: Node copies each body chunk into memory of its own (always a sole view), and releasing it or not changes nothing a caller sees
      for (const c of [...chunks, chunk]) if (isSoleView(c)) release(c);
      return { ok: false, status: 413, error: 'body too large' };
    }
    hmac.update(chunk);
    chunks.push(chunk);
  }
  const expected = Buffer.from(`v0=${hmac.digest('hex')}`);
  const given = Buffer.from(String(req.headers['x-slack-signature']));
  const body = Buffer.concat(chunks);
  // Stryker disable next-line ConditionalExpression: memory only: every body chunk is a sole view (Node copies each), and releasing it or not changes nothing a caller sees
  for (const c of chunks) if (isSoleView(c)) release(c);
  if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, body };
  if (/^ssl_check=1(&|$)/.test(body.toString('latin1', 0, 64))) return { ok: true, body };
  if (isSoleView(body)) release(body);
  return { ok: false, status: 401, error: 'bad signature' };
}

/** Answers without reading the body, and closes the connection so the body is never read either. */
function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string): void {
  // The connection, taken now: a request whose reading stopped early (`for await` left) has no `req.socket`, and
  // once the answer is finished neither has the response.
  const socket = res.socket;
  res.setHeader('connection', 'close');
  if (status === 503) res.setHeader('retry-after', '1');
  sendJson(res, status, { ok: false, error });
  // Stryker disable next-line StringLiteral,BlockStatement: Node itself ends and destroys a `connection: close` answer's socket once written (destroySoon); this only saves those moments
  res.once('finish', () => {
    // Stryker disable next-line BooleanLiteral,ConditionalExpression: as above, Node closes the socket of a `connection: close` answer either way
    if (!req.complete) socket?.destroy();
  });
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? '/', 'http://localhost').pathname;
}

function methods(method: string | string[]): string[] {
  return Array.isArray(method) ? method : [method];
}

/** `/omicall/webhook/:secret` → a matcher returning `{ secret }`, or undefined when the path differs. */
function matcher(pattern: string): (path: string) => Record<string, string> | undefined {
  const parts = pattern.split('/');
  return (path) => {
    const given = path.split('/');
    if (given.length !== parts.length) return undefined;
    const params: Record<string, string> = {};
    for (const [i, part] of parts.entries()) {
      if (part.startsWith(':')) {
        try {
          params[part.slice(1)] = decodeURIComponent(given[i]);
        } catch {
          return undefined;
        }
      } else if (part !== given[i]) return undefined;
    }
    return params;
  };
}

/**
 * At most n requests whose bodies are being read and handled; others wait their turn (up to a limit of
 * waiters and of time, then 503, which Slack retries). A slot is held until the response is finished.
 */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(n: number) {
    this.#free = n;
  }

  async run(req: IncomingMessage, res: ServerResponse, handler: () => unknown): Promise<void> {
    if (this.#free > 0) this.#free -= 1;
    else if (this.#waiting.length >= MAX_WAITING || !(await this.#wait())) return refuse(req, res, 503, 'busy');
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free += 1;
    };
    // A caller who went away while waiting is already closed ('close' was emitted): its slot goes on at once.
    if (res.closed) return release();
    res.once('close', release);
    // Stryker disable next-line StringLiteral,CallExpression: Node emits 'close' a tick after every 'finish', so 'close' alone releases the slot a tick later
    res.once('finish', release);
    await handler();
  }

  /** True once a slot is handed over; false after SLOT_WAIT_MS. */
  #wait(): Promise<boolean> {
    return new Promise((resolve) => {
      const take = () => {
        // Stryker disable next-line CallExpression: the timer would fire to no effect: the waiter is no longer queued and its promise is settled
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(take);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(false);
      }, SLOT_WAIT_MS);
      this.#waiting.push(take);
    });
  }
}
