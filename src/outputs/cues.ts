import type { TimedText, TimedWord } from './index.ts';

/**
 * Subtitle cues from transcript segments, for SRT and WebVTT.
 *
 * Readers need time to read: a cue stays within about 7 seconds and 84 characters, two lines of at most 42
 * (the usual broadcast subtitle limits). OMICall's segments are often longer, so long ones are split at word
 * boundaries, with each piece timed by its words.
 */
export const CUE_LIMITS = {
  /** A longer segment is split. */
  maxSeconds: 7,
  /** A segment with more characters is split (two lines of `lineChars`). */
  maxChars: 84,
  /** Characters in one line of a cue; a line never has more. */
  lineChars: 42,
  /** Lines in one cue. */
  maxLines: 2,
} as const;

/** A segment that says when it ends is shown that long; one that does not, as long as it takes to read. */
const READING_CHARS_PER_SECOND = 15;

/** One subtitle: shown from `fromMs` until `toMs` (milliseconds from the start), one or two lines. */
export interface Cue {
  fromMs: number;
  toMs: number;
  lines: string[];
}

/**
 * The cues of a transcript, in spoken order. Empty segments are dropped; long ones are split. Every cue
 * starts after the one before it and ends no later than the next one starts (overlapping segments are
 * clamped), every cue ends after it starts, and no line is longer than `CUE_LIMITS.lineChars`.
 */
export function toCues(segments: readonly TimedText[]): Cue[] {
  const pieces: TimedWord[][] = [];
  for (const segment of inSpokenOrder(segments)) pieces.push(...splitSegment(segment));
  return settle(pieces);
}

