import { timingSafeEqual } from 'node:crypto';
import type { CustomRoute } from '@slack/bolt';
import { BodyTooLargeError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Results } from '../pipeline/results.ts';
import { readBody, sendJson } from './respond.ts';

export interface WebhookOptions {
  /** The provider's id: the route is `/{id}/webhook/:secret`. */
  providerId: string;
  secret: string;
  results: Pick<Results, 'receive'>;
  metrics: Metrics;
  log: Logger;
}

/**
 * The provider's callbacks. No signature is documented, so the URL carries a secret of the app's: a wrong one
 * is refused (403) before the body is read. The body then goes to the pipeline's results, which checks each
 * tracking ID's own signature.
 */
export function webhookRoute({ providerId, secret, results, metrics, log }: WebhookOptions): CustomRoute {
  const expected = Buffer.from(secret);
  return {
    path: `/${providerId}/webhook/:secret`,
    method: 'POST',
    handler: async (req, res) => {
      // Stryker disable next-line StringLiteral: the route's matcher always sets `secret`; the default is never used
      const given = Buffer.from(String(req.params?.secret ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        metrics.callbacks.inc({ outcome: 'refused_secret' });
        log.warn('webhook refused: wrong secret in the URL');
        res.setHeader('connection', 'close');
        sendJson(res, 403, { ok: false, error: 'forbidden' });
        return;
      }
      let body: string;
      try {
        body = await readBody(req, LIMITS.callbackBodyBytes);
      } catch (err) {
        metrics.callbacks.inc({ outcome: err instanceof BodyTooLargeError ? 'too_large' : 'unreadable' });
        res.setHeader('connection', 'close');
        sendJson(res, err instanceof BodyTooLargeError ? 413 : 400, { ok: false, error: 'unreadable body' });
        return;
      }
      const answer = await results.receive(body, { shared: true });
      sendJson(res, answer.status, answer.body);
    },
  };
}
