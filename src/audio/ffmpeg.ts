/**
 * Which ffmpeg runs. ffmpeg parses untrusted files, so a maintained build matters more than a pinned one:
 * the system's (Debian's, the Docker image's, a Heroku buildpack's) is preferred, and the npm package's
 * static build (December 2018) is only a fallback for machines that have none.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { ConfigError, errorMessage } from '../errors.ts';

/** Where the ffmpeg in use comes from. */
export type FfmpegSource = 'FFMPEG_PATH' | 'system' | 'npm';

export interface FoundFfmpeg {
  path: string;
  source: FfmpegSource;
}

/**
 * The ffmpeg to run: `override` (FFMPEG_PATH) when given, else an executable `ffmpeg` on PATH, else the
 * binary of `@ffmpeg-installer/ffmpeg`.
 *
 * @throws ConfigError when none of the three exists (the npm package has no build for this platform).
 */
export function findFfmpeg(override?: string, envPath = process.env.PATH ?? ''): FoundFfmpeg {
  if (override) return { path: override, source: 'FFMPEG_PATH' };
  const system = onPath(process.platform === 'win32' ? 'ffmpeg.exe' : 'ffmpeg', envPath);
  if (system) return { path: system, source: 'system' };
  const bundled = bundledFfmpeg();
  if (bundled) return { path: bundled, source: 'npm' };
  throw new ConfigError([
    'FFMPEG_PATH is not set, there is no ffmpeg on PATH, and @ffmpeg-installer/ffmpeg has no build for this platform: install ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH',
  ]);
}

/** The binary `@ffmpeg-installer/ffmpeg` installed, if it has one for this platform. */
export function bundledFfmpeg(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch {
    return undefined;
  }
}

function onPath(name: string, envPath: string): string | undefined {
  for (const dir of envPath.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not there, or not executable: the next directory.
    }
  }
  return undefined;
}

/** What `ffmpeg -version` said: its first line and the build's year, or why it did not run. */
export type FfmpegVersion = { ok: true; line: string; year?: number } | { ok: false; error: string };

/**
 * Runs `ffmpeg -version` (synchronously, killed after `timeoutMs`). The year is the end of the copyright
 * range ffmpeg prints ("Copyright (c) 2000-2018 the FFmpeg developers"), which is the year it was built.
 */
export function ffmpegVersion(path: string, timeoutMs = 10_000): FfmpegVersion {
  let run: ReturnType<typeof spawnSync>;
  try {
    run = spawnSync(path, ['-hide_banner', '-version'], {
      encoding: 'utf8',
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    return { ok: false, error: errorMessage(err) };
  }
  if (run.error) return { ok: false, error: errorMessage(run.error) };
  if (run.status !== 0) return { ok: false, error: run.signal ? `killed by ${run.signal}` : `exit ${run.status}` };
  const line = String(run.stdout).split('\n')[0].trim();
  if (!line.startsWith('ffmpeg version')) return { ok: false, error: `not ffmpeg: "${line.slice(0, 80)}"` };
  const year = /Copyright \(c\) \d{4}-(\d{4})/.exec(line)?.[1];
  return year ? { ok: true, line, year: Number(year) } : { ok: true, line };
}

/** Whether a build from `year` is older than three years. */
export function isOutdated(year: number, now = new Date()): boolean {
  return now.getFullYear() - year > 3;
}
