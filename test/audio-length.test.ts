/**
 * How long a file sent as it is really plays (src/audio/length.ts), read over the whole file from its structure:
 * real files made by ffmpeg, and the same files with their headers edited to hide their length.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { id3v2End } from '../src/audio/containers.ts';
import { durationFromHead } from '../src/audio/duration.ts';
import { LENGTH_LIMITS, lengthOfFile } from '../src/audio/length.ts';
import { secondsOf, speech, wavHeader } from './helpers/audio.ts';
import { type LongAudio, longAudio } from './helpers/long-audio.ts';
import { box } from './helpers/mp4.ts';

const dir = mkdtempSync(join(tmpdir(), 'lengths-'));
let files: LongAudio;
beforeAll(() => {
  files = longAudio(dir, 180);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the length of a file sent as it is', () => {
  it.each([
    ['wav', 'wav'],
    ['mp3', 'mp3'],
    ['m4a', 'mp4'],
  ] as const)('a spoken %s is as long as its speech', async (kind, container) => {
    const seconds = await lengthOfFile(speech(kind), container);
    expect(seconds).toBeGreaterThan(secondsOf(speech('wav')) - 0.1);
    expect(seconds).toBeLessThan(secondsOf(speech('wav')) + 0.2);
  });

  it.each([
    ['a WAV', 'wav', 'wav'],
    ['an MP3', 'mp3', 'mp3'],
    ['an M4A whose index follows the audio', 'm4aMoovLast', 'mp4'],
    ['an MP3 behind an 80 KB ID3 tag', 'mp3BigTag', 'mp3'],
    ['a WAV with a 70 KB chunk before its data', 'wavChunkFirst', 'wav'],
    ['an MP3 whose Xing header counts 0.36 s', 'mp3LyingXing', 'mp3'],
    ['a WAV whose byte rate says 1.8 s', 'wavLyingByteRate', 'wav'],
  ] as const)('%s of 180 s is 180 s long', async (_, file, container) => {
    const seconds = await lengthOfFile(files[file], container);
    expect(seconds).toBeGreaterThan(179.5);
    expect(seconds).toBeLessThan(180.5);
  });

  it('the headers alone are fooled by the edited files: that is why the whole file is read', () => {
    const head = (path: string) => new Uint8Array(readFileSync(path).subarray(0, 64 * 1024));
    expect(durationFromHead('mp3', head(files.mp3LyingXing))).toBeLessThan(1);
    expect(durationFromHead('wav', head(files.wavLyingByteRate), 2_880_044)).toBeLessThan(2);
    expect(durationFromHead('mp4', head(files.m4aMoovLast))).toBeUndefined();
    expect(durationFromHead('mp3', head(files.mp3BigTag))).toBeUndefined();
  });

  it('says nothing of what it cannot read, so that the file is converted instead', async () => {
    const write = (name: string, bytes: Buffer) => {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    };
    const adpcm = wavHeader(16_000);
    adpcm.writeUInt16LE(0x11, 20);
    const hugeMoov = Buffer.alloc(16);
    hugeMoov.writeUInt32BE(1, 0);
    hugeMoov.write('moov', 4, 'latin1');
    hugeMoov.writeBigUInt64BE(2n ** 40n, 8);
    const cases: [string, 'wav' | 'mp3' | 'mp4'][] = [
      [write('empty.wav', Buffer.alloc(0)), 'wav'],
      [write('adpcm.wav', Buffer.concat([adpcm, Buffer.alloc(16_000)])), 'wav'],
      [write('no-data.wav', wavHeader(0).subarray(0, 36)), 'wav'],
      [write('noise.mp3', Buffer.alloc(100_000, 0x41)), 'mp3'],
      [write('tag-only.mp3', Buffer.from('ID3\x04\x00\x00\x7f\x7f\x7f\x7f', 'latin1')), 'mp3'],
      [write('huge-moov.m4a', hugeMoov), 'mp4'],
      [write('no-moov.m4a', Buffer.from('\x00\x00\x00\x08mdat', 'latin1')), 'mp4'],
    ];
    for (const [path, container] of cases) expect(await lengthOfFile(path, container)).toBeUndefined();
  });
});

/** Writes `bytes` to a file in the test folder and gives its path. */
function saved(name: string, bytes: Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** A RIFF chunk, padded to an even length as RIFF requires. */
function riffChunk(id: string, body: Buffer, declared = body.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(declared, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
}

interface Fmt {
  format?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  blockAlign?: number;
  /** The chunk's size: 16 for plain PCM, 40 for WAVE_FORMAT_EXTENSIBLE; shorter ones are cut. */
  size?: number;
  /** The sub-format an extensible `fmt ` names at byte 24. */
  subFormat?: number;
}

function fmtChunk({ format = 1, channels = 1, rate = 16_000, bits = 16, blockAlign, size = 16, subFormat }: Fmt) {
  const align = blockAlign ?? channels * Math.ceil(bits / 8);
  const body = Buffer.alloc(Math.max(size, 40));
  body.writeUInt16LE(format, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(rate, 4);
  body.writeUInt32LE(rate * align, 8);
  body.writeUInt16LE(align, 12);
  body.writeUInt16LE(bits, 14);
  if (subFormat !== undefined) {
    body.writeUInt16LE(22, 16);
    body.writeUInt16LE(bits, 18);
    body.writeUInt16LE(subFormat, 24);
  }
  return riffChunk('fmt ', body.subarray(0, size));
}

/** A WAV of the given chunks after its 12-byte RIFF header. */
function riff(chunks: Buffer[], magic = 'RIFF', form = 'WAVE'): Buffer {
  const body = Buffer.concat(chunks);
  const head = Buffer.alloc(12);
  head.write(magic, 0, 'latin1');
  head.writeUInt32LE(magic === 'RF64' ? 0xffffffff : body.length + 4, 4);
  head.write(form, 8, 'latin1');
  return Buffer.concat([head, body]);
}

/** `ds64`: the 64-bit RIFF and data sizes of an RF64 file. */
function ds64(dataBytes: number): Buffer {
  const body = Buffer.alloc(28);
  body.writeBigUInt64LE(BigInt(dataBytes + 100), 0);
  body.writeBigUInt64LE(BigInt(dataBytes), 8);
  return riffChunk('ds64', body);
}

/** 16 kHz 16-bit mono: 32,000 bytes a second. */
const WAV_RATE = 32_000;

describe('the length of a WAV', () => {
  const wavLength = (name: string, bytes: Buffer) => lengthOfFile(saved(name, bytes), 'wav');
  const oneSecond = () => [fmtChunk({}), riffChunk('data', Buffer.alloc(WAV_RATE))];

  it('a WAV built chunk by chunk is as long as its data over its sample rate and block size', async () => {
    expect(await wavLength('plain.wav', riff(oneSecond()))).toBe(1);
  });

  it('a file that is not RIFF WAVE is not measured, even with WAV chunks inside', async () => {
    expect(await wavLength('rifx.wav', riff(oneSecond(), 'RIFX'))).toBeUndefined();
    expect(await wavLength('avi.wav', riff(oneSecond(), 'RIFF', 'AVI '))).toBeUndefined();
  });

  it('a WAV whose data chunk is empty has no length', async () => {
    expect(await wavLength('empty-data.wav', riff([fmtChunk({}), riffChunk('data', Buffer.alloc(0))]))).toBeUndefined();
  });

  it('a WAV cut short is as long as the samples it still holds', async () => {
    const whole = readFileSync(speech('wav'));
    const half = whole.subarray(0, 44 + Math.floor((whole.length - 44) / 4) * 2);
    const seconds = await wavLength('cut.wav', half);
    expect(seconds).toBeCloseTo(secondsOf(speech('wav')) / 2, 3);
  });

  it('a WAV with a chunk after its data is as long as its data chunk says, not the rest of the file', async () => {
    const whole = readFileSync(speech('wav'));
    const trailed = Buffer.concat([whole, riffChunk('LIST', Buffer.alloc(64_000))]);
    expect(await wavLength('trailed.wav', trailed)).toBeCloseTo(secondsOf(speech('wav')), 6);
  });

  it.each([
    ['0', 0],
    ['all ones', 0xffffffff],
  ])('a WAV whose data size is %s (streamed) runs to the end of the file', async (_, declared) => {
    const bytes = riff([fmtChunk({}), riffChunk('data', Buffer.alloc(WAV_RATE * 2), declared)]);
    expect(await wavLength(`streamed-${declared}.wav`, bytes)).toBe(2);
  });

  it('an RF64 WAV is as long as its ds64 chunk says when its data size is all ones', async () => {
    const bytes = riff(
      [ds64(WAV_RATE), fmtChunk({}), riffChunk('data', Buffer.alloc(WAV_RATE * 3), 0xffffffff)],
      'RF64',
    );
    expect(await wavLength('rf64.wav', bytes)).toBe(1);
  });

  it('an RF64 WAV whose data chunk gives a real size is as long as that size', async () => {
    const bytes = riff([ds64(WAV_RATE), fmtChunk({}), riffChunk('data', Buffer.alloc(WAV_RATE * 2))], 'RF64');
    expect(await wavLength('rf64-sized.wav', bytes)).toBe(2);
  });

  it('a plain RIFF WAV with a stray ds64 chunk is as long as its data chunk says', async () => {
    const bytes = riff([ds64(WAV_RATE), fmtChunk({}), riffChunk('data', Buffer.alloc(WAV_RATE * 2))]);
    expect(await wavLength('riff-ds64.wav', bytes)).toBe(2);
  });

  it('a plain RIFF WAV with a stray ds64 chunk and a streamed data size runs to the end of the file', async () => {
    const bytes = riff([ds64(WAV_RATE), fmtChunk({}), riffChunk('data', Buffer.alloc(WAV_RATE * 2), 0xffffffff)]);
    expect(await wavLength('riff-ds64-streamed.wav', bytes)).toBe(2);
  });

  it('a WAV whose first fmt chunk is not PCM is not measured, even with a PCM one after it', async () => {
    const bytes = riff([fmtChunk({ format: 0x11 }), ...oneSecond()]);
    expect(await wavLength('two-fmt.wav', bytes)).toBeUndefined();
  });

  it('an RF64 file cut inside its ds64 chunk is not measured', async () => {
    const bytes = riff([Buffer.from('ds64\x1c\x00\x00\x00\x00\x00\x00\x00', 'latin1')], 'RF64');
    expect(await wavLength('rf64-cut.wav', bytes)).toBeUndefined();
  });

  it(`a WAV whose data is the ${LENGTH_LIMITS.wavChunks}th chunk is measured; one chunk later it is not`, async () => {
    const junk = (n: number) => Array.from({ length: n }, () => riffChunk('junk', Buffer.alloc(0)));
    const last = riff([fmtChunk({}), ...junk(LENGTH_LIMITS.wavChunks - 2), riffChunk('data', Buffer.alloc(WAV_RATE))]);
    const past = riff([fmtChunk({}), ...junk(LENGTH_LIMITS.wavChunks - 1), riffChunk('data', Buffer.alloc(WAV_RATE))]);
    expect(await wavLength('last-chunk.wav', last)).toBe(1);
    expect(await wavLength('past-chunk.wav', past)).toBeUndefined();
  });

  it.each([
    ['a 40-byte PCM fmt chunk', { size: 40 }, 1],
    ['an extensible fmt chunk naming PCM', { format: 0xfffe, size: 40, subFormat: 1 }, 1],
    ['a 26-byte extensible fmt chunk naming PCM', { format: 0xfffe, size: 26, subFormat: 1 }, 1],
    ['an extensible fmt chunk naming float', { format: 0xfffe, size: 40, subFormat: 3, bits: 32 }, 0.5],
    ['8-bit samples', { bits: 8 }, 2],
    ['32 channels', { channels: 32 }, 1 / 32],
    ['1 kHz', { rate: 1_000 }, 16],
    ['768 kHz', { rate: 768_000 }, 1 / 48],
  ] as [string, Fmt, number][])('a WAV with %s is measured', async (name, fmt, seconds) => {
    const bytes = riff([fmtChunk(fmt), riffChunk('data', Buffer.alloc(WAV_RATE))]);
    expect(await wavLength(`fmt-${name.replaceAll(' ', '-')}.wav`, bytes)).toBeCloseTo(seconds, 9);
  });

  it.each([
    ['a fmt chunk too short to give its bit depth', { size: 14 }],
    ['an extensible fmt chunk too short to name its sub-format', { format: 0xfffe, size: 18 }],
    ['an extensible fmt chunk naming ADPCM', { format: 0xfffe, size: 40, subFormat: 0x11 }],
    ['33 channels', { channels: 33 }],
    ['4-bit samples', { bits: 4 }],
    ['72-bit samples', { bits: 72 }],
    ['a 999 Hz sample rate', { rate: 999 }],
    ['a 768,001 Hz sample rate', { rate: 768_001 }],
    ['a block size that does not fit its channels and bits', { blockAlign: 4 }],
  ] as [string, Fmt][])('a WAV with %s is not measured', async (name, fmt) => {
    // The data chunk's size, 0x17700, puts a 1 (the PCM sub-format) where an extensible fmt chunk read too far looks.
    const samples = Buffer.alloc(0x17700);
    const bytes = riff([fmtChunk(fmt), riffChunk('data', samples)]);
    expect(await wavLength(`bad-fmt-${name.replaceAll(' ', '-')}.wav`, bytes)).toBeUndefined();
  });
});

/** One MPEG-1 layer III frame, 128 kbit/s at 44.1 kHz: 417 bytes, 1152 samples. */
const MP3_FRAME = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x00]), Buffer.alloc(413)]);
const MP3_FRAME_SECONDS = 1152 / 44_100;
const mp3Frames = (n: number) => Buffer.concat(Array.from({ length: n }, () => MP3_FRAME));

