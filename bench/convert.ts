/**
 * A 30-minute WebM/Opus clip (what Slack's desktop app records) relayed by the app, which converts it to
 * MP3 on the way, against ffmpeg alone doing the same conversion of the same file.
 */
import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { convertArgs } from '../src/audio/convert.ts';
import { findFfmpeg } from '../src/audio/ffmpeg.ts';
import { fileShareEvent, postEvent } from '../test/helpers/slack-requests.ts';
import { webmClip } from './fixtures.ts';
import { fmt, header, median, memoryOf, peakRssDuring, row, startAppProcess, startRig, uploadOf } from './lib.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const FFMPEG = findFfmpeg(process.env.FFMPEG_PATH).path;

export async function convertBench(minutes = Number(process.env.BENCH_CLIP_MINUTES ?? 30)): Promise<void> {
  const clip = webmClip(minutes);
  const rig = await startRig();
  const app = await startAppProcess(rig);
  const pid = app.child.pid as number;
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

    const file = rig.slack.addFile({
      name: 'audio_message.webm',
      mimetype: 'audio/webm',
      filetype: 'webm',
      subtype: 'slack_audio',
      path: clip,
    });
    const ts = rig.slack.nextTs();
    const idle = memoryOf(pid).rss;
    const t0 = performance.now();
    const { peak } = await peakRssDuring(pid, async () => {
      const uploaded = uploadOf(rig, ts);
      await postEvent(app.url, fileShareEvent({ channel: 'C0BENCH01', ts, files: [file] }));
      await uploaded;
    });
    if (round === 0) continue;
    alone.push(ffmpegMs);
    viaApp.push(performance.now() - t0);
    growth = Math.max(growth, peak - idle);
  }
  header(`Conversion of a ${minutes}-minute WebM/Opus clip to MP3 (${ROUNDS} rounds after a warm-up, medians)`);
  row(['ffmpeg alone', 'app (download, convert, upload)', 'app / ffmpeg', 'app RSS growth over idle']);
  row(['---', '---', '---', '---']);
  row([
    `${fmt(median(alone), 0)} ms`,
    `${fmt(median(viaApp), 0)} ms`,
    `${fmt(median(viaApp) / median(alone), 2)}x`,
    `${fmt(growth)} MB`,
  ]);
  await app.stop();
  await rig.close();
}

if (import.meta.main) await convertBench();
