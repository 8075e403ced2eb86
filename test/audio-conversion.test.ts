/**
 * Converting to MP3 with a bounded ffmpeg, with both builds the app may run: limits of time, length and size, no
 * process left behind, and nothing given to playlists and concat lists that name the server's files.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type ConvertibleContainer, DEMUXER, HEAD_BYTES, needsSeeking, sniff } from '../src/audio/containers.ts';
import { type Conversion, convertArgs, convertToMp3 } from '../src/audio/convert.ts';
import { durationFromHead } from '../src/audio/duration.ts';
import { bundledFfmpeg, findFfmpeg } from '../src/audio/ffmpeg.ts';
import { ConversionError, SourceError } from '../src/errors.ts';
import { durationOf, FFMPEG, type Fixture, speech, wavHeader } from './helpers/audio.ts';

const dir = mkdtempSync(join(tmpdir(), 'audio-hardening-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Both builds the app may run: the system's (preferred) and the 2018 npm one (the fallback). */
const BUILDS: [string, string][] = [];
{
  const system = findFfmpeg(undefined);
  if (system.source === 'system') BUILDS.push(['system ffmpeg', system.path]);
  const npm = bundledFfmpeg();
  if (npm) BUILDS.push(['npm ffmpeg (2018)', npm]);
}
const CONTAINERS = Object.keys(DEMUXER) as ConvertibleContainer[];

function ffmpeg(args: string[]): Buffer {
  return execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** Reads a conversion's output to its end; the failure, if any, instead of throwing. */
async function drain(conversion: Conversion): Promise<{ bytes: Buffer; error?: unknown; seconds?: number }> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of conversion.output) chunks.push(chunk);
    const { seconds } = await conversion.done;
    return { bytes: Buffer.concat(chunks), seconds };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

/** Whether a process runs (a zombie does not count: it is dead, only not yet reaped). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

function reason(error: unknown): string | undefined {
  return error instanceof ConversionError ? error.reason : undefined;
}

/** Chunks of a buffer, as a download would deliver them. */
async function* chunked(bytes: Buffer, size = 16 * 1024): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

/** Duration of an MP3 held in memory, by ffmpeg's own decoding. */
function mp3Seconds(bytes: Buffer): number {
  const path = join(dir, `out-${process.hrtime.bigint()}.mp3`);
  writeFileSync(path, bytes);
  return durationOf(path);
}

// The secret the attacker wants: a local recording the app can read. A 1 kHz tone, 5 s.
const secretDir = join(dir, 'server-files');
mkdirSync(secretDir);
const secret = join(secretDir, 'secret.wav');
ffmpeg(['-f', 'lavfi', '-i', 'sine=f=1000:d=5', '-ac', '1', secret]);
const other = join(secretDir, 'other.wav');
ffmpeg(['-f', 'lavfi', '-i', 'sine=f=1000:d=5', '-ac', '1', other]);

/** Text files shared as `voice-note.ogg`, `audio/ogg`. */
const hlsPlaylist = join(dir, 'hls-voice-note.ogg');
writeFileSync(
  hlsPlaylist,
  `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\nfile://${secret}\n#EXT-X-ENDLIST\n`,
);
// No #EXT-X-ENDLIST: a live playlist, which an HLS reader polls for ever.
const livePlaylist = join(dir, 'live-voice-note.ogg');
writeFileSync(livePlaylist, `#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\nfile://${secret}\n`);
// ffconcat resolves relative names against the list's own folder.
const concatList = join(secretDir, 'voice-note.ogg');
writeFileSync(concatList, 'ffconcat version 1.0\nfile other.wav\n');
const ATTACKS: [string, string][] = [
  ['HLS playlist', hlsPlaylist],
  ['live HLS playlist', livePlaylist],
  ['ffconcat list', concatList],
];