/** An ID3v2.4 tag holding `body`. */
function id3(body: Buffer): Buffer {
  const head = Buffer.alloc(10);
  head.write('ID3', 0, 'latin1');
  head[3] = 4;
  for (let i = 0; i < 4; i++) head[6 + i] = (body.length >> (7 * (3 - i))) & 0x7f;
  return Buffer.concat([head, body]);
}

describe('the length of an MP3', () => {
  const mp3Length = (name: string, bytes: Buffer) => lengthOfFile(saved(name, bytes), 'mp3');

  it('an MP3 with its ID3 tag removed is as long as with it', async () => {
    const tagged = readFileSync(speech('mp3'));
    const end = id3v2End(tagged);
    expect(end).toBeGreaterThan(10);
    const bare = await mp3Length('bare.mp3', tagged.subarray(end));
    expect(bare).toBeGreaterThan(0);
    expect(bare).toBe(await lengthOfFile(speech('mp3'), 'mp3'));
  });

  it('frames hidden inside the ID3 tag are not counted', async () => {
    const bytes = Buffer.concat([id3(mp3Frames(200)), mp3Frames(10)]);
    expect(await mp3Length('frames-in-tag.mp3', bytes)).toBeCloseTo(10 * MP3_FRAME_SECONDS, 9);
  });

  it('an MP3 cut right after its first frame header still counts that frame', async () => {
    const bytes = Buffer.concat([id3(Buffer.alloc(0)), MP3_FRAME.subarray(0, 4)]);
    expect(await mp3Length('one-header.mp3', bytes)).toBeCloseTo(MP3_FRAME_SECONDS, 9);
  });

  it('an MP3 larger than a read window counts every frame, where the windows end too', async () => {
    const window = LENGTH_LIMITS.mp3WindowBytes;
    // Leading bytes that make a frame end 2 bytes past the first window, the next one start there.
    const lead = (window + 2) % MP3_FRAME.length;
    const frames = Math.ceil((2.5 * window) / MP3_FRAME.length);
    const bytes = Buffer.concat([Buffer.alloc(lead), mp3Frames(frames)]);
    expect(await mp3Length('big.mp3', bytes)).toBeCloseTo(frames * MP3_FRAME_SECONDS, 9);
  });
});

