import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CustomRoute } from '@slack/bolt';
import { BodyTooLargeError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { CallbackScope, Results } from '../pipeline/results.ts';
import { readBody, sendJson } from './respond.ts';

export interface WebhookOptions {
  /** The provider's id: the route is `/{id}/webhook/:secret`. */
  providerId: string;
  secret: string;
  results: Pick<Results, 'receive'>;
  metrics: Metrics;
  log: Logger;
}

/** A workspace id as Slack writes it, as it may appear in a workspace's webhook URL. */
const WORKSPACE_ID = /^[TE][A-Z0-9]{2,30}$/;

/**
 * The provider's callbacks on the shared URL (the operator's key: single-workspace mode, and distribution mode's
 * default key). No signature is documented, so the URL carries a secret of the app's: a wrong one is refused (403)
 * before the body is read. The body then goes to the pipeline's results, which checks each tracking ID's own
 * signature.
 */
export function webhookRoute({ providerId, secret, results, metrics, log }: WebhookOptions): CustomRoute {
  const expected = Buffer.from(secret);
  return {
    path: `/${providerId}/webhook/:secret`,
    method: 'POST',
    handler: async (req, res) => {
      // Stryker disable next-line StringLiteral: the route's matcher always sets `secret`; the default is never used
      if (!sameSecret(String(req.params?.secret ?? ''), expected)) return refuseSecret(res, metrics, log);
      return receive(req, res, { shared: true }, results, metrics);
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
  results: Pick<Results, 'receive'>;
  metrics: Metrics;
  log: Logger;
}): CustomRoute {
  return {
    path: `/${o.providerId}/webhook/:workspace/:secret`,
    method: 'POST',
    handler: async (req, res) => {
      // Stryker disable next-line StringLiteral: the route's matcher always sets both; the defaults are never used
      const workspace = String(req.params?.workspace ?? '');
      const given = String(req.params?.secret ?? '');
      if (!WORKSPACE_ID.test(workspace) || !sameSecret(given, Buffer.from(o.secretOf(workspace))))
        return refuseSecret(res, o.metrics, o.log);
      return receive(req, res, { workspace }, o.results, o.metrics);
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
  req: IncomingMessage,
  res: ServerResponse,
  scope: CallbackScope,
  results: Pick<Results, 'receive'>,
  metrics: Metrics,
): Promise<void> {
  let body: string;
  try {
    body = await readBody(req, LIMITS.callbackBodyBytes);
  } catch (err) {
    metrics.callbacks.inc({ outcome: err instanceof BodyTooLargeError ? 'too_large' : 'unreadable' });
    res.setHeader('connection', 'close');
    sendJson(res, err instanceof BodyTooLargeError ? 413 : 400, { ok: false, error: 'unreadable body' });
    return;
  }
  const answer = await results.receive(body, scope);
  sendJson(res, answer.status, answer.body);
}