/** Whitespace collapsed to single spaces, trimmed, NFC (so that a letter with its accents is one character). */
export function cleanText(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/** Length in characters as a reader counts them (code points, not UTF-16 units). */
function charCount(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/**
 * A cue time: `01:02:03,456` for SRT (`separator` ","), `01:02:03.456` for WebVTT ("."). Hours take as
 * many digits as they need, at least two.
 */
export function timestamp(ms: number, separator: ',' | '.'): string {
  const total = Math.max(0, Math.round(ms));
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = Math.floor((total % 60_000) / 1000);
  const rest = total % 1000;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${separator}${pad(rest, 3)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

interface CleanSegment {
  from: number;
  to: number;
  /** Whether the segment said when it ends (else `to` is an estimate). */
  hasEnd: boolean;
  text: string;
  words?: readonly TimedWord[];
}

/** Segments with text, valid times, sorted by start (ties keep their order). */
function inSpokenOrder(segments: readonly TimedText[]): CleanSegment[] {
  const clean: CleanSegment[] = [];
  for (const s of segments) {
    const text = cleanText(s.text);
    if (text === '' || !Number.isFinite(s.from)) continue;
    const from = Math.max(0, s.from);
    // A segment without an end (OMICall's `to` missing gives to = from) is shown as long as it takes to read.
    const hasEnd = Number.isFinite(s.to) && s.to > from;
    const to = hasEnd ? s.to : from + Math.max(1, charCount(text) / READING_CHARS_PER_SECOND);
    clean.push({ from, to, hasEnd, text, words: s.words });
  }
  return clean.sort((a, b) => a.from - b.from);
}

/** Every piece costs this much, whatever its size, so that the split with the fewest pieces always wins. */
const PIECE_COST = 1e9;
/** A second weighs like this many characters when pieces are balanced (84 characters in 7 s). */
const CHARS_PER_SECOND = CUE_LIMITS.maxChars / CUE_LIMITS.maxSeconds;
/** How much a piece ending a sentence, or a clause, is preferred (in squared characters). */
const SENTENCE_END_BONUS = (CUE_LIMITS.maxChars * CUE_LIMITS.maxChars) / 2;
const CLAUSE_END_BONUS = SENTENCE_END_BONUS / 2;

/**
 * The pieces (runs of timed words) a segment is shown in: itself when it fits in one cue, else the split
 * with the fewest pieces that each fit (two lines of `lineChars`, at most `maxSeconds`), of those the most
 * even one, preferring breaks after a sentence or a comma. Dynamic programming over the words; a piece is
 * never more than a few dozen words, so this stays linear in the segment's length.
 */
function splitSegment(segment: CleanSegment): TimedWord[][] {
  const tokens = timedTokens(segment);
  const n = tokens.length;
  if (n === 0) return [];
  const prefix = [0];
  for (const t of tokens) prefix.push((prefix[prefix.length - 1] ?? 0) + charCount(t.text));
  /** Characters of tokens [j, i) joined by spaces. */
  const chars = (j: number, i: number) => (prefix[i] ?? 0) - (prefix[j] ?? 0) + (i - j - 1);
  const seconds = (j: number, i: number) => (tokens[i - 1]?.to ?? 0) - (tokens[j]?.from ?? 0);
  const fitsLines = (j: number, i: number): boolean => {
    if (chars(j, i) <= CUE_LIMITS.lineChars) return true;
    let k = j + 1;
    while (k < i && chars(j, k + 1) <= CUE_LIMITS.lineChars) k += 1;
    return chars(j, k) <= CUE_LIMITS.lineChars && chars(k, i) <= CUE_LIMITS.lineChars;
  };
  const fits = (j: number, i: number) =>
    seconds(j, i) <= CUE_LIMITS.maxSeconds && chars(j, i) <= CUE_LIMITS.maxChars && fitsLines(j, i);
  if (fits(0, n)) return [tokens];

  const cost = (j: number, i: number): number => {
    const last = tokens[i - 1]?.text ?? '';
    const bonus = /[.!?…]["')\]]*$/u.test(last) ? SENTENCE_END_BONUS : /[,;:]$/u.test(last) ? CLAUSE_END_BONUS : 0;
    return PIECE_COST + chars(j, i) ** 2 + (seconds(j, i) * CHARS_PER_SECOND) ** 2 - bonus;
  };
  // best[i]: the cost of the best split of tokens [0, i); from[i]: where its last piece starts. A piece that
  // does not fit only grows worse with more words in front, so the search back stops at the first one
  // (a single word always makes a piece, however long it is said).
  const best: number[] = [0];
  const from: number[] = [0];
  for (let i = 1; i <= n; i += 1) {
    best[i] = Number.POSITIVE_INFINITY;
    from[i] = i - 1;
    for (let j = i - 1; j >= 0; j -= 1) {
      if (j < i - 1 && !fits(j, i)) break;
      const total = (best[j] ?? Number.POSITIVE_INFINITY) + cost(j, i);
      if (total < (best[i] ?? Number.POSITIVE_INFINITY)) {
        best[i] = total;
        from[i] = j;
      }
    }
  }
  const pieces: TimedWord[][] = [];
  for (let i = n; i > 0; i = from[i] ?? 0) pieces.unshift(tokens.slice(from[i] ?? 0, i));
  return pieces;
}

/**
 * The segment's words with their times, none longer than a line.
 *
 * With OMICall's `word_alignment`, each word has its own times. When the segment's text splits into as many
 * words as OMICall timed, the text's words are used (they keep the punctuation and capitals); otherwise the
 * timed words themselves.
 *
 * Without word times, the text is split at spaces and each word is given a share of the segment's time equal
 * to its share of the characters: an estimate (speech rate varies), good enough to keep each piece of a long
 * segment on screen while it is being said.
 */
function timedTokens(segment: CleanSegment): TimedWord[] {
  const texts = segment.text.split(' ');
  const words = placedWords(segment);
  let tokens: TimedWord[];
  if (words) {
    tokens =
      texts.length === words.length
        ? words.map((w, i) => ({ text: texts[i] ?? w.text, from: w.from, to: w.to }))
        : words.map((w) => ({ ...w }));
  } else {
    tokens = interpolate(texts, segment.from, segment.to);
  }
  return tokens.flatMap(explodeLong);
}

/**
 * OMICall's word times, placed on the audio's time line, or undefined when there are none or they cannot be
 * placed. OMICall does not document whether word times count from the start of the audio or of the segment:
 * times that fall within the segment (give or take a second) are taken as they are, times before its start
 * that fit in its length are taken as counted from the segment's start, anything else is not trusted.
 */
function placedWords(segment: CleanSegment): TimedWord[] | undefined {
  const words = (segment.words ?? [])
    .map((w) => ({ text: cleanText(w.text), from: w.from, to: w.to }))
    .filter((w) => w.text !== '' && Number.isFinite(w.from) && Number.isFinite(w.to) && w.from >= 0)
    .map((w) => ({ ...w, to: Math.max(w.to, w.from) }))
    .sort((a, b) => a.from - b.from);
  const first = words[0];
  if (!first) return undefined;
  const last = words.reduce((end, w) => Math.max(end, w.to), 0);
  const tolerance = 1;
  const length = segment.to - segment.from;
  const fitsEnd = (end: number) => !segment.hasEnd || end <= segment.to + tolerance;
  if (first.from >= segment.from - tolerance && fitsEnd(last)) return words;
  if (first.from < segment.from - tolerance && (!segment.hasEnd || last <= length + tolerance)) {
    return words.map((w) => ({ ...w, from: w.from + segment.from, to: w.to + segment.from }));
  }
  return undefined;
}

/** Words timed by their share of the characters between `from` and `to` (the space before a word counts). */
function interpolate(texts: string[], from: number, to: number): TimedWord[] {
  const lengths = texts.map(charCount);
  const total = lengths.reduce((sum, n) => sum + n, 0) + Math.max(0, texts.length - 1);
  const perChar = total > 0 ? (to - from) / total : 0;
  let offset = 0;
  return texts.map((text, i) => {
    const start = offset;
    offset += (lengths[i] ?? 0) + 1;
    return { text, from: from + start * perChar, to: from + (start + (lengths[i] ?? 0)) * perChar };
  });
}

/** A word longer than a line (a URL, a language written without spaces) is cut into line-long parts. */
function explodeLong(token: TimedWord): TimedWord[] {
  const chars = [...token.text];
  if (chars.length <= CUE_LIMITS.lineChars) return [token];
  const parts: string[] = [];
  for (let i = 0; i < chars.length; i += CUE_LIMITS.lineChars) {
    parts.push(chars.slice(i, i + CUE_LIMITS.lineChars).join(''));
  }
  return interpolate(parts, token.from, token.to).map((p, i) => ({ ...p, text: parts[i] ?? p.text }));
}

/**
 * The tokens as at most `maxLines` lines of at most `lineChars` characters, broken at a space, the two lines
 * as even as possible; undefined when they do not fit.
 */
function wrap(tokens: readonly TimedWord[]): string[] | undefined {
  const texts = tokens.map((t) => t.text);
  const one = texts.join(' ');
  if (charCount(one) <= CUE_LIMITS.lineChars) return [one];
  let best: string[] | undefined;
  let bestLonger = Number.POSITIVE_INFINITY;
  for (let k = 1; k < texts.length; k += 1) {
    const top = texts.slice(0, k).join(' ');
    const bottom = texts.slice(k).join(' ');
    const longer = Math.max(charCount(top), charCount(bottom));
    if (longer <= CUE_LIMITS.lineChars && longer < bestLonger) {
      best = [top, bottom];
      bestLonger = longer;
    }
  }
  return best;
}

/**
 * Cues with times that only move forward: sorted by start; a cue starting at the same millisecond as the one
 * before starts a millisecond later; a cue that runs into the next one ends where the next one starts.
 */
function settle(pieces: TimedWord[][]): Cue[] {
  const cues: Cue[] = [];
  const timed = pieces
    .map((run, order) => ({ run, order, from: run[0]?.from ?? 0, to: run[run.length - 1]?.to ?? 0 }))
    .sort((a, b) => a.from - b.from || a.order - b.order);
  for (const { run, from, to } of timed) {
    const previous = cues[cues.length - 1];
    const fromMs = Math.max(Math.round(from * 1000), previous ? previous.fromMs + 1 : 0);
    const toMs = Math.max(Math.round(to * 1000), fromMs + 1);
    if (previous && previous.toMs > fromMs) previous.toMs = fromMs;
    cues.push({ fromMs, toMs, lines: wrap(run) ?? [run.map((t) => t.text).join(' ')] });
  }
  return cues;
}
