/** One piece of recognised speech, as OMICall's webhook delivers it. */
export interface Segment {
  /** Start, in seconds. */
  from: number;
  /** End, in seconds. */
  to: number;
  text: string;
}

export interface SegmentDelivery extends Segment {
  trackingId: string;
}

export type ParsedCallback = { ok: true; segments: SegmentDelivery[]; ignored: number } | { ok: false; reason: string };

/**
 * Parses a webhook body. OMICall documents neither batching nor types precisely, so this accepts one
 * object or an array, `from`/`to` as numbers or numeric strings, and any `word_alignment` (unused).
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
  const items = Array.isArray(json) ? json : [json];
  const segments: SegmentDelivery[] = [];
  let ignored = 0;
  for (const item of items) {
    const segment = toSegment(item);
    if (segment) segments.push(segment);
    else ignored += 1;
  }
  return { ok: true, segments, ignored };
}

function toSegment(item: unknown): SegmentDelivery | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const { tracking_id, text, from, to } = item as Record<string, unknown>;
  if (typeof tracking_id !== 'string' || typeof text !== 'string') return undefined;
  const start = seconds(from);
  if (start === undefined) return undefined;
  return { trackingId: tracking_id, from: start, to: seconds(to) ?? start, text: text.trim() };
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The identity of a segment: the same (from, to) delivered twice is one segment. */
export function segmentKey(s: Pick<Segment, 'from' | 'to'>): string {
  return `${s.from}|${s.to}`;
}

/** Spoken order. */
export function inSpokenOrder(segments: Iterable<Segment>): Segment[] {
  return [...segments].sort((a, b) => a.from - b.from || a.to - b.to);
}
