import type { ProviderResult } from '../index.ts';

/**
 * Reads an answer in OMICall's envelope (`status_code` 9999 or -9999, often with HTTP 200).
 * 5xx, 408 and 429 are retryable; other 4xx and -9999 are not. A 2xx answer without an envelope counts as success,
 * since the speech_to_text page documents only "200 OK".
 */
export function readEnvelope(status: number, body: string): ProviderResult {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // Not JSON (an HTML error page, an empty body): no envelope.
  }
  const envelope = fields(json);
  const named = fields(envelope.payload);
  const error = typeof named.error === 'string' ? named.error : undefined;
  const message = typeof named.message === 'string' ? named.message : undefined;

  // 408 and 429 are passing conditions too: worth another try later.
  if (status >= 500 || status === 408 || status === 429) {
    return { ok: false, error: error ?? `http_${status}`, message, retryable: true };
  }
  if (status >= 300) return { ok: false, error: error ?? `http_${status}`, message, retryable: false };
  if (Number(envelope.status_code) === -9999) {
    return { ok: false, error: error ?? 'unknown_error', message, retryable: false };
  }
  return { ok: true };
}

/** A value's fields: an object's own, none for null or nothing (a string or number has none of OMICall's). */
function fields(value: unknown): Record<string, unknown> {
  return Object(value) as Record<string, unknown>;
}
