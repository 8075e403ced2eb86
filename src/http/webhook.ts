import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { CallbackScope, Results } from '../pipeline/results.ts';
import { sendJson } from './respond.ts';
import { type Route, type RouteCall, refuse } from './server.ts';

export interface WebhookOptions {
  /** The provider's id: the route is `/{id}/webhook/:secret`. */
  providerId: string;
  secret: string;
  /** A callback body must have arrived within this once its reading starts (`Timings.callbackBodyDeadlineMs`). */
  bodyDeadlineMs: number;
  results: Pick<Results, 'receive'>;
  metrics: Metrics;
  log: Logger;
}

/** The callbacks counter's outcome for a body that could not be read. */
const UNREAD = { 400: 'unreadable', 408: 'too_slow', 413: 'too_large', 503: 'busy' } as const;

/** A workspace id as Slack writes it, as it may appear in a workspace's webhook URL. */
const WORKSPACE_ID = /^[TE][A-Z0-9]{2,30}$/;

/**
 * The provider's callbacks on the shared URL (the operator's key: single-workspace mode, and distribution mode's
 * default key). No signature is documented, so the URL carries a secret of the app's: a wrong one is refused (403)
 * before the body is read. The body is read in the callbacks' own body slots, within `bodyDeadlineMs`, then goes to
 * the pipeline's results, which checks each tracking ID's own signature.
 */
export function webhookRoute({ providerId, secret, bodyDeadlineMs, results, metrics, log }: WebhookOptions): Route {
  const expected = Buffer.from(secret);
  return {
    path: `/${providerId}/webhook/:secret`,
    method: 'POST',
    body: { limit: LIMITS.callbackBodyBytes, deadlineMs: bodyDeadlineMs },
    handler: async (call) => {
      // Stryker disable next-line StringLiteral: the route's matcher always sets `secret`; the default is never used
      if (!sameSecret(String(call.params.secret ?? ''), expected)) return refuseSecret(call.res, metrics, log);
      return receive(call, { shared: true }, results, metrics, log);
    },
  };
}

/**
 * The callbacks of one workspace's own key (distribution mode): `/{id}/webhook/{workspace}/{secret of the
 * workspace}`, the URL registered with that key when an admin set it. The secret is the workspace's own (derived from
 * the webhook secret), so the URL of one workspace opens no other; and its callbacks may write only into that
 * workspace's threads (`CallbackScope`), whatever tracking IDs they bring.
 */
export function workspaceWebhookRoute(o: {
  providerId: string;
  /** The secret of a workspace's URL (src/config.ts `workspaceWebhookSecret`). */
  secretOf: (workspace: string) => string;
  bodyDeadlineMs: number;
  results: Pick<Results, 'receive'>;
  metrics: Metrics;
  log: Logger;
}): Route {
  return {
    path: `/${o.providerId}/webhook/:workspace/:secret`,
    method: 'POST',
    body: { limit: LIMITS.callbackBodyBytes, deadlineMs: o.bodyDeadlineMs },
    handler: async (call) => {
      // Stryker disable next-line StringLiteral: the route's matcher always sets both; the defaults are never used
      const workspace = String(call.params.workspace ?? '');
      const given = String(call.params.secret ?? '');
      if (!WORKSPACE_ID.test(workspace) || !sameSecret(given, Buffer.from(o.secretOf(workspace))))
        return refuseSecret(call.res, o.metrics, o.log);
      return receive(call, { workspace }, o.results, o.metrics, o.log);
    },
  };
}

function sameSecret(given: string, expected: Buffer): boolean {
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

function refuseSecret(res: ServerResponse, metrics: Metrics, log: Logger): void {
  metrics.callbacks.inc({ outcome: 'refused_secret' });
  log.warn('webhook refused: wrong secret in the URL');
  res.setHeader('connection', 'close');
  sendJson(res, 403, { ok: false, error: 'forbidden' });
}

async function receive(
  { req, res, readBody }: RouteCall,
  scope: CallbackScope,
  results: Pick<Results, 'receive'>,
  metrics: Metrics,
  log: Logger,
): Promise<void> {
  const read = await readBody();
  if (!read.ok) {
    metrics.callbacks.inc({ outcome: UNREAD[read.status] });
    if (read.status !== 400) log.warn('webhook body not read', { reason: read.error });
    return refuse(req, res, read.status, read.status === 413 ? 'unreadable body' : read.error);
  }
  const answer = await results.receive(read.body.toString('utf8'), scope);
  sendJson(res, answer.status, answer.body);
}
