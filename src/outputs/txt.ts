import { cleanText } from './cues.ts';
import type { OutputFormat, TranscriptDoc } from './index.ts';

/** 75.4 -> "1:15"; past an hour 3725 -> "1:02:05" (as the thread reply shows times). */
function clock(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/**
 * A plain text file to read or paste: a title line with the memo's name (and length, when known), a blank
 * line, then one line per segment in spoken order, `[0:12] text`. No words of the app's own, so it reads the
 * same in every language.
 */
function render(doc: TranscriptDoc): string {
  const name = cleanText(doc.fileName) || 'transcript';
  const duration = doc.durationSeconds;
  const title =
    duration !== undefined && Number.isFinite(duration) && duration > 0 ? `${name} · ${clock(duration)}` : name;
  const lines = doc.segments
    .map((s, order) => ({ from: s.from, text: cleanText(s.text), order }))
    .filter((s) => s.text !== '' && Number.isFinite(s.from))
    .sort((a, b) => a.from - b.from || a.order - b.order)
    .map((s) => `[${clock(s.from)}] ${s.text}`);
  return `${[title, '', ...lines].join('\n')}\n`;
}

/** Plain text: `memo.txt`. */
export const txt: OutputFormat = {
  id: 'txt',
  label: '.txt',
  extension: 'txt',
  mimetype: 'text/plain',
  render,
};
