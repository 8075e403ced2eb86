import { createHmac } from 'node:crypto';
import { deriveSecret } from '../config.ts';
import type { Store } from '../store/index.ts';
import { sendJson } from './respond.ts';
import type { Route } from './server.ts';

/** Purpose string of the key that answers `/healthz?proof=`, derived from the signing secret. */
const HEALTH_PROOF_PURPOSE = 'healthz-proof';

/** The nonces the proof answers: 16 to 128 letters, digits, "-" or "_" (what `randomBytes().toString('base64url')` makes). */
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;

/** The key of the proof: only an app configured with this signing secret has it. */
export function healthProofKey(signingSecret: string): string {
  return deriveSecret(signingSecret, HEALTH_PROOF_PURPOSE);
}

/**
 * The proof for a nonce: HMAC-SHA256 under the proof key. `npm run doctor` sends a fresh nonce to
 * `{PUBLIC_URL}/healthz?proof=<nonce>` and compares, which shows that PUBLIC_URL reaches an app holding this
 * configuration's signing secret, not merely something that answers. The key is used for nothing else, and an
 * HMAC reveals neither its key nor the secret the key was derived from.
 */
export function healthProof(key: string, nonce: string): string {
  return createHmac('sha256', key).update(`healthz-proof:${nonce}`).digest('base64url');
}

/** How long the store has to answer the ping; a store that hangs is as bad as one that is gone. */
export const PING_TIMEOUT_MS = 2000;

/**
 * 200 while the app can serve (its store answers within PING_TIMEOUT_MS), 503 otherwise. Says nothing secret. With
 * `?proof=<nonce>`, the answer also carries `proof` (see `healthProof`), and nothing more: no version, no
 * configuration.
 *
 * A stopping app is never reported healthy because it is never asked: `stop()` closes the listener before it
 * drains, so a probe (and Slack, whose retries then reach another instance) is refused at once. An earlier
 * "503 while stopping" answer here could not be reached over HTTP and was removed.
 */
export function healthRoute(store: Store, proofKey: string): Route {
  return {
    path: '/healthz',
    method: 'GET',
    handler: async ({ res, query }) => {
      const nonce = query.get('proof');
      if (nonce !== null && !NONCE.test(nonce)) {
        return sendJson(res, 400, { ok: false, error: 'proof must be 16 to 128 letters, digits, "-" or "_"' });
      }
      const proof = nonce === null ? {} : { proof: healthProof(proofKey, nonce) };
      try {
        await Promise.race([
          store.ping(),
          // Stryker disable next-line StringLiteral: the error is caught and dropped; its message is never seen
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS).unref()),
        ]);
        sendJson(res, 200, { ok: true, store: 'ok', ...proof });
      } catch {
        sendJson(res, 503, { ok: false, store: 'unreachable', ...proof });
      }
    },
  };
}
