import { AsyncLocalStorage } from 'node:async_hooks';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { isSoleView, release } from '../buffers.ts';
import { describeError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import { type BodyRead, type BodyRefusal, readBody } from './body.ts';
import { sendJson } from './respond.ts';
import { BodySlots, clientAddress } from './slots.ts';
import { parseTarget } from './target.ts';

/** One route of the server other than Slack's: `/healthz`, `/metrics`, the provider's webhook. */
export interface Route {
  /** `/healthz`, or with parameters: `/omicall/webhook/:secret`. */
  path: string;
  method: 'GET' | 'POST';
  /**
   * What its body may be. A route without one never reads a body, and so never waits for a body slot; one with it
   * reads its body in the callbacks' pool, when its handler asks (`call.readBody()`), after its own checks.
   */
  body?: { limit: number; deadlineMs: number };
  handler(call: RouteCall): Promise<void> | void;
}

export interface RouteCall {
  req: IncomingMessage;
  res: ServerResponse;
  /** The path's parameters, percent-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Reads the body in the route's pool, within its limits: the bytes, or the refusal to answer with. */
  readBody(): Promise<BodyRead>;
}

export interface ServerOptions {
  /** Bolt's request listener for `POST /slack/events`; absent on a worker (ROLE=worker). */
  slack?: RequestListener;
  routes: Route[];
  /** Largest Slack request body read (Slack's own are a few KB; Bolt's default of 4 MB is far more). */
  slackBodyLimit: number;
  /** Slack's bodies are checked against it as they are read; Bolt checks them again. */
  slackSigningSecret: string;
  /** A Slack body must have arrived within this once its reading starts (`Timings.slackBodyDeadlineMs`). */
  slackBodyDeadlineMs: number;
  /** Proxies in front of the app that append to X-Forwarded-For (PROXY_HOPS): who the caller is, for its slots. */
  proxyHops: number;
  /** Told of each Slack request whose signature was checked, while it is handled: returns what to call once answered. */
  foreground?: { begin(): () => void };
  log: Logger;
}

export type HttpServer = Server & { stopping: boolean };

const SLACK_PATH = '/slack/events';
/** Slack signs with the request's time; Bolt refuses requests older than 5 minutes, and so does this. */
const MAX_AGE_S = 5 * 60;

interface InFlight {
  req: IncomingMessage;
  res: ServerResponse;
}

/** The request each piece of code runs for: every request is handled in an async context of its own. */
const inFlight = new AsyncLocalStorage<InFlight>();

/**
 * Fails the request the current code runs for (an error nothing caught, reported to the process): answers it 500, or
 * cuts its connection when its answer had begun, or leaves it be when it was answered. Returns its path, or undefined
 * when the code runs for no request. Work a request started after its answer runs in its context too.
 */
export function failCurrentRequest(): string | undefined {
  const current = inFlight.getStore();
  if (!current) return undefined;
  answerFailure(current.res);
  return shownPath(current.req);
}

/**
 * The one HTTP server: Slack's requests (handed to Bolt), the provider's callbacks, /healthz and /metrics.
 *
 * Every caller is unauthenticated until proven otherwise, and cheap to refuse:
 * - a request target that is none (`GET //[`) is a 400, never an exception;
 * - a request to /slack/events without Slack's signature headers, with a stale timestamp, or announcing a body over
 *   the limit, is answered before a byte of its body is read;
 * - bodies are read in pools of body slots, Slack's apart from the callbacks', each counted per client address too,
 *   and each body must arrive within its route's deadline (a few seconds for Slack's few KB, longer for a callback),
 *   past which it is answered 408 and its connection closed; /healthz and /metrics read no body and never wait;
 * - Node's own deadlines for headers and whole requests are set, and checked every second.
 * Each request runs in its own async context, so an error nothing caught fails that request and no other.
 */
export function createHttpServer(options: ServerOptions): HttpServer {
  const slackSlots = new BodySlots(pool(LIMITS.slackBodySlots));
  const callbackSlots = new BodySlots(pool(LIMITS.callbackBodySlots));
  const routes = options.routes.map((r) => ({ ...r, match: matcher(r.path) }));
  const server = createServer(
    {
      headersTimeout: LIMITS.headersTimeoutMs,
      requestTimeout: LIMITS.requestTimeoutMs,
      connectionsCheckingInterval: LIMITS.connectionsCheckMs,
    },
    (req, res) => {
      inFlight.run({ req, res }, () => {
        handle(req, res).catch((err: unknown) => fail(req, res, err));
      });
    },
  ) as HttpServer;
  server.stopping = false;

  function fail(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    try {
      options.log.error('request failed', { path: shownPath(req), error: describeError(err) });
    } catch {
      // A log line that cannot be written must not fail the server too.
    }
    answerFailure(res);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = parseTarget(req.url);
    if (!parsed.ok) return refuse(req, res, parsed.status, 'bad request target');
    const { path, search, query } = parsed.target;
    // Bolt reads the target again: it gets the origin form only, which it cannot fail to parse.
    req.url = `${path}${search}`;
    const address = clientAddress(req, options.proxyHops);
    if (path === SLACK_PATH && options.slack) {
      const refusal = refuseUnsigned(req, options.slackBodyLimit);
      if (refusal) return refuse(req, res, refusal.status, refusal.error);
      if (server.stopping) return refuse(req, res, 503, 'stopping');
      const read = await inPool(slackSlots, address, req, res, () =>
        readSigned(req, options.slackBodyLimit, options.slackBodyDeadlineMs, options.slackSigningSecret),
      );
      if (!read.ok) return refuse(req, res, read.status, read.error);
      // Bolt takes a request whose body is already read as it is (its `rawBody`).
      Object.assign(req, { rawBody: read.body });
      // Only a request proven to be Slack's puts the pipeline's background work behind it (src/pipeline/foreground.ts).
      if (read.signed) {
        const end = options.foreground?.begin();
        if (end) res.once('close', end);
      }
      return options.slack(req, res);
    }
    for (const route of routes) {
      const params = route.match(path);
      if (!params || route.method !== req.method) continue;
      const body = route.body;
      // A route that reads no body closes a connection whose request announced one, rather than wait for it.
      if (!body && announcesBody(req)) res.setHeader('connection', 'close');
      const readRouteBody = (): Promise<BodyRead> =>
        body
          ? inPool(callbackSlots, address, req, res, () => readBody(req, body))
          : Promise.resolve({ ok: false, status: 413, error: 'body too large' });
      return route.handler({ req, res, params, query, readBody: readRouteBody });
    }
    return refuse(req, res, 404, 'not found');
  }

  return server;
}

function pool(slots: number) {
  return {
    slots,
    perAddress: LIMITS.bodySlotsPerAddress,
    keptFree: Math.floor(slots * LIMITS.bodySlotsKeptFree),
    waitMs: LIMITS.bodySlotWaitMs,
    waiting: LIMITS.bodyWaitersPerPool,
    waitingPerAddress: LIMITS.bodyWaitersPerAddress,
  };
}

/** Runs a body read in a slot of the pool, given back as soon as the read ends; 503 busy when none is free in time. */
async function inPool<T extends { ok: boolean }>(
  slots: BodySlots,
  address: string,
  req: IncomingMessage,
  res: ServerResponse,
  read: () => Promise<T>,
): Promise<T | BodyRefusal> {
  const give = await slots.take(address, res);
  if (!give) return { ok: false, status: 503, error: 'busy' };
  res.once('close', give);
  try {
    // A caller who went away while waiting is already closed: its slot goes on at once.
    if (res.closed || req.destroyed) return { ok: false, status: 400, error: 'unreadable body' };
    return await read();
  } finally {
    give();
  }
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

type SignedBody = { ok: true; body: Buffer; signed: boolean } | BodyRefusal | { ok: false; status: 401; error: string };

/**
 * Reads a Slack request's body, at most `limit` bytes within `deadlineMs`, computing its signature
 * as the bytes arrive (HMAC-SHA256 of `v0:{timestamp}:{body}` under the signing secret). A body whose signature is
 * wrong has the memory of its chunks released at once: headers that merely look signed cost an attacker's bytes
 * nothing after the answer. Slack's `ssl_check` (a form with `ssl_check=1`, which Bolt answers without a signature)
 * goes on to Bolt, as unsigned (`signed: false`).
 */
async function readSigned(
  req: IncomingMessage,
  limit: number,
  deadlineMs: number,
  secret: string,
): Promise<SignedBody> {
  const timestamp = String(req.headers['x-slack-request-timestamp']);
  const hmac = createHmac('sha256', secret).update(`v0:${timestamp}:`);
  const read = await readBody(req, {
    limit,
    deadlineMs,
    onChunk: (chunk) => hmac.update(chunk),
  });
  if (!read.ok) return read;
  const { body } = read;
  const expected = Buffer.from(`v0=${hmac.digest('hex')}`);
  const given = Buffer.from(String(req.headers['x-slack-signature']));
  if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true, body, signed: true };
  if (/^ssl_check=1(&|$)/.test(body.toString('latin1', 0, 64))) return { ok: true, body, signed: false };
  if (isSoleView(body)) release(body);
  return { ok: false, status: 401, error: 'bad signature' };
}

function announcesBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/** Answers without reading the body, and closes the connection so the body is never read either. */
export function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string): void {
  // The connection, taken now: a request whose reading stopped early has no `req.socket`, and once the answer is
  // finished neither has the response.
  const socket = res.socket;
  if (res.destroyed) return;
  if (res.headersSent) {
    socket?.destroy();
    return;
  }
  res.setHeader('connection', 'close');
  if (status === 503) res.setHeader('retry-after', '1');
  sendJson(res, status, { ok: false, error });
  // Stryker disable next-line StringLiteral,BlockStatement: Node itself ends and destroys a `connection: close` answer's socket once written (destroySoon); this only saves those moments
  res.once('finish', () => {
    // Stryker disable next-line BooleanLiteral,ConditionalExpression: as above, Node closes the socket of a `connection: close` answer either way
    if (!req.complete) socket?.destroy();
  });
}

/**
 * 500 for a request that failed before its answer began; a cut connection for one whose answer had begun; nothing
 * for one already answered (its connection may be serving the next request).
 */
function answerFailure(res: ServerResponse): void {
  try {
    if (res.writableFinished || res.destroyed) return;
    if (res.headersSent) res.destroy();
    else refuse(res.req, res, 500, 'internal error');
  } catch {
    res.destroy();
  }
}

/** The request's target for a log line, as sent and cut short; never throws (the logger scrubs secrets from it). */
function shownPath(req: IncomingMessage): string {
  const target = req.url;
  return typeof target === 'string' ? target.slice(0, 200) : '';
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
