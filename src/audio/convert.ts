import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

export interface Conversion {
  /** MP3, mono 16 kHz: what OMICall's recogniser needs, small enough to upload fast. */
  output: AsyncIterable<Uint8Array>;
  /** Resolves when ffmpeg exits cleanly; rejects with its last error lines otherwise. */
  done: Promise<void>;
  kill(): void;
}

/** The ffmpeg binary: FFMPEG_PATH, else the one @ffmpeg-installer/ffmpeg ships. */
export function ffmpegBinary(override?: string): string {
  if (override) return override;
  const require = createRequire(import.meta.url);
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

/** ffmpeg's arguments: the sound of inputPath as MP3, mono 16 kHz, on standard output. */
export function convertArgs(inputPath: string): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-i',
    inputPath,
    '-vn',
    '-ac',
    '1',
    '-ar',
    '16000',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-f',
    'mp3',
    'pipe:1',
  ];
}

/** Converts a file (read from disk, so containers with their index at the end work) to MP3 on a pipe. */
export function convertToMp3(inputPath: string, ffmpeg: string): Conversion {
  const child = spawn(ffmpeg, convertArgs(inputPath), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-2000);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`ffmpeg could not start (${err.message})`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else {
        const why = stderr.split(inputPath).join('input').trim().split('\n').slice(-2).join(' ');
        reject(new Error(`ffmpeg could not read the file (${signal ?? `exit ${code}`}): ${why}`));
      }
    });
  });
  done.catch(() => {});
  return { output: child.stdout, done, kill: () => child.kill('SIGKILL') };
}
