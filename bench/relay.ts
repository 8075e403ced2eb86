/**
 * Relay of a WAV forwarded unchanged: the app (Slack event -> download -> multipart upload) against a bare
 * streaming pipe between the same two local servers, each in its own process; and the app's memory.
 */
import { fileShareEvent, postEvent } from '../test/helpers/slack-requests.ts';
import { wavOfSize } from './fixtures.ts';
import {
  fmt,
  header,
  median,
  memoryOf,
  type PipeProcess,
  peakRssDuring,
  type Rig,
  ROUNDS,
  row,
  startAppProcess,
  startPipeProcess,
  startRig,
  uploadOf,
} from './lib.ts';

export async function relayBench(sizes = [Number(process.env.BENCH_SIZE_MB ?? 200), 1]): Promise<void> {
  const rig = await startRig();
  const app = await startAppProcess(rig);
  const pipe = startPipeProcess();

  header(`Relay of a WAV forwarded unchanged (${ROUNDS} rounds after a warm-up, medians)`);
  row(['file', 'bare pipe', 'app', 'app / pipe', 'app RSS growth over idle', 'pipe RSS growth']);
  row(['---', '---', '---', '---', '---', '---']);
  for (const mb of sizes) {
    const path = await wavOfSize(mb);
    const viaPipe: number[] = [];
    const viaApp: number[] = [];
    let appGrowth = 0;
    let pipeGrowth = 0;
    for (let round = 0; round <= ROUNDS; round++) {
      const p = await timed(pipe.pid, () => relayWithPipe(rig, path, pipe));
      const a = await timed(app.child.pid as number, () => relayWithApp(rig, app.url, path));
      if (round === 0) continue;
      viaPipe.push(p.ms);
      viaApp.push(a.ms);
      appGrowth = Math.max(appGrowth, a.growth);
      pipeGrowth = Math.max(pipeGrowth, p.growth);
    }
    row([
      `${mb} MB`,
      `${fmt(median(viaPipe), 0)} ms`,
      `${fmt(median(viaApp), 0)} ms`,
      `${fmt(median(viaApp) / median(viaPipe), 2)}x`,
      `${fmt(appGrowth)} MB`,
      `${fmt(pipeGrowth)} MB`,
    ]);
  }
  process.stdout.write(
    `App RSS when idle ${fmt(memoryOf(app.child.pid as number).rss)} MB; peak (VmHWM) ${fmt(memoryOf(app.child.pid as number).hwm)} MB.\n`,
  );
  await pipe.stop();
  await app.stop();
  await rig.close();
}

/** Wall time of one relay, and how far the process's RSS rose above what it was just before. */
async function timed(pid: number, work: () => Promise<void>) {
  const idle = memoryOf(pid).rss;
  const started = performance.now();
  const { peak } = await peakRssDuring(pid, work);
  return { ms: performance.now() - started, growth: peak - idle };
}

let seq = 0;
async function relayWithApp(rig: Rig, appUrl: string, path: string): Promise<void> {
  const file = rig.slack.addFile({ name: 'big.wav', mimetype: 'audio/wav', filetype: 'wav', path });
  const ts = rig.slack.nextTs();
  const uploaded = uploadOf(rig, ts);
  await postEvent(appUrl, fileShareEvent({ channel: `C0BENCH${++seq}`, ts, files: [file] }));
  await uploaded;
}

async function relayWithPipe(rig: Rig, path: string, pipe: PipeProcess): Promise<void> {
  const file = rig.slack.addFile({ name: 'big.wav', mimetype: 'audio/wav', path });
  const ts = rig.slack.nextTs();
  const uploaded = uploadOf(rig, ts);
  await pipe.relay(file.url_private_download, `${rig.omicall.apiUrl}/speech_to_text`, `pipe-${ts}`);
  await uploaded;
}

if (import.meta.main) await relayBench();