/** The same box with its size in the 64-bit field (`size` 1). */
function largeBox(type: string, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  const head = Buffer.alloc(16);
  head.writeUInt32BE(1, 0);
  head.write(type, 4, 'latin1');
  head.writeBigUInt64BE(BigInt(16 + content.length), 8);
  return Buffer.concat([head, content]);
}

const u32 = (...values: number[]) => {
  const b = Buffer.alloc(4 * values.length);
  for (const [i, v] of values.entries()) b.writeUInt32BE(v, 4 * i);
  return b;
};

/** `mdhd`: version 0 holds 32-bit times, version 1 64-bit ones; `cut` drops bytes from its end. */
function mdhd(timescale: number, version = 0, cut = 0): Buffer {
  const body =
    version === 1
      ? Buffer.concat([u32(0x01000000, 0, 0, 0, 0), u32(timescale), Buffer.alloc(12)])
      : Buffer.concat([u32(0, 0, 0), u32(timescale), Buffer.alloc(8)]);
  return box('mdhd', body.subarray(0, body.length - cut));
}

const hdlr = (handler: string) => box('hdlr', u32(0, 0), Buffer.from(handler, 'latin1'), Buffer.alloc(13));

/** `stts` of (sample count, sample delta) entries; `count` is the number it claims to hold. */
function stts(entries: [number, number][], count = entries.length): Buffer {
  return box('stts', u32(0, count), ...entries.map(([n, delta]) => u32(n, delta)));
}

