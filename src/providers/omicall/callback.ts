import type { Delivery, ParsedCallback } from '../index.ts';
import { parseWordAlignment } from './words.ts';

/**
 * Reads OMICall's webhook body. OMICall documents neither batching nor types precisely, so this accepts one
 * object or an array, `from`/`to` as numbers or numeric strings (seconds), and any `word_alignment`.
 * Objects that are not speech-to-text segments (Voice Insights results share the URL) count as ignored.
 */
export function parseCallback(body: string): ParsedCallback {
  if (body.trim() === '') return { ok: false, reason: 'empty body' };
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const items: unknown[] = Array.isArray(json) ? json : [json];
  const deliveries: Delivery[] = [];
  let ignored = 0;
  for (const item of items) {
    const delivery = toDelivery(item);
    if (delivery) deliveries.push(delivery);
    else ignored += 1;
  }
  return { ok: true, deliveries, ignored };
}

function toDelivery(item: unknown): Delivery | undefined {
  // Object() gives null no fields, and a number or a string none of these: such an item is ignored below.
  const { tracking_id, text, from, to, word_alignment } = Object(item) as Record<string, unknown>;
  if (typeof tracking_id !== 'string' || typeof text !== 'string') return undefined;
  const start = seconds(from);
  if (start === undefined) return undefined;
  const end = seconds(to);
  const words = parseWordAlignment(word_alignment);
  return {
    trackingId: tracking_id,
    segment: {
      from: start,
      to: Math.max(start, end ?? start),
      text: text.trim(),
      ...(words ? { words } : {}),
    },
  };
}

/** A time in seconds from a number or a numeric string; undefined for anything else. */
export function seconds(value: unknown): number | undefined {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
