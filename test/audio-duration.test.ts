/**
 * How long a recording is, read from its first bytes (WAV, FLAC, MP3, MP4, WebM), and hostile bytes that must never
 * throw or loop.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Container, HEAD_BYTES, needsSeeking, sniff } from '../src/audio/containers.ts';
import { durationFromHead } from '../src/audio/duration.ts';
import { durationOf, FFMPEG, speech } from './helpers/audio.ts';
import { box } from './helpers/mp4.ts';

const dir = mkdtempSync(join(tmpdir(), 'audio-duration-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Makes a file with ffmpeg: a lavfi source, encoder options, the output name. */
function make(name: string, source: string, seconds: number, encode: string[]): string {
  const out = join(dir, name);
  execFileSync(FFMPEG, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    source,
    '-t',
    String(seconds),
    ...encode,
    out,
  ]);
  return out;
}

/**
 * Makes a file with ffmpeg writing to a pipe, as a recorder that cannot seek back to fix its header. The
 * length is the source's own (`d=`), so that the muxer is not told it in advance as `-t` would.
 */
function makeStreamed(source: string, encode: string[]): Buffer {
  return execFileSync(
    FFMPEG,
    ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, ...encode, 'pipe:1'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/** What the app sees: the first HEAD_BYTES bytes and the size Slack reports. */
function fromHead(bytes: Buffer): { container: Container; seconds: number | undefined } {
  const head = bytes.subarray(0, HEAD_BYTES);
  const container = sniff(head);
  return { container, seconds: durationFromHead(container, head, bytes.length) };
}

const file = (path: string) => readFileSync(path);

describe('durationFromHead tells how long a file is from its first bytes', () => {
  const spoken = durationOf(speech('wav'));

  it('WAV: data chunk size over byte rate', () => {
    const { container, seconds } = fromHead(file(speech('wav')));
    expect(container).toBe('wav');
    expect(seconds).toBeCloseTo(spoken, 2);
    const stereo = fromHead(file(make('stereo.wav', 'sine=f=440:r=48000', 7.5, ['-ac', '2', '-c:a', 'pcm_s24le'])));
    expect(stereo.seconds).toBeCloseTo(7.5, 3);
  });

  it('WAV written to a pipe (sizes 0xFFFFFFFF): from the total size, unknown without it', () => {
    const bytes = makeStreamed('sine=f=440:r=16000:d=12', ['-ac', '1', '-f', 'wav']);
    expect(bytes.readUInt32LE(4)).toBe(0xffffffff);
    expect(fromHead(bytes).seconds).toBeCloseTo(12, 2);
    expect(durationFromHead('wav', bytes.subarray(0, HEAD_BYTES))).toBeUndefined();
  });

  it('FLAC: STREAMINFO total samples over sample rate; 0 samples is unknown', () => {
    const { container, seconds } = fromHead(file(speech('flac')));
    expect(container).toBe('flac');
    expect(seconds).toBeCloseTo(spoken, 2);
    // Written to a pipe, ffmpeg cannot go back to fill in the sample count.
    const streamed = makeStreamed('sine=f=440:r=16000:d=3', ['-c:a', 'flac', '-f', 'flac']);
    expect(fromHead(streamed)).toEqual({ container: 'flac', seconds: undefined });
  });

  it('FLAC: a 19 KB file of one hour of silence says 3600 s', () => {
    const path = make('silence.flac', 'anullsrc=r=8000:cl=mono', 3600, [
      '-c:a',
      'flac',
      '-frame_size',
      '32768',
      '-compression_level',
      '12',
    ]);
    expect(statSync(path).size).toBeLessThan(32 * 1024);
    expect(fromHead(file(path))).toEqual({ container: 'flac', seconds: 3600 });
  });

  it('MP3 at a constant bit rate with no header frame: from the first frame and the total size', () => {
    const path = make('cbr.mp3', 'sine=f=440:r=44100', 20, ['-c:a', 'libmp3lame', '-b:a', '128k', '-write_xing', '0']);
    const bytes = file(path);
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('ID3');
    expect(bytes.includes('Xing')).toBe(false);
    expect(bytes.includes('Info')).toBe(false);
    const { container, seconds } = fromHead(bytes);
    expect(container).toBe('mp3');
    expect(seconds).toBeGreaterThan(19.9);
    expect(seconds).toBeLessThan(20.2);
    expect(durationFromHead('mp3', bytes.subarray(0, HEAD_BYTES))).toBeUndefined();
  });

  it('MP3 with an Info header (CBR) and with a Xing header (VBR): from its frame count', () => {
    const cbr = fromHead(file(speech('mp3')));
    expect(cbr.container).toBe('mp3');
    expect(cbr.seconds).toBeGreaterThan(spoken - 0.01);
    expect(cbr.seconds).toBeLessThan(spoken + 0.1);

    const path = make('vbr.mp3', 'sine=f=440:r=44100', 30, ['-c:a', 'libmp3lame', '-q:a', '4']);
    const bytes = file(path);
    expect(bytes.includes('Xing')).toBe(true);
    // The frame count alone: the total size is not needed, and a wrong one changes nothing.
    expect(durationFromHead('mp3', bytes.subarray(0, HEAD_BYTES))).toBeCloseTo(30.05, 1);
    expect(durationFromHead('mp3', bytes.subarray(0, HEAD_BYTES), 999)).toBeCloseTo(30.05, 1);
  });

  it('MP3 with a VBRI header (Fraunhofer): from its frame count', () => {
    // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, stereo; VBRI 32 bytes after the header, 1000 frames.
    const frame = Buffer.alloc(417);
    frame.writeUInt32BE(0xfffb9000, 0);
    frame.write('VBRI', 36, 'latin1');
    frame.writeUInt16BE(1, 40);
    frame.writeUInt32BE(1000, 50);
    const next = Buffer.from([0xff, 0xfb, 0x90, 0x00]);
    expect(durationFromHead('mp3', Buffer.concat([frame, next]))).toBeCloseTo((1000 * 1152) / 44100, 6);
  });

  it('M4A with moov first: mvhd (version 0)', () => {
    const path = make('faststart.m4a', 'sine=f=440:r=44100', 95, [
      '-c:a',
      'aac',
      '-b:a',
      '32k',
      '-movflags',
      '+faststart',
    ]);
    const bytes = file(path);
    expect(bytes.length).toBeGreaterThan(HEAD_BYTES);
    const { container, seconds } = fromHead(bytes);
    expect(container).toBe('mp4');
    expect(seconds).toBeGreaterThan(94.9);
    expect(seconds).toBeLessThan(95.1);
    expect(needsSeeking('mp4', bytes.subarray(0, HEAD_BYTES))).toBe(false);
  });

  it('M4A with moov at the end, past the head: unknown, and it must be read from disk', () => {
    const bytes = file(make('moov-last.m4a', 'sine=f=440:r=44100', 95, ['-c:a', 'aac', '-b:a', '32k']));
    expect(fromHead(bytes)).toEqual({ container: 'mp4', seconds: undefined });
    expect(needsSeeking('mp4', bytes.subarray(0, HEAD_BYTES))).toBe(true);
    expect(needsSeeking('mp4')).toBe(true);
  });

  it('MP4 mvhd version 1 (64-bit times)', () => {
    const mvhd = Buffer.alloc(108);
    mvhd[0] = 1;
    mvhd.writeUInt32BE(48_000, 20);
    mvhd.writeBigUInt64BE(48_000n * 5_000n, 24);
    const bytes = Buffer.concat([box('ftyp', Buffer.from('M4A \0\0\0\0', 'latin1')), box('moov', box('mvhd', mvhd))]);
    expect(fromHead(bytes)).toEqual({ container: 'mp4', seconds: 5000 });
  });

  it('WebM: Segment Info Duration × TimecodeScale; a recording streamed live has none', () => {
    const { container, seconds } = fromHead(file(speech('webm')));
    expect(container).toBe('webm');
    expect(seconds).toBeGreaterThan(spoken - 0.05);
    expect(seconds).toBeLessThan(spoken + 0.05);
    const mkv = fromHead(file(make('tone.mka', 'sine=f=440:r=48000', 42, ['-c:a', 'libopus', '-b:a', '24k'])));
    expect(mkv.container).toBe('webm');
    expect(mkv.seconds).toBeCloseTo(42, 1);
    const live = makeStreamed('sine=f=440:r=48000:d=3', ['-c:a', 'libopus', '-f', 'webm']);
    expect(fromHead(live)).toEqual({ container: 'webm', seconds: undefined });
  });

  it('other containers: unknown', () => {
    expect(durationFromHead('ogg', file(speech('ogg')))).toBeUndefined();
    expect(durationFromHead('aac', file(speech('aac')))).toBeUndefined();
    expect(durationFromHead('unknown', file(speech('wav')))).toBeUndefined();
  });
});

describe('durationFromHead on hostile bytes', () => {
  const real: [Container, Buffer][] = [
    ['wav', file(speech('wav')).subarray(0, 4096)],
    ['flac', file(speech('flac')).subarray(0, 4096)],
    ['mp3', file(speech('mp3')).subarray(0, 4096)],
    ['mp4', file(speech('m4a'))],
    ['webm', file(speech('webm')).subarray(0, 4096)],
  ];
  const containers: Container[] = ['wav', 'flac', 'mp3', 'mp4', 'webm', 'ogg', 'unknown'];
  const valid = (s: number | undefined) => s === undefined || (Number.isFinite(s) && s > 0);

  it('random bytes of any length never throw and give a finite duration or none', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 16;
    };
    const started = performance.now();
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.alloc(random() % 600);
      for (let j = 0; j < bytes.length; j++) bytes[j] = random() & 0xff;
      // Real magic numbers in front, so that the parsers go past their first check.
      const [container, sample] = real[i % real.length];
      const prefix = sample.subarray(0, random() % 64);
      const head = Buffer.concat([prefix, bytes]);
      for (const c of containers) expect(valid(durationFromHead(c, head, random()))).toBe(true);
      expect(valid(durationFromHead(container, head))).toBe(true);
    }
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('real files cut at every length, and with bytes flipped, never throw', () => {
    for (const [container, bytes] of real) {
      const upTo = Math.min(bytes.length, 1500);
      for (let n = 0; n <= upTo; n++) expect(valid(durationFromHead(container, bytes.subarray(0, n)))).toBe(true);
      for (let at = 0; at < Math.min(bytes.length, 400); at++) {
        for (const value of [0x00, 0xff, 0x01, 0x80]) {
          const copy = Buffer.from(bytes.subarray(0, 1024));
          copy[at] = value;
          expect(valid(durationFromHead(container, copy, bytes.length))).toBe(true);
        }
      }
    }
  });

  it('a Matroska element of unknown size or a box of size 0 does not loop', () => {
    const ebml = Buffer.from([
      0x1a, 0x45, 0xdf, 0xa3, 0x80, 0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ]);
    expect(durationFromHead('webm', Buffer.concat([ebml, Buffer.alloc(1000, 0xff)]))).toBeUndefined();
    const zeroBox = Buffer.from([0, 0, 0, 0, 0x6d, 0x6f, 0x6f, 0x76, 0, 0, 0, 0, 0x6d, 0x76, 0x68, 0x64]);
    expect(durationFromHead('mp4', zeroBox)).toBeUndefined();
  });
});
