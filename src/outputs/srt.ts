import { type Cue, timestamp, toCues } from './cues.ts';
import type { OutputFormat, TranscriptDoc } from './index.ts';

/**
 * SubRip: cues numbered from 1, `00:01:02,345 --> 00:01:04,000`, the cue's lines, a blank line between cues.
 * SRT has no escaping; the only text that could be misread is an arrow, so `-->` in speech becomes `->`.
 */
function render(doc: TranscriptDoc): string {
  return toCues(doc.segments).map(block).join('\n');
}

function block(cue: Cue, index: number): string {
  const lines = cue.lines.map((line) => line.replaceAll('-->', '->'));
  return `${index + 1}\n${timestamp(cue.fromMs, ',')} --> ${timestamp(cue.toMs, ',')}\n${lines.join('\n')}\n`;
}

/** SubRip subtitles: `memo.srt`. */
export const srt: OutputFormat = {
  id: 'srt',
  label: '.srt',
  extension: 'srt',
  mimetype: 'application/x-subrip',
  render,
};
