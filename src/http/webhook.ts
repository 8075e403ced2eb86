import { timingSafeEqual } from 'node:crypto';
import type { CustomRoute } from '@slack/bolt';
import { BodyTooLargeError, errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ReplyWriter } from '../pipeline/thread.ts';
import { addSegment } from '../records/jobs.ts';
import { parseCallback } from '../records/segments.ts';
import { verifyTrackingId } from '../records/tracking-id.ts';
import type { Store } from '../store/index.ts';
import { readBody, sendJson } from './respond.ts';

export const WEBHOOK_PATH = '/omicall/webhook/:secret';
const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface WebhookOptions {
  secret: string;
  trackingKey: string;
  store: Store;
  replies: ReplyWriter;
  log: Logger;
}

/**
 * OMICall's callbacks. The URL's secret and the signed tracking_id are the only proof a callback is
 * OMICall's answer to this app. Segments are stored before the answer, so a 2xx never loses one;
 * the thread reply follows a moment later, coalesced.
 */
export function webhookRoute({ secret, trackingKey, store, replies, log }: WebhookOptions): CustomRoute {
  const expected = Buffer.from(secret);
  return {
    path: WEBHOOK_PATH,
    method: 'POST',
    handler: async (req, res) => {
      const given = Buffer.from(String(req.params?.secret ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        log.warn('webhook refused: wrong secret in the URL');
        return sendJson(res, 403, { ok: false, error: 'forbidden' });
      }
      let body: string;
      try {
        body = await readBody(req, MAX_BODY_BYTES);
      } catch (err) {
        return sendJson(res, err instanceof BodyTooLargeError ? 413 : 400, { ok: false, error: 'unreadable body' });
      }
      const parsed = parseCallback(body);
      if (!parsed.ok) {
        log.warn('webhook refused: malformed body', { reason: parsed.reason });
        return sendJson(res, 400, { ok: false, error: parsed.reason });
      }
      const accepted = parsed.segments.flatMap((s) => {
        const ref = verifyTrackingId(s.trackingId, trackingKey);
        return ref ? [{ ref, segment: s }] : [];
      });
      const unknown = parsed.segments.length - accepted.length;
      if (unknown > 0) log.warn('webhook: tracking_id not issued by this app', { count: unknown });
      if (accepted.length === 0 && unknown > 0) return sendJson(res, 403, { ok: false, error: 'unknown tracking_id' });
      try {
        for (const { ref, segment } of accepted) {
          const { trackingId, from, to, text } = segment;
          const added = await addSegment(store, trackingId, { from, to, text });
          log.info(added ? 'segment' : 'segment repeated', { trackingId, from, to, chars: text.length });
          if (added) replies.refresh(trackingId, ref);
        }
      } catch (err) {
        log.error('webhook: store unavailable', { error: errorMessage(err) });
        return sendJson(res, 503, { ok: false, error: 'try again' });
      }
      sendJson(res, 200, { ok: true, accepted: accepted.length, ignored: parsed.ignored });
    },
  };
}
