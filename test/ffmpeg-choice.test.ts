/**
 * Which ffmpeg the app runs (FFMPEG_PATH, then the system's, then npm's), the version and age it reads from it, and
 * what the thread says when it does not run.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledFfmpeg, ffmpegVersion, findFfmpeg, isOutdated } from '../src/audio/ffmpeg.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ffmpeg-choice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both builds the app may run: the system's (preferred) and the 2018 npm one (the fallback). */
const BUILDS: [string, string][] = [];
{
  const system = findFfmpeg(undefined);
  if (system.source === 'system') BUILDS.push(['system ffmpeg', system.path]);
  const npm = bundledFfmpeg();
  if (npm) BUILDS.push(['npm ffmpeg (2018)', npm]);
}

describe('ffmpeg: the system build first, the npm one as a fallback', () => {
  it('FFMPEG_PATH wins, then PATH, then npm', () => {
    expect(findFfmpeg('/opt/ffmpeg/bin/ffmpeg')).toEqual({ path: '/opt/ffmpeg/bin/ffmpeg', source: 'FFMPEG_PATH' });
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findFfmpeg(undefined, `/nonexistent:${bin}`)).toEqual({ path: join(bin, 'ffmpeg'), source: 'system' });
    const notExecutable = join(dir, 'bin-noexec');
    mkdirSync(notExecutable);
    writeFileSync(join(notExecutable, 'ffmpeg'), '', { mode: 0o644 });
    expect(findFfmpeg(undefined, notExecutable)).toEqual({ path: bundledFfmpeg(), source: 'npm' });
  });

  it('reads the version line and the build year', () => {
    for (const [, path] of BUILDS) {
      const version = ffmpegVersion(path);
      expect(version.ok).toBe(true);
      if (version.ok) {
        expect(version.line).toMatch(/^ffmpeg version /);
        expect(version.year).toBeGreaterThanOrEqual(2018);
      }
    }
    const npm = bundledFfmpeg();
    if (npm) expect(ffmpegVersion(npm)).toMatchObject({ ok: true, year: 2018 });
    expect(ffmpegVersion('/nonexistent/ffmpeg')).toMatchObject({ ok: false, error: expect.stringMatching(/ENOENT/) });
    expect(ffmpegVersion('/bin/true')).toMatchObject({ ok: false });
  });

  it('a build more than three years old is outdated', () => {
    const now = new Date('2026-11-26T00:00:00Z');
    expect(isOutdated(2018, now)).toBe(true);
    expect(isOutdated(2022, now)).toBe(true);
    expect(isOutdated(2023, now)).toBe(false);
    expect(isOutdated(2026, now)).toBe(false);
  });
});

describe('FFMPEG_PATH', () => {
  it('chooses the ffmpeg that converts', async () => {
    const other = await Harness.start({ env: { FFMPEG_PATH: '/nonexistent/ffmpeg' } });
    try {
      const file = other.slack.addFile({ name: 'clip.ogg', mimetype: 'audio/ogg', path: speech('ogg') });
      const { channel, ts } = await other.share([file]);
      const reply = await waitFor(() =>
        other.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
      );
      // The admin's problem, in plain words; the path and ffmpeg's own words stay in the logs.
      expect(reply.text).toMatch(/audio converter \(ffmpeg\) does not run on this server.*npm run doctor/);
      expect(reply.text).not.toContain('/nonexistent');
      expect(other.omicall.uploads).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
