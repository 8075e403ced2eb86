/**
 * The private folder where a file waits for ffmpeg: its modes, what is written there and removed, what the running app
 * puts there, and the sweep of a dead process's folder at start.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { convertToMp3 } from '../src/audio/convert.ts';
import { createWorkdir, sweepStale } from '../src/audio/workdir.ts';
import { FFMPEG, speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { failureReply } from './helpers/memos.ts';

// A base of the test's own, so that no real folder of a running app is swept.
const base = mkdtempSync(join(tmpdir(), 'audio-workdir-'));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(base, { recursive: true, force: true });
});

const apps: Harness[] = [];
afterEach(async () => {
  for (const h of apps.splice(0).reverse()) await h.stop();
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  apps.push(h);
  return h;
}

async function* bytesOf(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

/** A pid that no process has now: a child that ran and exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

function exited(child: ChildProcess): Promise<NodeJS.Signals | number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
}

describe('the private work folder', () => {
  it('is 0700, named after the pid, with files created 0600', async () => {
    const workdir = await createWorkdir(base);
    expect(workdir.path.startsWith(join(base, `omicall-transcriber-${process.pid}-`))).toBe(true);
    expect(statSync(workdir.path).mode & 0o777).toBe(0o700);
    const file = await workdir.write(bytesOf('RIFF', '....WAVE'), '.wav');
    expect(file.startsWith(`${workdir.path}/`)).toBe(true);
    expect(file.endsWith('.wav')).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(file).size).toBe(12);
    await workdir.discard(file);
    expect(existsSync(file)).toBe(false);
    await workdir.remove();
    expect(existsSync(workdir.path)).toBe(false);
  });

  it('removes a partly written file when the source fails', async () => {
    const workdir = await createWorkdir(base);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('download cut');
    }
    await expect(workdir.write(failing())).rejects.toThrow('download cut');
    expect(readdirSync(workdir.path)).toEqual([]);
    await expect(workdir.write(bytesOf('x'), '/../escape')).rejects.toThrow(/separator/);
    await workdir.remove();
  });

  it('a file written there converts, and ffmpeg names it on its command line', async () => {
    const workdir = await createWorkdir(base);
    const file = await workdir.write(createReadStream(speech('m4a')), '.m4a');
    const conversion = convertToMp3({
      ffmpeg: FFMPEG,
      container: 'mp4',
      input: { path: file },
      maxSeconds: 60,
      timeoutMs: 20_000,
    });
    const cmdline = await readFile(`/proc/${conversion.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain(workdir.path);
    let bytes = 0;
    for await (const chunk of conversion.output) bytes += chunk.byteLength;
    expect((await conversion.done).seconds).toBeGreaterThan(1);
    expect(bytes).toBeGreaterThan(1000);
    await workdir.remove();
  });
});

describe('sweepStale at start', () => {
  it("removes a dead process's folder after killing the ffmpeg still reading from it", async () => {
    const pid = await deadPid();
    const stale = join(base, `omicall-transcriber-${pid}-Ab12Cd`);
    mkdirSync(stale, { mode: 0o700 });
    const input = join(stale, 'memo.flac');
    execFileSync(FFMPEG, [
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=8000:cl=mono',
      '-t',
      '600',
      '-c:a',
      'flac',
      input,
    ]);
    // An ffmpeg orphaned by a SIGKILL of the app, still reading its input (in real time: for ten minutes).
    const orphan = spawn(FFMPEG, ['-nostdin', '-loglevel', 'quiet', '-re', '-i', input, '-f', 'null', '-'], {
      stdio: 'ignore',
    });
    started.push(orphan);
    await sleep(300);
    expect(orphan.exitCode).toBeNull();

    const swept = await sweepStale(base);
    expect(swept).toEqual([{ path: stale, pid, killed: [orphan.pid] }]);
    expect(await exited(orphan)).toBe('SIGKILL');
    expect(existsSync(stale)).toBe(false);
  });

  it("keeps a live process's folder, and what is not its own", async () => {
    const owner = spawn('sleep', ['300'], { stdio: 'ignore' });
    started.push(owner);
    await sleep(100);
    const live = join(base, `omicall-transcriber-${owner.pid}-Zz9Yy8`);
    mkdirSync(live, { mode: 0o700 });
    const fixtures = join(base, 'omicall-transcriber-fixtures');
    mkdirSync(fixtures);
    const lookalike = join(base, `omicall-transcriber-${await deadPid()}-toolong1`);
    mkdirSync(lookalike);

    expect(await sweepStale(base)).toEqual([]);
    expect(existsSync(live) && existsSync(fixtures) && existsSync(lookalike)).toBe(true);
    owner.kill('SIGKILL');
    await exited(owner);
    expect((await sweepStale(base)).map((s) => s.path)).toEqual([live]);
    rmSync(fixtures, { recursive: true });
    rmSync(lookalike, { recursive: true });
  });

  it("removes a folder whose pid was reused by a later process, or is this process's own", async () => {
    const other = spawn('sleep', ['300'], { stdio: 'ignore' });
    started.push(other);
    await sleep(100);
    // Written an hour before that process started: it belonged to an earlier process with the same pid,
    // as when the app is pid 1 in each new container.
    const reused = join(base, `omicall-transcriber-${other.pid}-Qq1Ww2`);
    mkdirSync(reused);
    const anHourAgo = new Date(Date.now() - 3600_000);
    utimesSync(reused, anHourAgo, anHourAgo);
    const mine = join(base, `omicall-transcriber-${process.pid}-Ee3Rr4`);
    mkdirSync(mine);

    const swept = await sweepStale(base);
    expect(swept.map((s) => s.path).sort()).toEqual([mine, reused].sort());
    expect(other.exitCode).toBeNull();
    other.kill('SIGKILL');
  });

  it('keeps the folders this process made and still uses (two app instances in one process)', async () => {
    const first = await createWorkdir(base);
    expect(await sweepStale(base)).toEqual([]);
    const file = await first.write(
      (async function* () {
        yield new Uint8Array([1, 2, 3]);
      })(),
    );
    expect(await readFile(file)).toEqual(Buffer.from([1, 2, 3]));
    await first.remove();
  });

  it('a base that does not exist sweeps nothing', async () => {
    expect(await sweepStale(join(base, 'nope'))).toEqual([]);
  });
});

describe('the work folder of the running app', () => {
  it('streamed audio never touches the disk; an MP4 waits in a private 0600 file, removed after, also after a failure', async () => {
    const base = mkdtempSync(join(tmpdir(), 'transcriber-tmp-'));
    const h = await start({ overrides: { tmpBase: base } });
    const [folder] = readdirSync(base);
    const dir = join(base, folder);
    expect(folder).toMatch(/^omicall-transcriber-\d+-/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    h.omicall.uploadDelayMs = 300;

    let seen = 0;
    const watch = setInterval(() => {
      seen += readdirSync(dir).length;
    }, 5);
    const clip = h.slack.addFile({ name: 'clip.webm', mimetype: 'audio/webm', path: speech('webm') });
    await h.share([clip]);
    await waitFor(() => h.omicall.uploads.length === 1, 10_000, 'the WebM upload');
    clearInterval(watch);
    expect(seen).toBe(0);

    const video = h.slack.addFile({ name: 'clip.mp4', mimetype: 'video/mp4', path: speech('mp4') });
    await h.share([video]);
    const mode = await waitFor(
      () => {
        const [file] = readdirSync(dir);
        return file ? statSync(join(dir, file)).mode & 0o777 : undefined;
      },
      5000,
      'the MP4 on disk',
    );
    expect(mode).toBe(0o600);
    await waitFor(() => h.omicall.uploads.length === 2, 10_000, 'the MP4 upload');
    await waitFor(() => readdirSync(dir).length === 0, 3000, 'temp file removed');

    const broken = h.slack.addFile({
      name: 'broken.mp4',
      mimetype: 'video/mp4',
      bytes: Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1'), Buffer.alloc(5000, 7)]),
    });
    const { channel, ts } = await h.share([broken]);
    const reply = await failureReply(h, channel, ts);
    expect(reply.text).toMatch(/not audio OMICall can take, and it could not be converted/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