interface Track {
  handler?: string;
  timescale?: number;
  mdhdVersion?: number;
  entries?: [number, number][];
  /** Boxes of `mdia` in place of the usual ones. */
  mdia?: Buffer[];
}

/** A sound track of `seconds` in 1000-unit samples at a 16 kHz timescale, unless told otherwise. */
function trak(seconds: number, { handler = 'soun', timescale = 16_000, mdhdVersion = 0, entries, mdia }: Track = {}) {
  const table = stts(entries ?? [[(seconds * timescale) / 1000, 1000]]);
  const boxes = mdia ?? [mdhd(timescale, mdhdVersion), hdlr(handler), box('minf', box('stbl', table))];
  return box('trak', box('tkhd', Buffer.alloc(84)), box('mdia', ...boxes));
}

/** `mvhd` claiming one second: the movie header is never what the length is read from. */
const mvhd = box('mvhd', u32(0, 0, 0, 1000, 1000), Buffer.alloc(80));
const moov = (...traks: Buffer[]) => box('moov', mvhd, ...traks);
const ftyp = box('ftyp', Buffer.from('M4A \x00\x00\x00\x00M4A isom', 'latin1'));
const m4a = (...boxes: Buffer[]) => Buffer.concat([ftyp, box('mdat', Buffer.alloc(1000)), ...boxes]);

