/**
 * The app's memory on the relay path, measured as issue 13 asks: the app started as `npm start` starts it, in
 * a process of its own, after one warm-up relay; for each case the peak resident memory (VmHWM, reset through
 * /proc/<pid>/clear_refs just before the case) less the idle VmRSS just before it; no forced GC. Each case is
 * printed next to its baseline, the bare streaming pipe (bench/pipe-process.ts) measured the same way between
 * the same servers; start-up is printed next to a bare Node HTTP server.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { freePort } from '../test/helpers/process.ts';
import { fileShareEvent, postEvent } from '../test/helpers/slack-requests.ts';
import { wavOfSize } from './fixtures.ts';
import {
  type AppProcess,
  fmt,
  header,
  median,
  memoryOf,
  type PipeProcess,
  peakGrowthDuring,
  type Rig,
  row,
  startAppProcess,
  startPipeProcess,
  startRig,
  uploadOf,
} from './lib.ts';

const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 3);
/** How long the app is left alone before its idle memory is read after the relays. */
const SETTLE_MS = 2_000;

/** The targets of issue 13, in MB (and a ratio for time). */
export const TARGETS = {
  peakGrowthMb: 24,
  largeOverSmallMb: 8,
  fourAtOnceMb: 40,
  fourAtOnceTime: 1.1,
  idleReturnMb: 8,
};

interface Round {
  growth: number;
  idle: number;
  ms: number;
}

let seq = 0;

/** Shares `paths` at once with the app and waits until OMICall has received them all. */
async function relayWithApp(rig: Rig, app: AppProcess, paths: string[]): Promise<void> {
  await Promise.all(
    paths.map(async (path) => {
      const file = rig.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', filetype: 'wav', path });
      const ts = rig.slack.nextTs();
      const uploaded = uploadOf(rig, ts);
      await postEvent(
        app.url,
        fileShareEvent({ channel: `C0MEM${String(++seq).padStart(4, '0')}`, ts, files: [file] }),
      );
      await uploaded;
    }),
  );
}

/** The same with the bare pipes, run at once in their own process. */
async function relayWithPipe(rig: Rig, pipe: PipeProcess, paths: string[]): Promise<void> {
  await Promise.all(
    paths.map(async (path) => {
      const file = rig.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path });
      const ts = rig.slack.nextTs();
      const uploaded = uploadOf(rig, ts);
      await pipe.relay(file.url_private_download, `${rig.omicall.apiUrl}/speech_to_text`, `pipe-${ts}`);
      await uploaded;
    }),
  );
}

/** Starts the bare HTTP server the way the app is started; returns its start-up time and its pid. */
async function startBare(): Promise<{ pid: number; startMs: number; stop(): Promise<void> }> {
  const port = await freePort();
  const spawned = performance.now();
  const child = spawn(process.execPath, ['bench/bare-server.ts'], { env: { PORT: String(port) }, stdio: 'inherit' });
  for (;;) {
    const up = await request(`http://127.0.0.1:${port}`, { method: 'POST', body: '' }).then(
      async (r) => {
        await r.body.dump();
        return true;
      },
      () => false,
    );
    if (up) break;
    await sleep(5);
  }
  const startMs = performance.now() - spawned;
  return {
    pid: child.pid as number,
    startMs,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill();
      await exited;
    },
  };
}

const mb = (n: number) => `${n >= 0 ? '+' : ''}${fmt(n)} MB`;
const ok = (pass: boolean) => (pass ? 'yes' : '**no**');

