import type { TimedWord } from '../../outputs/index.ts';

/** At most this many words are kept from one segment (a few hours of speech would not reach it). */
export const MAX_WORDS = 5000;
/** Items looked at, understood or not, before giving up on the rest. */
const MAX_ITEMS = 20_000;
/** A JSON string longer than this is not parsed. */
const MAX_JSON_CHARS = 2_000_000;

const WORD_KEYS = ['word', 'text', 'w'] as const;
const FROM_KEYS = ['from', 'start', 's'] as const;
const TO_KEYS = ['to', 'end', 'e'] as const;

/**
 * The timed words of OMICall's `word_alignment`, or undefined when there are none to be had.
 *
 * OMICall documents the field only as "array of the words, cut by time", of type String, so this accepts an
 * array or a JSON-encoded string of one; each item an object with its word under `word`, `text` or `w`, and
 * its start and end in seconds (numbers or numeric strings) under `from`/`start`/`s` and `to`/`end`/`e`.
 * Items it does not understand are skipped, at most `MAX_WORDS` words are kept, and it never throws.
 */
export function parseWordAlignment(value: unknown): TimedWord[] | undefined {
  const items = asArray(value);
  if (!items) return undefined;
  const words: TimedWord[] = [];
  const end = Math.min(items.length, MAX_ITEMS);
  for (let i = 0; i < end && words.length < MAX_WORDS; i += 1) {
    const word = toWord(items[i]);
    if (word) words.push(word);
  }
  return words.length > 0 ? words : undefined;
}

function asArray(value: unknown): readonly unknown[] | undefined {
  let current = value;
  // A string may hold the array, or (encoded once more on the way) a string that holds it.
  for (let depth = 0; depth < 2 && typeof current === 'string'; depth += 1) {
    const text = current.trim();
    if (text === '' || text.length > MAX_JSON_CHARS) return undefined;
    try {
      current = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return Array.isArray(current) ? current : undefined;
}

function toWord(item: unknown): TimedWord | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const fields = item as Record<string, unknown>;
  const text = firstOf(fields, WORD_KEYS, wordText);
  const from = firstOf(fields, FROM_KEYS, seconds);
  const to = firstOf(fields, TO_KEYS, seconds);
  if (text === undefined || from === undefined || to === undefined || to < from) return undefined;
  return { text, from, to };
}

/** The first of the keys whose value `read` understands. */
function firstOf<T>(fields: Record<string, unknown>, keys: readonly string[], read: (v: unknown) => T | undefined) {
  for (const key of keys) {
    if (!Object.hasOwn(fields, key)) continue;
    const value = read(fields[key]);
    if (value !== undefined) return value;
  }
  return undefined;
}

function wordText(value: unknown): string | undefined {
  const text =
    typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  const trimmed = text?.replace(/\s+/gu, ' ').trim();
  return trimmed ? trimmed : undefined;
}

function seconds(value: unknown): number | undefined {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
