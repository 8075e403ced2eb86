import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;

/** What opening a sealed value gave: the text, and whether it was sealed with the previous key (seal it again). */
export type Opened = { ok: true; plain: string; stale: boolean } | { ok: false; why: 'unknown-key' | 'tampered' };

/**
 * Secrets at rest (bot tokens, workspaces' provider keys): AES-256-GCM under ENCRYPTION_KEY, each value with a fresh
 * 96-bit IV, authenticated together with the key it is stored under (`context`), so that a sealed value copied under
 * another workspace's key does not open. A sealed value names the key that sealed it by a short id (a digest, which
 * says nothing of the key): while rotating, values sealed with ENCRYPTION_KEY_PREVIOUS still open, and are sealed
 * again with the current key (docs/setup-distribution.md, "Rotating ENCRYPTION_KEY").
 *
 * Form: `v1.{key id}.{iv}.{tag}.{ciphertext}`, base64url parts.
 */
export class Cipher {
  readonly #current: { id: string; key: Buffer };
  readonly #previous?: { id: string; key: Buffer };

  constructor(current: Buffer, previous?: Buffer) {
    this.#current = { id: keyId(current), key: current };
    if (previous) this.#previous = { id: keyId(previous), key: previous };
  }

  /** The id the current key puts on what it seals. */
  get keyId(): string {
    return this.#current.id;
  }

  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const parts = [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url'));
    return [VERSION, this.#current.id, ...parts].join('.');
  }

  open(sealed: string, context: string): Opened {
    const [version, id, iv, tag, body, ...rest] = sealed.split('.');
    if (version !== VERSION || rest.length > 0 || !iv || !tag || body === undefined)
      return { ok: false, why: 'tampered' };
    const key = id === this.#current.id ? this.#current : id === this.#previous?.id ? this.#previous : undefined;
    if (!key) return { ok: false, why: 'unknown-key' };
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      return { ok: true, plain, stale: key !== this.#current };
    } catch {
      return { ok: false, why: 'tampered' };
    }
  }
}

function keyId(key: Buffer): string {
  return createHash('sha256').update('transcriber-key-id:').update(key).digest('base64url').slice(0, 8);
}
