/**
 * A long WebM/Opus recording (100 minutes by default) relayed by the app, which streams it from the download
 * straight into ffmpeg and ffmpeg's MP3 into the upload, against ffmpeg alone doing the same conversion of the
 * same file. Memory is the peak growth (VmHWM reset just before, less the idle VmRSS), and the app's private
 * temporary folder is watched: a streamable container must never touch the disk.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { convertArgs } from '../src/audio/convert.ts';
import { findFfmpeg } from '../src/audio/ffmpeg.ts';
import { fileShareEvent, postEvent } from '../test/helpers/slack-requests.ts';
import { webmClip } from './fixtures.ts';
import { fmt, header, median, peakGrowthDuring, row, startAppProcess, startRig, uploadOf } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FFMPEG = findFfmpeg(process.env.FFMPEG_PATH).path;

export async function convertBench(minutes = Number(process.env.BENCH_CLIP_MINUTES ?? 100)): Promise<void> {
  const clip = webmClip(minutes);
  const rig = await startRig();
  const app = await startAppProcess(rig, { MAX_AUDIO_MINUTES: String(minutes + 10) });
  const pid = app.child.pid as number;
  const folder = readdirSync(tmpdir()).find((d) => d.startsWith(`omicall-transcriber-${pid}-`));
  const privateDir = folder ? join(tmpdir(), folder) : undefined;
  let filesSeen = 0;
  const alone: number[] = [];
  const viaApp: number[] = [];
  let growth = 0;
  for (let round = 0; round <= ROUNDS; round++) {
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      // The app's own arguments; fd 3 carries ffmpeg's progress, drained here as the app reads it.
      const args = convertArgs({ container: 'webm', input: { path: clip }, maxSeconds: minutes * 60 + 60 });
      const ffmpeg = spawn(FFMPEG, args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
      const progress = ffmpeg.stdio[3];
      if (progress instanceof Readable) progress.resume();
      ffmpeg.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exit ${code}`))));
    });
    const ffmpegMs = performance.now() - started;

    const file = rig.slack.addFile({ name: 'meeting.webm', mimetype: 'audio/webm', filetype: 'webm', path: clip });
    const ts = rig.slack.nextTs();
    const watch = setInterval(() => {
      if (privateDir) filesSeen += readdirSync(privateDir).length;
    }, 20);
    const measured = await peakGrowthDuring(pid, async () => {
      const uploaded = uploadOf(rig, ts);
      await postEvent(app.url, fileShareEvent({ channel: 'C0BENCH01', ts, files: [file] }));
      await uploaded;
    });
    clearInterval(watch);
    if (round === 0) continue;
    alone.push(ffmpegMs);
    viaApp.push(measured.ms);
    growth = Math.max(growth, measured.growth);
  }
  header(`Conversion of a ${minutes}-minute WebM/Opus clip to MP3 (${ROUNDS} rounds after a warm-up, medians)`);
  row([
    'ffmpeg alone',
    'app (download, convert, upload)',
    'app / ffmpeg',
    'target',
    'peak growth (worst)',
    'target',
    'temp files',
  ]);
  row(['---', '---', '---', '---', '---', '---', '---']);
  row([
    `${fmt(median(alone), 0)} ms`,
    `${fmt(median(viaApp), 0)} ms`,
    `${fmt(median(viaApp) / median(alone), 2)}x`,
    '≤ 1.1x',
    `+${fmt(growth)} MB`,
    '≤ +24 MB',
    privateDir ? String(filesSeen) : 'folder not found',
  ]);
  await app.stop();
  await rig.close();
}

if (import.meta.main) await convertBench();
