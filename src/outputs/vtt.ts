import { type Cue, timestamp, toCues } from './cues.ts';
import type { OutputFormat, TranscriptDoc } from './index.ts';

/** WebVTT: the `WEBVTT` header, a blank line, then cues `00:01:02.345 --> 00:01:04.000` with their lines. */
function render(doc: TranscriptDoc): string {
  return ['WEBVTT\n', ...toCues(doc.segments).map(block)].join('\n');
}

function block(cue: Cue): string {
  return `${timestamp(cue.fromMs, '.')} --> ${timestamp(cue.toMs, '.')}\n${cue.lines.map(escapeCueText).join('\n')}\n`;
}

/**
 * Cue text as WebVTT requires: `&` and `<` start entities and tags, so they are escaped, and `>` too, which
 * also rules out `-->` (it would end the cue's text) appearing in a cue.
 */
function escapeCueText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** WebVTT subtitles (HTML5 video, most players): `memo.vtt`. */
export const vtt: OutputFormat = {
  id: 'vtt',
  label: '.vtt',
  extension: 'vtt',
  mimetype: 'text/vtt',
  render,
};