describe.each(BUILDS)('%s', (_name, binary) => {
  const convert = (options: Omit<Parameters<typeof convertToMp3>[0], 'ffmpeg'>) =>
    convertToMp3({ ffmpeg: binary, ...options });

  it('the attack is real: ffmpeg left to probe reads the file a concat list names', () => {
    // What the app did before: no input format, no whitelist.
    const out = execFileSync(binary, [
      '-hide_banner',
      '-loglevel',
      'quiet',
      '-nostdin',
      '-i',
      concatList,
      '-f',
      'mp3',
      'pipe:1',
    ]);
    expect(mp3Seconds(out)).toBeGreaterThan(4.5);
  });

  it('a playlist or concat list forced through as any container gives no audio of the file it names', async () => {
    expect(existsSync(secret) && existsSync(other)).toBe(true);
    for (const [what, path] of ATTACKS) {
      for (const container of CONTAINERS) {
        const started = performance.now();
        const conversion = convert({ container, input: { path }, maxSeconds: 60, timeoutMs: 10_000 });
        const result = await drain(conversion);
        expect({ what, container, bytes: result.bytes.length }).toEqual({ what, container, bytes: 0 });
        expect(reason(result.error), `${what} as ${container}`).toBe('unreadable');
        expect(performance.now() - started, `${what} as ${container}`).toBeLessThan(3000);
        expect(alive(conversion.pid)).toBe(false);
      }
    }
  });

  it('the same lists piped in give nothing either', async () => {
    for (const [what, path] of ATTACKS) {
      const conversion = convert({
        container: 'ogg',
        input: { stream: chunked(readFileSync(path)) },
        maxSeconds: 60,
        timeoutMs: 10_000,
      });
      const result = await drain(conversion);
      expect({ what, bytes: result.bytes.length }).toEqual({ what, bytes: 0 });
      expect(reason(result.error)).toBe('unreadable');
    }
  });

  it("ffmpeg's messages go to the logs without the server's paths", async () => {
    const lines: string[] = [];
    const conversion = convert({
      container: 'wav',
      input: { path: hlsPlaylist },
      maxSeconds: 60,
      timeoutMs: 10_000,
      onStderr: (line) => lines.push(line),
    });
    const { error } = await drain(conversion);
    expect(error).toBeInstanceOf(ConversionError);
    const message = error instanceof Error ? error.message : '';
    expect(lines.length).toBeGreaterThan(0);
    for (const text of [message, ...lines]) {
      expect(text).not.toContain(dir);
      expect(text).not.toContain('/tmp');
    }
    expect(lines.join('\n')).toContain('<input>');
  });

  it('an hour of silence in 19 KB of FLAC is known to be an hour, and stops at the limit', async () => {
    const path = join(dir, 'hour-of-silence.flac');
    if (!existsSync(path)) {
      ffmpeg(
        ['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '3600', '-c:a', 'flac'].concat([
          '-frame_size',
          '32768',
          '-compression_level',
          '12',
          path,
        ]),
      );
    }
    const bytes = readFileSync(path);
    expect(bytes.length).toBeLessThan(32 * 1024);
    const head = bytes.subarray(0, HEAD_BYTES);
    expect(sniff(head)).toBe('flac');
    expect(durationFromHead('flac', head, bytes.length)).toBe(3600);

    for (const input of [{ path }, { stream: chunked(bytes) }]) {
      const started = performance.now();
      const conversion = convert({ container: 'flac', input, maxSeconds: 60, timeoutMs: 30_000 });
      const result = await drain(conversion);
      expect(reason(result.error)).toBe('too_long');
      expect(performance.now() - started).toBeLessThan(10_000);
      // 64 kbit/s is 8,000 bytes a second: at most ~61 s came out, not 28 MB.
      expect(result.bytes.length).toBeLessThan(62 * 8000);
      if (result.bytes.length > 0) expect(mp3Seconds(result.bytes)).toBeLessThan(61.5);
      expect(alive(conversion.pid)).toBe(false);
    }
  });

  it('a stream that never ends times out and leaves no ffmpeg', async () => {
    const start = readFileSync(speech('ogg')).subarray(0, 4096);
    let cancelled = false;
    async function* stalled(): AsyncGenerator<Uint8Array> {
      try {
        yield start;
        await new Promise(() => {});
      } finally {
        cancelled = true;
      }
    }
    const started = performance.now();
    const conversion = convert({ container: 'ogg', input: { stream: stalled() }, maxSeconds: 60, timeoutMs: 1500 });
    expect(alive(conversion.pid)).toBe(true);
    const result = await drain(conversion);
    const elapsed = performance.now() - started;
    expect(reason(result.error)).toBe('timed_out');
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(4000);
    expect(alive(conversion.pid)).toBe(false);
    // A source stuck in next() is left to its own deadline: it is not consumed further.
    expect(cancelled).toBe(false);
  });

  it('kill() leaves no ffmpeg, and done says it was stopped', async () => {
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield readFileSync(speech('webm')).subarray(0, 2048);
      await new Promise(() => {});
    }
    const conversion = convert({ container: 'webm', input: { stream: endless() }, maxSeconds: 60, timeoutMs: 60_000 });
    await sleep(200);
    expect(alive(conversion.pid)).toBe(true);
    conversion.kill();
    const result = await drain(conversion);
    expect(reason(result.error)).toBe('stopped');
    expect(alive(conversion.pid)).toBe(false);
  });

  it('a reader that stops early kills ffmpeg', async () => {
    const path = join(dir, 'long-tone.flac');
    if (!existsSync(path)) ffmpeg(['-f', 'lavfi', '-i', 'sine=f=300:d=600', '-ac', '1', '-c:a', 'flac', path]);
    const conversion = convert({ container: 'flac', input: { path }, maxSeconds: 3600, timeoutMs: 60_000 });
    for await (const _chunk of conversion.output) break;
    await expect(conversion.done).rejects.toMatchObject({ reason: 'stopped' });
    expect(alive(conversion.pid)).toBe(false);
  });

  it.each([
    ['webm', 'webm'],
    ['ogg', 'ogg'],
    ['flac', 'flac'],
    ['mp3', 'mp3'],
    ['aac', 'aac'],
    ['amr', 'amr'],
  ] as [Fixture, ConvertibleContainer][])(
    '%s piped in converts to an MP3 of the same length, with no file',
    async (kind, container) => {
      const bytes = readFileSync(speech(kind));
      expect(sniff(bytes.subarray(0, HEAD_BYTES))).toBe(container);
      expect(needsSeeking(container)).toBe(false);
      // The bytes exist only in memory: ffmpeg reads its stdin, and its command line names no file.
      const conversion = convert({
        container,
        input: { stream: chunked(bytes, 4096) },
        maxSeconds: 60,
        timeoutMs: 20_000,
      });
      const argv = readFileSync(`/proc/${conversion.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain('pipe:0');
      expect(argv.slice(1).some((arg) => arg.startsWith('/') || arg.startsWith('file:'))).toBe(false);
      const result = await drain(conversion);
      expect(result.error).toBeUndefined();
      const spoken = durationOf(speech('wav'));
      // AMR and raw AAC frames round the end up a little.
      expect(Math.abs(mp3Seconds(result.bytes) - spoken)).toBeLessThan(0.2);
      expect(Math.abs((result.seconds ?? 0) - spoken)).toBeLessThan(0.2);
      expect(result.bytes[0]).toBe(0xff);
    },
  );

  it.each([
    ['m4a', 'mp4'],
    ['mov', 'mp4'],
    ['wav', 'wav'],
  ] as [Fixture, ConvertibleContainer][])('%s read from its file converts', async (kind, container) => {
    const result = await drain(
      convert({ container, input: { path: speech(kind) }, maxSeconds: 60, timeoutMs: 20_000 }),
    );
    expect(result.error).toBeUndefined();
    expect(Math.abs(mp3Seconds(result.bytes) - durationOf(speech('wav')))).toBeLessThan(0.2);
  });

  it('the wrong container for the bytes is unreadable, not guessed', async () => {
    const result = await drain(
      convert({ container: 'flac', input: { path: speech('ogg') }, maxSeconds: 60, timeoutMs: 10_000 }),
    );
    expect(reason(result.error)).toBe('unreadable');
    expect(result.bytes.length).toBe(0);
  });

  it('piping honours back-pressure, and an ffmpeg that stops early (EPIPE) harms nothing', async () => {
    // Ten minutes of 16 kHz WAV (19 MB), made as it is pulled.
    const total = 600 * 32_000;
    let pulled = 0;
    let cancelled = false;
    async function* wav(): AsyncGenerator<Uint8Array> {
      try {
        const header = wavHeader(total);
        yield header;
        const chunk = Buffer.alloc(64 * 1024);
        for (let i = 0; i < chunk.length; i += 2) chunk.writeInt16LE(Math.round(8000 * Math.sin(i / 10)), i);
        for (let sent = 0; sent < total; sent += chunk.length) {
          pulled += chunk.length;
          yield chunk;
        }
      } finally {
        cancelled = true;
      }
    }
    const conversion = convert({ container: 'wav', input: { stream: wav() }, maxSeconds: 30, timeoutMs: 20_000 });
    // Nobody reads the MP3 for a while: ffmpeg blocks on its output, stops reading, and the source waits.
    await sleep(1500);
    expect(pulled).toBeLessThan(8 * 1024 * 1024);
    const result = await drain(conversion);
    // ffmpeg stopped at 31 s with most of the source unsent: the source was cancelled, nothing crashed.
    expect(reason(result.error)).toBe('too_long');
    expect(pulled).toBeLessThan(total / 2);
    await sleep(50);
    expect(cancelled).toBe(true);
    expect(alive(conversion.pid)).toBe(false);
  });

  it('a source that fails kills ffmpeg and rejects with SourceError', async () => {
    const bytes = readFileSync(speech('ogg'));
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes.subarray(0, 2048);
      await sleep(100);
      throw new Error('connection reset by Slack');
    }
    const conversion = convert({ container: 'ogg', input: { stream: broken() }, maxSeconds: 60, timeoutMs: 10_000 });
    const result = await drain(conversion);
    expect(result.error).toBeInstanceOf(SourceError);
    expect(result.error instanceof SourceError && result.error.message).toMatch(/connection reset by Slack/);
    expect(alive(conversion.pid)).toBe(false);
  });

  it('an MP3 past maxOutputBytes fails output_too_large', async () => {
    const result = await drain(
      convert({
        container: 'wav',
        input: { path: speech('wav') },
        maxSeconds: 60,
        timeoutMs: 10_000,
        maxOutputBytes: 8000,
      }),
    );
    expect(reason(result.error)).toBe('output_too_large');
    expect(result.bytes.length).toBeLessThan(8000 + 4096);
  });
});

describe('convertToMp3 without an ffmpeg', () => {
  it('fails cannot_start', async () => {
    const conversion = convertToMp3({
      ffmpeg: '/nonexistent/ffmpeg',
      container: 'ogg',
      input: { stream: chunked(readFileSync(speech('ogg'))) },
      maxSeconds: 60,
      timeoutMs: 10_000,
    });
    const result = await drain(conversion);
    expect(reason(result.error)).toBe('cannot_start');
    expect(result.error instanceof Error && result.error.message).toMatch(/ENOENT/);
  });
});

describe('convertArgs', () => {
  it('forces the demuxer, whitelists it alone and one protocol, and limits the output', () => {
    const fromFile = convertArgs({ container: 'mp4', input: { path: '/w/in' }, maxSeconds: 7200, maxOutputBytes: 1e6 });
    const argAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1];
    expect(argAfter(fromFile, '-f')).toBe('mov');
    expect(argAfter(fromFile, '-format_whitelist')).toBe('mov');
    expect(argAfter(fromFile, '-protocol_whitelist')).toBe('file');
    expect(argAfter(fromFile, '-enable_drefs')).toBe('0');
    expect(argAfter(fromFile, '-i')).toBe('file:/w/in');
    expect(argAfter(fromFile, '-t')).toBe('7201');
    expect(argAfter(fromFile, '-fs')).toBe('1000000');
    expect(argAfter(fromFile, '-map')).toBe('0:a:0');
    expect(argAfter(fromFile, '-progress')).toBe('pipe:3');
    expect(fromFile).toContain('-nostdin');
    // Input options come before -i, output options after it.
    expect(fromFile.indexOf('-format_whitelist')).toBeLessThan(fromFile.indexOf('-i'));
    expect(fromFile.indexOf('-t')).toBeGreaterThan(fromFile.indexOf('-i'));

    const piped = convertArgs({ container: 'webm', input: 'stdin', maxSeconds: 60 });
    expect(argAfter(piped, '-protocol_whitelist')).toBe('pipe');
    expect(argAfter(piped, '-f')).toBe('matroska');
    expect(argAfter(piped, '-i')).toBe('pipe:0');
    expect(piped).not.toContain('-nostdin');
    expect(piped).not.toContain('-enable_drefs');
    expect(piped).not.toContain('-fs');
  });
});

describe('conversions leave nothing running', () => {
  it('no ffmpeg child of this process remains', async () => {
    const children = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === process.pid && alive(Number(entry))) children.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
      } catch {
        // Gone meanwhile.
      }
    }
    expect(children.filter((c) => c.includes('ffmpeg'))).toEqual([]);
  });
});
