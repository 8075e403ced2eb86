import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { InstallURLOptions, StateStore } from '@slack/bolt';
import { OAuthStateError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { processKeys } from '../store/keys.ts';

const NONCE_BYTES = 18;
const SIGNATURE_CHARS = 32;

/**
 * The OAuth `state` of "Add to Slack" (Bolt's `StateStore`): `{nonce}.{expiry}.{signature}`, signed with
 * SLACK_STATE_SECRET, so that issuing one stores nothing (anyone may load the install page). It is good for
 * `lifetimeMs` and once: the redirect that uses it claims its nonce in the store, on every instance, so a state that
 * comes back a second time (a replayed redirect) is refused. Bolt's InstallProvider also checks that the browser
 * bringing it is the one it was given to (its cookie).
 */
export class OAuthStates implements StateStore {
  readonly #secret: string;
  readonly #store: Store;
  readonly #lifetimeMs: number;
  readonly #options: () => InstallURLOptions;

  /** `options`: what the install URL asked for (scopes, redirect URL), handed back once the state is verified. */
  constructor(o: { secret: string; store: Store; lifetimeMs: number; options: () => InstallURLOptions }) {
    this.#secret = o.secret;
    this.#store = o.store;
    this.#lifetimeMs = o.lifetimeMs;
    this.#options = o.options;
  }

  generateStateParam = async (_options: InstallURLOptions, now: Date): Promise<string> => {
    const body = `${randomBytes(NONCE_BYTES).toString('base64url')}.${(now.getTime() + this.#lifetimeMs).toString(36)}`;
    return `${body}.${this.#sign(body)}`;
  };

  verifyStateParam = async (now: Date, state: string): Promise<InstallURLOptions> => {
    const m = /^([A-Za-z0-9_-]{24})\.([0-9a-z]{1,12})\.([A-Za-z0-9_-]+)$/.exec(String(state));
    if (!m) throw new OAuthStateError('forged');
    const [, nonce, expiry, signature] = m;
    const expected = Buffer.from(this.#sign(`${nonce}.${expiry}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new OAuthStateError('forged');
    const left = Number.parseInt(expiry, 36) - now.getTime();
    if (!(left > 0)) throw new OAuthStateError('expired');
    if (!(await this.#store.claim(processKeys.oauthState(nonce), String(now.getTime()), left)))
      throw new OAuthStateError('reused');
    return this.#options();
  };

  #sign(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url').slice(0, SIGNATURE_CHARS);
  }
}
