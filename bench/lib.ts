import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'undici';
import { deriveSecret } from '../src/config.ts';
import { freePort } from '../test/helpers/process.ts';
import { SIGNING_SECRET } from '../test/helpers/slack-requests.ts';
import { type StandIns, startStandIns } from '../test/stand-ins/index.ts';
import { API_KEY } from '../test/stand-ins/omicall.ts';
import { BOT_TOKEN } from '../test/stand-ins/slack.ts';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Resident and peak memory of a process, in MB, from /proc. */
export function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * Resets the peak resident memory the kernel keeps for a process (VmHWM) to its current resident memory,
 * by writing 5 to /proc/<pid>/clear_refs; returns the resident memory at that instant, in MB.
 */
export function resetPeak(pid: number): number {
  const idle = memoryOf(pid).rss;
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  return idle;
}

/**
 * Peak growth of a process while work runs, as issue 13 measures it: the idle VmRSS just before, VmHWM reset
 * just before, and the VmHWM read just after, less that idle figure. The kernel keeps the peak, so no sampling
 * can miss it.
 */
export async function peakGrowthDuring<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ result: T; idle: number; growth: number; ms: number }> {
  const idle = resetPeak(pid);
  const started = performance.now();
  const result = await work();
  const ms = performance.now() - started;
  return { result, idle, growth: memoryOf(pid).hwm - idle, ms };
}

/** Samples a process's resident memory while work runs; returns the peak. */
export async function peakRssDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = memoryOf(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memoryOf(pid).rss);
    } catch {}
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, memoryOf(pid).rss);
    return { result, peak };
  } finally {
    clearInterval(timer);
  }
}

export type Rig = StandIns & { dataDir: string };

/** The stand-ins, with room for the many listeners a benchmark adds. */
export async function startRig(): Promise<Rig> {
  const standIns = await startStandIns();
  standIns.slack.events.setMaxListeners(0);
  standIns.omicall.events.setMaxListeners(0);
  const dataDir = mkdtempSync(join(tmpdir(), 'transcriber-bench-'));
  return {
    ...standIns,
    dataDir,
    close: async () => {
      await standIns.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AppProcess {
  child: ChildProcess;
  /** From spawn to the first 200 from /healthz. */
  startMs: number;
  url: string;
  webhookUrl: string;
  stop(): Promise<void>;
}

/** `npm start`'s command line (its variables, and node's flags), so that the benchmark runs the app as production does. */
export function startCommand(): { env: Record<string, string>; args: string[] } {
  const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } };
  const words = scripts.start.split(/\s+/);
  const env: Record<string, string> = {};
  // Leading NAME=value words are environment variables the start command sets (e.g. malloc's tuning).
  while (/^[A-Z_][A-Z0-9_]*=/.test(words[0] ?? '')) {
    const [name, ...value] = (words.shift() ?? '').split('=');
    env[name] = value.join('=');
  }
  const [command, ...args] = words;
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node`);
  return { env, args };
}

/** The real app as `npm start` runs it, in its own process (so its memory is its own), pointed at the stand-ins. */
export async function startAppProcess(rig: Rig, env: Record<string, string> = {}): Promise<AppProcess> {
  const port = await freePort();
  const spawned = performance.now();
  const extra = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const start = startCommand();
  const child = spawn(process.execPath, [...extra, ...start.args], {
    env: {
      ...start.env,
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      OMICALL_API_KEY: API_KEY,
      SLACK_API_URL: rig.slack.apiUrl,
      OMICALL_API_URL: rig.omicall.apiUrl,
      PORT: String(port),
      PUBLIC_URL: 'https://bench.test',
      LOG_LEVEL: 'info',
      // Room for the 211 MB case (the default limit is 200 MB).
      MAX_AUDIO_MB: '1024',
      // The embedded store in a folder of its own, removed with the rig.
      DATA_DIR: rig.dataDir,
      ...env,
    },
    // Logs go to /dev/null: a pipe this busy process reads late would stall the app's writes.
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`app exited with ${code}`))),
  );
  exited.catch(() => {});
  for (;;) {
    const ready = await Promise.race([
      request(`${url}/healthz`).then(
        async (r) => {
          await r.body.dump();
          return r.statusCode === 200;
        },
        () => false,
      ),
      exited,
    ]);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const startMs = performance.now() - spawned;
  return {
    child,
    startMs,
    url,
    webhookUrl: `${url}/omicall/webhook/${deriveSecret(SIGNING_SECRET, 'omicall-webhook')}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves when OMICall has received the upload whose tracking_id contains ts. */
export function uploadOf(rig: Rig, ts: string): Promise<void> {
  return new Promise((resolve) => {
    const listener = (u: { trackingId?: string }) => {
      if (u.trackingId?.includes(ts)) {
        rig.omicall.events.off('upload', listener);
        resolve();
      }
    };
    rig.omicall.events.on('upload', listener);
  });
}

export function header(title: string): void {
  process.stdout.write(`\n## ${title}\n`);
}

export function row(cells: (string | number)[]): void {
  process.stdout.write(`| ${cells.join(' | ')} |\n`);
}

export interface PipeProcess {
  pid: number;
  /** Streams one download into one multipart upload; resolves once the upload is answered. */
  relay(from: string, to: string, trackingId: string): Promise<void>;
  stop(): Promise<void>;
}

/** The baseline, bench/pipe-process.ts, in a process of its own: relays run concurrently when asked so. */
export function startPipeProcess(): PipeProcess {
  const child = spawn(process.execPath, ['bench/pipe-process.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map<string, { resolve(): void; reject(err: Error): void }>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [status, id, ...rest] = line.split(' ');
    const w = waiting.get(id);
    waiting.delete(id);
    if (status === 'done') w?.resolve();
    else w?.reject(new Error(`pipe failed: ${rest.join(' ')}`));
  });
  return {
    pid: child.pid as number,
    relay: (from, to, trackingId) =>
      new Promise<void>((resolve, reject) => {
        waiting.set(trackingId, { resolve, reject });
        child.stdin.write(`${from} ${to} ${trackingId}\n`);
      }),
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin.end();
      child.kill();
      await exited;
    },
  };
}
