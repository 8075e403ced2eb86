import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { bundledFfmpeg, findFfmpeg } from '../../src/audio/ffmpeg.ts';

const SPEAK = fileURLToPath(new URL('./speak.ts', import.meta.url));

/** The ffmpeg the app uses here (the system's when there is one). */
export const FFMPEG = findFfmpeg(process.env.FFMPEG_PATH).path;

/**
 * Real speech fixtures: eSpeak NG (from npm) speaks, ffmpeg puts it in each container. Made once and cached in the
 * temp folder, under the ffmpeg binaries and versions that made them and the speaker's own code, so that a file made by
 * another ffmpeg (or an older speaker) is never taken for this one's. `.ci/run` starts with no cache at all.
 */
export const FIXTURES_DIR = join(tmpdir(), 'omicall-transcriber-fixtures', makersTag());
const dir = FIXTURES_DIR;

function makersTag(): string {
  const hash = createHash('sha256').update(readFileSync(SPEAK));
  for (const binary of new Set([FFMPEG, bundledFfmpeg() ?? FFMPEG])) {
    const version = spawnSync(binary, ['-version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? '';
    hash.update(`${binary}\0${version}\0`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** The binary that can make a fixture: Debian's ffmpeg has no AMR encoder, the npm build has one. */
function encoderFor(kind: Fixture): string {
  return kind === 'amr' ? (bundledFfmpeg() ?? FFMPEG) : FFMPEG;
}

export type Fixture = 'wav' | 'mp3' | 'm4a' | 'webm' | 'ogg' | 'flac' | 'aac' | 'amr' | 'mp4' | 'mov';

const ENCODE: Record<Exclude<Fixture, 'wav'>, string[]> = {
  mp3: ['-c:a', 'libmp3lame', '-b:a', '64k'],
  m4a: ['-c:a', 'aac', '-b:a', '64k'],
  webm: ['-c:a', 'libopus', '-b:a', '32k'],
  ogg: ['-c:a', 'libvorbis'],
  flac: ['-c:a', 'flac'],
  aac: ['-c:a', 'aac'],
  amr: ['-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k'],
  mp4: [
    '-f',
    'lavfi',
    '-i',
    'color=c=blue:s=160x120:r=10',
    '-shortest',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
  ],
  mov: [
    '-f',
    'lavfi',
    '-i',
    'color=c=red:s=160x120:r=10',
    '-shortest',
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
  ],
};

export const SPOKEN = 'Xin chào. Đây là một tin nhắn thoại để thử nghiệm.';

/** A path to real speech in the given container. */
export function speech(kind: Fixture, text = SPOKEN): string {
  mkdirSync(dir, { recursive: true });
  const tag = Buffer.from(text).toString('base64url').slice(0, 24);
  const wav = join(dir, `speech-${tag}.wav`);
  made(wav, (tmp) => execFileSync(process.execPath, [SPEAK, tmp, text]));
  if (kind === 'wav') return wav;
  const out = join(dir, `speech-${tag}.${kind}`);
  made(out, (tmp) => {
    const args = ENCODE[kind];
    const video = kind === 'mp4' || kind === 'mov';
    const input = video ? [...args.slice(0, 4), '-i', wav] : ['-i', wav];
    const rest = video ? args.slice(4) : args;
    execFileSync(encoderFor(kind), [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      ...input,
      ...rest,
      '-t',
      String(secondsOf(wav)),
      '-f',
      FORMAT[kind],
      tmp,
    ]);
  });
  return out;
}

const FORMAT: Record<Exclude<Fixture, 'wav'>, string> = {
  mp3: 'mp3',
  m4a: 'ipod',
  webm: 'webm',
  ogg: 'ogg',
  flac: 'flac',
  aac: 'adts',
  amr: 'amr',
  mp4: 'mp4',
  mov: 'mov',
};

/** Makes a file once; test workers run in parallel, so each writes its own copy and renames it into place. */
function made(path: string, make: (tmp: string) => void): void {
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.${threadId}.tmp`;
  make(tmp);
  renameSync(tmp, path);
}

/** The length of a fixture's speech, whole seconds, read from the WAV that `speak.ts` wrote (not from ffmpeg). */
export function secondsOf(wav: string): number {
  const header = readFileSync(wav).subarray(0, 44);
  return header.readUInt32LE(40) / header.readUInt32LE(28);
}

/** Duration in seconds of an audio file, by ffmpeg's reading of it. */
export function durationOf(path: string): number {
  const out = spawnSync(FFMPEG, ['-hide_banner', '-i', path, '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
  const m = /Duration: (\d+):(\d+):([\d.]+)/.exec(out);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : NaN;
}

export { wavHeader } from './wav.ts';
