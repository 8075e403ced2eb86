import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';

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

/** The characters a segment costs against the caps: its text and every timed word. */
export function segmentCharacters(s: Segment): number {
  // Each timed word counts one character more than its text: the space a reader sees between words.
  return s.text.length + (s.words ?? []).reduce((n, w) => n + w.text.length + 1, 0);
}

/** An attempt's segments, each stored once, written by whichever instance receives them. */
export class Segments {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Adds a segment unless the same one is there; the number of segments after. */
  add(workspace: string, trackingId: string, segment: Segment, ttlMs: number) {
    return this.#store.addField(workspaceKeys(workspace).segments(trackingId), segmentKey(segment), segment, ttlMs);
  }

  async remove(workspace: string, trackingId: string, segment: Segment): Promise<void> {
    await this.#store.update(workspaceKeys(workspace).segments(trackingId), { [segmentKey(segment)]: null });
  }

  async load(workspace: string, trackingId: string): Promise<Segment[]> {
    const all = await this.#store.record<Record<string, Segment>>(workspaceKeys(workspace).segments(trackingId));
    return Object.values(all ?? {}).filter((s): s is Segment => s !== undefined);
  }

  /** Adds n to the characters an attempt holds; the total after. */
  count(workspace: string, trackingId: string, n: number, ttlMs: number): Promise<number> {
    return this.#store.increment(workspaceKeys(workspace).characters(trackingId), n, ttlMs);
  }
}
