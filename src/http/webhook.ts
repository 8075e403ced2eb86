import { timingSafeEqual } from 'node:crypto';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Results } from '../pipeline/results.ts';
import { sendJson } from './respond.ts';
import { type Route, refuse } from './server.ts';

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

/**
 * The provider's callbacks. No signature is documented, so the URL carries a secret of the app's: a wrong one
 * is refused (403) before the body is read. The body is read in the callbacks' own body slots, within
 * `bodyDeadlineMs`, then goes to the pipeline's results, which checks each tracking ID's own signature.
 */
export function webhookRoute({ providerId, secret, bodyDeadlineMs, results, metrics, log }: WebhookOptions): Route {
  const expected = Buffer.from(secret);
  return {
    path: `/${providerId}/webhook/:secret`,
    method: 'POST',
    body: { limit: LIMITS.callbackBodyBytes, deadlineMs: bodyDeadlineMs },
    handler: async ({ req, res, params, readBody }) => {
      // Stryker disable next-line StringLiteral: the route's matcher always sets `secret`; the default is never used
      const given = Buffer.from(String(params.secret ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        metrics.callbacks.inc({ outcome: 'refused_secret' });
        log.warn('webhook refused: wrong secret in the URL');
        res.setHeader('connection', 'close');
        sendJson(res, 403, { ok: false, error: 'forbidden' });
        return;
      }
      const read = await readBody();
      if (!read.ok) {
        metrics.callbacks.inc({ outcome: UNREAD[read.status] });
        if (read.status !== 400) log.warn('webhook body not read', { reason: read.error });
        return refuse(req, res, read.status, read.status === 413 ? 'unreadable body' : read.error);
      }
      const answer = await results.receive(read.body.toString('utf8'), { shared: true });
      sendJson(res, answer.status, answer.body);
    },
  };
}
