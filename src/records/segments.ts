/** A word of a segment with its own times, when the provider sends them. */
export interface Word {
  text: string;
  from: number;
  to: number;
}

/** One piece of recognised speech. Times in seconds from the start of the audio. */
export interface Segment {
  from: number;
  to: number;
  text: string;
  words?: Word[];
}

/** The identity of a segment: the same (from, to) delivered twice is one segment. */
export function segmentKey(s: Pick<Segment, 'from' | 'to'>): string {
  return `${s.from}|${s.to}`;
}

/** Spoken order. */
export function inSpokenOrder(segments: Iterable<Segment>): Segment[] {
  return [...segments].sort((a, b) => a.from - b.from || a.to - b.to);
}