describe('the length of an MP4', () => {
  const mp4Length = (name: string, bytes: Buffer) => lengthOfFile(saved(name, bytes), 'mp4');

  it('an M4A is as long as its sample table over its media timescale, whatever its movie header says', async () => {
    const table: [number, number][] = [
      [100, 1024],
      [1, 512],
    ];
    expect(await mp4Length('table.m4a', m4a(moov(trak(0, { entries: table }))))).toBe((102_400 + 512) / 16_000);
  });

  it('an M4A whose media header is version 1 (64-bit times) is measured by its timescale', async () => {
    expect(await mp4Length('mdhd-v1.m4a', m4a(moov(trak(4, { mdhdVersion: 1, timescale: 8_000 }))))).toBe(4);
  });

  it('an M4A with two sound tracks is as long as the longer one, whichever comes first', async () => {
    expect(await mp4Length('long-first.m4a', m4a(moov(trak(8), trak(2))))).toBe(8);
    expect(await mp4Length('long-last.m4a', m4a(moov(trak(2), trak(8))))).toBe(8);
  });

  it('a longer video track does not make an MP4 longer than its sound', async () => {
    expect(await mp4Length('video.mp4', m4a(moov(trak(60, { handler: 'vide' }), trak(2))))).toBe(2);
  });

  it('a track with no handler is not taken for sound', async () => {
    const noHandler = trak(0, { mdia: [mdhd(16_000), box('minf', box('stbl', stts([[160, 1024]])))] });
    expect(await mp4Length('no-hdlr.m4a', m4a(moov(noHandler)))).toBeUndefined();
  });

  it('a media header that ends right after its timescale is read; one cut before it is not', async () => {
    const exact = [mdhd(16_000, 0, 8), hdlr('soun'), box('minf', box('stbl', stts([[160, 1024]])))];
    const cut = [mdhd(16_000, 0, 9), hdlr('soun'), box('minf', box('stbl', stts([[160, 1024]])))];
    expect(await mp4Length('mdhd-exact.m4a', m4a(moov(trak(0, { mdia: exact }))))).toBe(10.24);
    expect(await mp4Length('mdhd-cut.m4a', m4a(moov(trak(0, { mdia: cut }))))).toBeUndefined();
  });

  it('a sample table too short for its own header is not measured', async () => {
    const shortTable = box('stts', u32(0));
    const mdia = [mdhd(16_000), hdlr('soun'), box('minf', box('stbl', shortTable))];
    expect(await mp4Length('stts-short.m4a', m4a(moov(trak(0, { mdia }))))).toBeUndefined();
  });

  it('a sample table that claims one entry more than it holds is not measured', async () => {
    const mdia = [mdhd(16_000), hdlr('soun'), box('minf', box('stbl', stts([[160, 1024]], 2)))];
    expect(await mp4Length('stts-over.m4a', m4a(moov(trak(0, { mdia }))))).toBeUndefined();
  });

  it('an M4A whose boxes carry 64-bit sizes is measured', async () => {
    const bytes = Buffer.concat([ftyp, largeBox('mdat', Buffer.alloc(1000)), largeBox('moov', mvhd, trak(3))]);
    expect(await mp4Length('large-sizes.m4a', bytes)).toBe(3);
  });

  it('an M4A that ends inside a 64-bit box size is not measured', async () => {
    const bytes = Buffer.concat([m4a(), largeBox('moov').subarray(0, 12)]);
    expect(await mp4Length('large-cut.m4a', bytes)).toBeUndefined();
  });

  it('a moov whose size is 0 runs to the end of the file, after 16 MB of audio too', async () => {
    const toEnd = moov(trak(5));
    toEnd.writeUInt32BE(0, 0);
    const audio = box('mdat', Buffer.alloc(16.5 * 1024 * 1024));
    expect(await mp4Length('moov-to-end.m4a', Buffer.concat([ftyp, audio, toEnd]))).toBe(5);
  });

  it('a box that claims fewer bytes than its own header makes the file unreadable', async () => {
    const bytes = Buffer.concat([u32(4), moov(trak(5))]);
    expect(await mp4Length('tiny-box.m4a', bytes)).toBeUndefined();
  });

  it(`a moov that is box ${LENGTH_LIMITS.mp4Boxes} is read; one box later it is not`, async () => {
    const free = (n: number) => Array.from({ length: n }, () => box('free'));
    const last = Buffer.concat([...free(LENGTH_LIMITS.mp4Boxes - 1), moov(trak(5))]);
    const past = Buffer.concat([...free(LENGTH_LIMITS.mp4Boxes), moov(trak(5))]);
    expect(await mp4Length('last-box.m4a', last)).toBe(5);
    expect(await mp4Length('past-box.m4a', past)).toBeUndefined();
  });

  it('a moov of exactly the largest size read is measured', async () => {
    const track = trak(5);
    const padding = box('free', Buffer.alloc(LENGTH_LIMITS.moovBytes - mvhd.length - track.length - 8));
    const big = moov(track, padding);
    expect(big.length).toBe(LENGTH_LIMITS.moovBytes + 8);
    expect(await mp4Length('moov-limit.m4a', m4a(big))).toBe(5);
  });

  it('a track that runs past the end of its moov is not read', async () => {
    const track = trak(5);
    // The track ends with 12 bytes of user data that lie after the end its moov declares.
    const overflowing = Buffer.concat([track, box('udta', Buffer.alloc(4))]);
    overflowing.writeUInt32BE(overflowing.length, 0);
    const container = Buffer.concat([box('moov', mvhd, overflowing), box('free', Buffer.alloc(16))]);
    container.writeUInt32BE(8 + mvhd.length + track.length, 0);
    expect(await mp4Length('trak-past-moov.m4a', m4a(container))).toBeUndefined();
  });
});