/** Runs every case; prints the tables; returns whether every target was met. */
export async function memoryBench(): Promise<boolean> {
  const rig = await startRig();

  // Start-up, each process measured 1 s after it listens.
  const bare = await startBare();
  await sleep(1_000);
  const bareIdle = memoryOf(bare.pid).rss;
  await bare.stop();
  const app = await startAppProcess(rig);
  const pid = app.child.pid as number;
  await sleep(1_000);
  const appStartIdle = memoryOf(pid).rss;

  const pipe = startPipeProcess();
  const small = await wavOfSize(21);
  const large = await wavOfSize(211);
  const four = await wavOfSize(200);

  // One warm-up relay each.
  await relayWithPipe(rig, pipe, [small]);
  await relayWithApp(rig, app, [small]);
  await sleep(500);
  const idleBefore = memoryOf(pid).rss;

  const cases: { name: string; paths: string[] }[] = [
    { name: '21 MB WAV relayed as it is', paths: [small] },
    { name: '211 MB WAV relayed as it is', paths: [large] },
    { name: 'four 200 MB WAVs at once', paths: [four, four, four, four] },
  ];
  const results = new Map<string, { app: Round[]; pipe: Round[] }>();
  for (const c of cases) {
    const r = { app: [] as Round[], pipe: [] as Round[] };
    for (let round = 0; round < ROUNDS; round++) {
      const p = await peakGrowthDuring(pipe.pid, () => relayWithPipe(rig, pipe, c.paths));
      r.pipe.push(p);
      await sleep(200);
      const a = await peakGrowthDuring(pid, () => relayWithApp(rig, app, c.paths));
      r.app.push(a);
      await sleep(200);
    }
    results.set(c.name, r);
  }
  await sleep(SETTLE_MS);
  const idleAfter = memoryOf(pid).rss;

  const max = (rounds: Round[]) => Math.max(...rounds.map((x) => x.growth));
  const each = (rounds: Round[]) => rounds.map((x) => fmt(x.growth)).join(', ');
  let allMet = true;
  header(
    `Memory on the relay path: peak growth (VmHWM after clear_refs, less the idle VmRSS just before), ${ROUNDS} rounds each`,
  );
  row(['case', 'bare pipe, max', 'app, each round (MB)', 'app, max', 'app / pipe', 'app idle before', 'target', 'met']);
  row(['---', '---', '---', '---', '---', '---', '---', '---']);
  for (const c of cases) {
    const r = results.get(c.name);
    if (!r) continue;
    const limit = c.paths.length > 1 ? TARGETS.fourAtOnceMb : TARGETS.peakGrowthMb;
    const pass = r.app.every((x) => x.growth <= limit);
    allMet &&= pass;
    row([
      c.name,
      mb(max(r.pipe)),
      each(r.app),
      mb(max(r.app)),
      `${fmt(max(r.app) / Math.max(max(r.pipe), 0.1), 2)}x`,
      `${fmt(r.app[0].idle)} MB`,
      `≤ +${limit} MB`,
      ok(pass),
    ]);
  }
  const smallR = results.get(cases[0].name);
  const largeR = results.get(cases[1].name);
  const fourR = results.get(cases[2].name);
  if (smallR && largeR && fourR) {
    const gap = max(largeR.app) - max(smallR.app);
    const gapPass = gap <= TARGETS.largeOverSmallMb;
    const time = median(fourR.app.map((x) => x.ms)) / median(fourR.pipe.map((x) => x.ms));
    const timePass = time <= TARGETS.fourAtOnceTime;
    const idle = idleAfter - idleBefore;
    const idlePass = Math.abs(idle) <= TARGETS.idleReturnMb;
    allMet &&= gapPass && timePass && idlePass;
    header('Memory and time, the other targets');
    row(['what', 'baseline', 'app', 'ratio or difference', 'target', 'met']);
    row(['---', '---', '---', '---', '---', '---']);
    row([
      '211 MB case over 21 MB case (max peak growth)',
      mb(max(smallR.app)),
      mb(max(largeR.app)),
      mb(gap),
      `≤ +${TARGETS.largeOverSmallMb} MB`,
      ok(gapPass),
    ]);
    row([
      'four 200 MB at once, total time (median)',
      `${fmt(median(fourR.pipe.map((x) => x.ms)), 0)} ms (four bare pipes at once)`,
      `${fmt(median(fourR.app.map((x) => x.ms)), 0)} ms`,
      `${fmt(time, 2)}x`,
      `≤ ${TARGETS.fourAtOnceTime}x`,
      ok(timePass),
    ]);
    row([
      `idle after the ${ROUNDS * cases.length} cases (${SETTLE_MS / 1000} s later) over idle before them`,
      `${fmt(idleBefore)} MB`,
      `${fmt(idleAfter)} MB`,
      mb(idle),
      `within ${TARGETS.idleReturnMb} MB`,
      ok(idlePass),
    ]);
    row([
      'start-up: spawn to listening',
      `${fmt(bare.startMs, 0)} ms (bare HTTP server)`,
      `${fmt(app.startMs, 0)} ms`,
      `${fmt(app.startMs / bare.startMs, 2)}x`,
      '-',
      '-',
    ]);
    row([
      'start-up: idle memory 1 s after listening',
      `${fmt(bareIdle)} MB (bare HTTP server)`,
      `${fmt(appStartIdle)} MB`,
      `${fmt(appStartIdle / bareIdle, 2)}x`,
      '-',
      '-',
    ]);
  }
  process.stdout.write(
    'Baselines: the bare streaming pipe (bench/pipe-process.ts, its own process, the same measure) and a bare Node HTTP server.\n',
  );
  await pipe.stop();
  await app.stop();
  await rig.close();
  return allMet;
}

if (import.meta.main) await memoryBench();
