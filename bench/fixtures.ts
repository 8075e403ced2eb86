import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFfmpeg } from '../src/audio/ffmpeg.ts';
import { wavHeader } from '../test/helpers/audio.ts';

const dir = tmpdir();

/** A WAV of about `mb` MB (16-bit mono 16 kHz noise), written once and cached. */
export async function wavOfSize(mb: number): Promise<string> {
  const path = join(dir, `omicall-bench-${mb}mb.wav`);
  const dataBytes = mb * 1024 * 1024 - 44;
  if (existsSync(path) && statSync(path).size === dataBytes + 44) return path;
  const header = wavHeader(dataBytes);
  const out = createWriteStream(path);
  out.write(header);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 2654435761) >>> 24;
  for (let written = 0; written < dataBytes; written += chunk.length) {
    const part = chunk.subarray(0, Math.min(chunk.length, dataBytes - written));
    if (!out.write(part)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return path;
}

/** A 30-minute WebM/Opus clip (Slack's desktop recordings are WebM/Opus), made once and cached. */
export function webmClip(minutes: number): string {
  const path = join(dir, `omicall-bench-${minutes}min.webm`);
  if (!existsSync(path)) {
    execFileSync(findFfmpeg(process.env.FFMPEG_PATH).path, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `anoisesrc=d=${minutes * 60}:c=pink:r=48000:a=0.2`,
      '-ac',
      '1',
      '-c:a',
      'libopus',
      '-b:a',
      '32k',
      path,
    ]);
  }
  return path;
}
