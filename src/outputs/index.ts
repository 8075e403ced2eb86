/**
 * Transcript files people can take away: plain text, SRT and WebVTT subtitles.
 *
 * How to add an output format: write `src/outputs/<id>.ts` exporting one `OutputFormat` (its `render` turns a
 * `TranscriptDoc` into the file's text; subtitle formats start from `toCues` in `cues.ts`), add its id to
 * `OutputFormatId`, and list it in `OUTPUT_FORMATS` below. Buttons and uploads read everything else (label,
 * extension, mimetype) from the registry.
 */
import { srt } from './srt.ts';
import { txt } from './txt.ts';
import { vtt } from './vtt.ts';

/** One recognised word with its times, in seconds (OMICall's `word_alignment`, when it sends it). */
export interface TimedWord {
  text: string;
  from: number;
  to: number;
}

/** One passage of recognised speech: start and end in seconds, its text, and its words when known. */
export interface TimedText {
  from: number;
  to: number;
  text: string;
  words?: readonly TimedWord[];
}

/** A whole transcript: every segment of one audio file, in any order. */
export interface TranscriptDoc {
  /** The memo's file name as Slack shows it (`audio_message.m4a`). */
  fileName: string;
  /** The audio's length, when known (Slack's `duration_ms` / 1000). */
  durationSeconds?: number;
  segments: readonly TimedText[];
}

export type OutputFormatId = 'txt' | 'srt' | 'vtt';

/** A file format a transcript can be downloaded as. */
export interface OutputFormat {
  id: OutputFormatId;
  /** Button text, e.g. ".srt". */
  label: string;
  /** File name extension, without the dot. */
  extension: string;
  mimetype: string;
  /** The whole file, however long the transcript. */
  render(doc: TranscriptDoc): string;
}

/** Every output format, in the order their buttons are shown. */
export const OUTPUT_FORMATS: readonly OutputFormat[] = [txt, srt, vtt];

/** The format with this id (a button's value), or undefined for anything else. */
export function outputFormat(id: string): OutputFormat | undefined {
  return OUTPUT_FORMATS.find((f) => f.id === id);
}

/** Characters that are unsafe in a file name on some system, and control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is replaced here
const UNSAFE = /[\u0000-\u001f\u007f/\\:*?"<>|]/g;
/** The longest base name kept, in characters (file systems allow 255 bytes; UTF-8 takes up to 4 a character). */
const MAX_BASE = 100;

/**
 * The download's file name, after the memo: `memo.m4a` -> `memo.srt`, `memo` -> `memo.srt`.
 * The memo's extension is the last `.xyz` of 1-5 characters with a letter in it, so `Meeting 10.30` keeps its
 * `.30`. Characters unsafe in file names become `_`; an empty name becomes `transcript`.
 */
export function outputFileName(doc: Pick<TranscriptDoc, 'fileName'>, format: Pick<OutputFormat, 'extension'>): string {
  const name = doc.fileName.normalize('NFC').trim();
  const base = name.replace(/\.(?=[^.]{0,4}[a-z])[a-z0-9]{1,5}$/i, '');
  const safe = [...base.replace(UNSAFE, '_').replace(/\s+/g, ' ')]
    .slice(0, MAX_BASE)
    .join('')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  return `${safe || 'transcript'}.${format.extension}`;
}
