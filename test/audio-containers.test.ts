/**
 * What a shared file is taken for from its first bytes (converted as it streams, written to disk first so ffmpeg
 * can seek, or refused): real files in every container the app knows, and hostile or damaged variants of them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bmffBoxes,
  type Container,
  type ConvertibleContainer,
  DEMUXER,
  HEAD_BYTES,
  id3v2End,
  isConvertible,
  type MpegHeader,
  needsSeeking,
  parseMpegHeader,
  sniff,
} from '../src/audio/containers.ts';
import { bundledFfmpeg } from '../src/audio/ffmpeg.ts';
import { FFMPEG, FIXTURES_DIR, type Fixture, speech } from './helpers/audio.ts';

const CONTAINERS = Object.keys(DEMUXER) as ConvertibleContainer[];
const cache = join(FIXTURES_DIR, 'containers');
mkdirSync(cache, { recursive: true });

/** One second of a tone at `rate` Hz. */
const tone = (rate: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:duration=1:sample_rate=${rate}`];

/** Every fixture: the ffmpeg arguments that make it (output format last). AMR needs the npm build's encoders. */
const MAKE = {
  wav: [...tone(44100), '-ac', '1', '-f', 'wav'],
  rf64: [...tone(44100), '-ac', '1', '-rf64', 'always', '-f', 'wav'],
  avi: [...tone(8000), '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'avi'],
  aiff: [...tone(44100), '-ac', '1', '-f', 'aiff'],
  aifc: [...tone(44100), '-ac', '1', '-c:a', 'pcm_f32be', '-f', 'aiff'],
  caf: [...tone(44100), '-ac', '1', '-f', 'caf'],
  m4a: [...tone(44100), '-ac', '1', '-c:a', 'aac', '-f', 'ipod'],
  fastM4a: [...tone(44100), '-ac', '1', '-c:a', 'aac', '-movflags', '+faststart', '-f', 'ipod'],
  mov: [...tone(44100), '-ac', '1', '-c:a', 'aac', '-f', 'mov'],
  webm: [...tone(48000), '-ac', '1', '-c:a', 'libopus', '-f', 'webm'],
  ogg: [...tone(44100), '-ac', '1', '-c:a', 'libvorbis', '-f', 'ogg'],
  flac: [...tone(44100), '-ac', '1', '-c:a', 'flac', '-f', 'flac'],
  wma: [...tone(44100), '-ac', '1', '-c:a', 'wmav2', '-f', 'asf'],
  amrNb: [...tone(8000), '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k', '-f', 'amr'],
  amrWb: [...tone(16000), '-ac', '1', '-c:a', 'libvo_amrwbenc', '-b:a', '23.85k', '-f', 'amr'],
  adts: [...tone(44100), '-ac', '1', '-c:a', 'aac', '-f', 'adts'],
  /** MPEG-1 layer 3, mono, no tag and no Xing frame: frames from the first byte. */
  mp3: [
    ...tone(44100),
    '-ac',
    '1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '64k',
    '-write_xing',
    '0',
    '-id3v2_version',
    '0',
    '-f',
    'mp3',
  ],
  /** Stereo, with the ID3v2 tag and Xing frame ffmpeg writes by default. */
  taggedMp3: [...tone(44100), '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3'],
  mp3v2: [
    ...tone(22050),
    '-ac',
    '1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '32k',
    '-write_xing',
    '0',
    '-id3v2_version',
    '0',
    '-f',
    'mp3',
  ],
  mp3v25: [
    ...tone(11025),
    '-ac',
    '1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '16k',
    '-write_xing',
    '0',
    '-id3v2_version',
    '0',
    '-f',
    'mp3',
  ],
  mp2: [...tone(44100), '-ac', '2', '-c:a', 'mp2', '-b:a', '192k', '-f', 'mp2'],
  mp2v2: [...tone(22050), '-ac', '1', '-c:a', 'mp2', '-b:a', '64k', '-f', 'mp2'],
} satisfies Record<string, string[]>;

type Name = keyof typeof MAKE;
const files = {} as Record<Name, Buffer>;

beforeAll(() => {
  for (const [name, args] of Object.entries(MAKE) as [Name, string[]][]) {
    const bin = name.startsWith('amr') ? (bundledFfmpeg() ?? FFMPEG) : FFMPEG;
    // Made once per binary and arguments, then reused: under `npm run mutation` this file runs once per mutant of
    // the sniffer (over 300), and Debian's ffmpeg takes about 0.15 s to start on a busy machine.
    const out = join(
      cache,
      `${name}-${createHash('sha256')
        .update([bin, ...args].join('\0'))
        .digest('hex')
        .slice(0, 16)}`,
    );
    if (!existsSync(out)) {
      execFileSync(bin, ['-hide_banner', '-loglevel', 'error', '-y', ...args, `${out}.part`]);
      renameSync(`${out}.part`, out);
    }
    files[name] = readFileSync(out);
  }
});

/** A copy of `bytes` with `patch` applied. */
function patched(bytes: Uint8Array, patch: (b: Buffer) => void): Buffer {
  const b = Buffer.from(bytes);
  patch(b);
  return b;
}

/** Where the first top-level box of `type` starts in a real MP4 (found by its own size fields). */
function boxAt(b: Buffer, type: string): number {
  let at = 0;
  while (at + 8 <= b.length) {
    if (b.toString('latin1', at + 4, at + 8) === type) return at;
    at += b.readUInt32BE(at);
  }
  throw new Error(`no ${type} box`);
}

const list = (b: Uint8Array, start?: number, end?: number) =>
  [...bmffBoxes(b, start, end)].map(({ type, contentStart, end }) => ({ type, contentStart, end }));

describe('each real container is recognised from its head', () => {
  const cases: [Name, Container][] = [
    ['wav', 'wav'],
    ['rf64', 'wav'],
    ['aiff', 'aiff'],
    ['aifc', 'aiff'],
    ['caf', 'caf'],
    ['m4a', 'mp4'],
    ['fastM4a', 'mp4'],
    ['mov', 'mp4'],
    ['webm', 'webm'],
    ['ogg', 'ogg'],
    ['flac', 'flac'],
    ['wma', 'asf'],
    ['amrNb', 'amr'],
    ['amrWb', 'amr'],
    ['adts', 'aac'],
    ['mp3', 'mp3'],
    ['taggedMp3', 'mp3'],
    ['mp3v2', 'mp3'],
    ['mp3v25', 'mp3'],
    ['mp2', 'mp3'],
    ['mp2v2', 'mp3'],
  ];
  it.each(cases)('%s is taken for %s', (name, container) => {
    expect(sniff(files[name].subarray(0, HEAD_BYTES))).toBe(container);
  });

  it('a Broadcast WAV (BW64 instead of RIFF) is a WAV', () => {
    expect(sniff(patched(files.wav, (b) => b.write('BW64', 0, 'latin1')))).toBe('wav');
  });
});

describe('the speech fixtures other tests share are recognised', () => {
  it.each([
    ['wav', 'wav'],
    ['mp3', 'mp3'],
    ['m4a', 'mp4'],
    ['mp4', 'mp4'],
    ['mov', 'mp4'],
    ['webm', 'webm'],
    ['ogg', 'ogg'],
    ['flac', 'flac'],
    ['aac', 'aac'],
    ['amr', 'amr'],
  ] as [Fixture, string][])('%s is %s', (kind, container) => {
    expect(sniff(readFileSync(speech(kind)).subarray(0, HEAD_BYTES))).toBe(container);
  });
});

describe('RIFF and FORM files of other kinds are refused', () => {
  it('an AVI (RIFF but not WAVE) is not taken for a WAV', () => {
    expect(sniff(files.avi)).toBe('unknown');
  });

  it('a WAVE header whose RIFF magic is damaged is not a WAV', () => {
    expect(sniff(patched(files.wav, (b) => b.fill(0, 0, 4)))).toBe('unknown');
  });

  it('an AIFF header whose FORM magic is damaged is not an AIFF', () => {
    expect(sniff(patched(files.aiff, (b) => b.fill(0, 0, 4)))).toBe('unknown');
    expect(sniff(patched(files.aifc, (b) => b.fill(0, 0, 4)))).toBe('unknown');
  });

  it('an 8SVX (FORM but not AIFF/AIFC) is not taken for an AIFF', () => {
    expect(sniff(patched(files.aiff, (b) => b.write('8SVX', 8, 'latin1')))).toBe('unknown');
  });
});

describe('heads cut exactly at each length the sniffer needs', () => {
  it.each([
    { what: 'a WAV (RIFF, size, WAVE)', file: 'wav', bytes: 12, container: 'wav' },
    { what: 'a CAF', file: 'caf', bytes: 4, container: 'caf' },
    { what: 'an Ogg', file: 'ogg', bytes: 4, container: 'ogg' },
    { what: 'a FLAC', file: 'flac', bytes: 4, container: 'flac' },
    { what: 'a WebM (EBML magic)', file: 'webm', bytes: 4, container: 'webm' },
    { what: 'a WMA (the ASF header GUID)', file: 'wma', bytes: 16, container: 'asf' },
    { what: 'an AMR (its magic line)', file: 'amrNb', bytes: 6, container: 'amr' },
    { what: 'an AMR-WB (its magic line)', file: 'amrWb', bytes: 9, container: 'amr' },
    { what: 'an MP4 (the ftyp box header)', file: 'm4a', bytes: 8, container: 'mp4' },
    { what: 'an ADTS stream (one frame header)', file: 'adts', bytes: 7, container: 'aac' },
  ] as const)('$bytes bytes of $what are enough, one fewer is not', ({ file, bytes, container }) => {
    expect(sniff(files[file].subarray(0, bytes))).toBe(container);
    expect(sniff(files[file].subarray(0, bytes - 1))).toBe('unknown');
  });

  it('3 bytes that start like an MP3 frame are not MP3', () => {
    expect(sniff(files.mp3.subarray(0, 3))).toBe('unknown');
  });
});

describe('ISO-BMFF (MP4, M4A, MOV): the first box and its size', () => {
  it('an old QuickTime movie opening with a wide, moov or mdat box is an MP4', () => {
    expect(sniff(files.mov.subarray(boxAt(files.mov, 'wide')))).toBe('mp4');
    expect(sniff(files.fastM4a.subarray(boxAt(files.fastM4a, 'moov')))).toBe('mp4');
    expect(sniff(files.m4a.subarray(boxAt(files.m4a, 'mdat')))).toBe('mp4');
  });

  it('a file opening with a free box, or with a box of another type, is not an MP4', () => {
    expect(sniff(files.m4a.subarray(boxAt(files.m4a, 'free')))).toBe('unknown');
    expect(sniff(patched(files.mov, (b) => b.write('skip', 4, 'latin1')))).toBe('unknown');
  });

  it('a first box with a 64-bit size (size field 1) is an MP4', () => {
    const mdat = files.m4a.subarray(boxAt(files.m4a, 'mdat'));
    expect(sniff(patched(mdat, (b) => b.writeUInt32BE(1, 0)))).toBe('mp4');
  });

  it('a first box smaller than its own 8-byte header is not an MP4; exactly 8 is', () => {
    const wide = files.mov.subarray(boxAt(files.mov, 'wide'));
    expect(wide.readUInt32BE(0)).toBe(8);
    expect(sniff(patched(wide, (b) => b.writeUInt32BE(7, 0)))).toBe('unknown');
    expect(sniff(patched(wide, (b) => b.writeUInt32BE(0, 0)))).toBe('unknown');
    const mdat = files.m4a.subarray(boxAt(files.m4a, 'mdat'));
    expect(sniff(patched(mdat, (b) => b.writeUInt32BE(7, 0)))).toBe('unknown');
    expect(sniff(patched(files.m4a, (b) => b.writeUInt32BE(8, 0)))).toBe('mp4');
    expect(sniff(patched(files.m4a, (b) => b.writeUInt32BE(7, 0)))).toBe('unknown');
    expect(sniff(patched(files.m4a, (b) => b.writeUInt32BE(0, 0)))).toBe('unknown');
  });
});

/** The M4A with its `free` box and `mdat` header turned into one 64-bit `mdat` header, as muxers leave room for. */
function largeMdat(m4a: Buffer, big: bigint): Buffer {
  const free = boxAt(m4a, 'free');
  const mdat = boxAt(m4a, 'mdat');
  expect(mdat).toBe(free + 8);
  return patched(m4a, (b) => {
    b.writeUInt32BE(1, free);
    b.write('mdat', free + 4, 'latin1');
    b.writeBigUInt64BE(big, free + 8);
  });
}

describe('MP4 box walking (where moov is, what the duration is read from)', () => {
  it('lists the top-level boxes of a real M4A with their exact bounds', () => {
    const b = files.m4a;
    const free = boxAt(b, 'free');
    const mdat = boxAt(b, 'mdat');
    const moov = boxAt(b, 'moov');
    expect(list(b)).toEqual([
      { type: 'ftyp', contentStart: 8, end: free },
      { type: 'free', contentStart: free + 8, end: mdat },
      { type: 'mdat', contentStart: mdat + 8, end: moov },
      { type: 'moov', contentStart: moov + 8, end: b.length },
    ]);
  });

  it("lists moov's children only, stopping at moov's end", () => {
    const b = files.fastM4a;
    const moov = boxAt(b, 'moov');
    const children = list(b, moov + 8, moov + b.readUInt32BE(moov));
    expect(children.map((c) => c.type)).toEqual(['mvhd', 'trak', 'udta']);
    expect(children.at(-1)?.end).toBe(moov + b.readUInt32BE(moov));
  });

  it('a head ending exactly after an 8-byte box still lists that box', () => {
    const wide = boxAt(files.mov, 'wide');
    expect(list(files.mov.subarray(0, wide + 8)).map((c) => c.type)).toEqual(['ftyp', 'wide']);
    expect(list(files.mov.subarray(0, wide + 7)).map((c) => c.type)).toEqual(['ftyp']);
  });

  it("a head cut inside a box header within moov lists moov's children up to the cut, without failing", () => {
    const b = files.fastM4a;
    const moov = boxAt(b, 'moov');
    const mvhdEnd = moov + 8 + b.readUInt32BE(moov + 8);
    const head = b.subarray(0, mvhdEnd + 4);
    expect(list(head, moov + 8, moov + b.readUInt32BE(moov)).map((c) => c.type)).toEqual(['mvhd']);
  });

  it('a 64-bit mdat is read with its 16-byte header and true size', () => {
    const b = files.m4a;
    const free = boxAt(b, 'free');
    const moov = boxAt(b, 'moov');
    const big = largeMdat(b, BigInt(moov - free));
    expect(list(big).map((c) => c.type)).toEqual(['ftyp', 'mdat', 'moov']);
    expect(list(big)[1]).toEqual({ type: 'mdat', contentStart: free + 16, end: moov });
    expect(needsSeeking('mp4', big)).toBe(true);
  });

  it('a head ending inside a 64-bit box header stops there; one ending right after it lists the box', () => {
    const b = largeMdat(files.m4a, BigInt(boxAt(files.m4a, 'moov') - boxAt(files.m4a, 'free')));
    const at = boxAt(files.m4a, 'free');
    expect(list(b.subarray(0, at + 15)).map((c) => c.type)).toEqual(['ftyp']);
    expect(list(b.subarray(0, at + 16)).map((c) => c.type)).toEqual(['ftyp', 'mdat']);
  });

  it('a 64-bit size past what a number holds exactly ends the walk; the largest exact one is kept', () => {
    const at = boxAt(files.m4a, 'free');
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    expect(list(largeMdat(files.m4a, max + 1n)).map((c) => c.type)).toEqual(['ftyp']);
    expect(list(largeMdat(files.m4a, max))).toEqual([
      { type: 'ftyp', contentStart: 8, end: at },
      { type: 'mdat', contentStart: at + 16, end: at + Number.MAX_SAFE_INTEGER },
    ]);
  });

  it('a box of size 0 runs to the end of the file', () => {
    const mdat = boxAt(files.fastM4a, 'mdat');
    const b = patched(files.fastM4a, (x) => x.writeUInt32BE(0, mdat));
    expect(list(b).at(-1)).toEqual({ type: 'mdat', contentStart: mdat + 8, end: b.length });
  });

  it('a box smaller than its header ends the walk', () => {
    const free = boxAt(files.m4a, 'free');
    expect(list(patched(files.m4a, (b) => b.writeUInt32BE(7, free))).map((c) => c.type)).toEqual(['ftyp']);
  });
});

describe('which files must be written to disk before converting', () => {
  it('only containers whose index may follow the data must be on disk', () => {
    const seeking = CONTAINERS.filter((c) => needsSeeking(c));
    expect(seeking.sort()).toEqual(['caf', 'mp4']);
  });

  it('a fast-start MP4 (moov before mdat) streams, also with a free box before moov', () => {
    const b = files.fastM4a;
    expect(needsSeeking('mp4', b.subarray(0, HEAD_BYTES))).toBe(false);
    const moov = boxAt(b, 'moov');
    const free = boxAt(b, 'free');
    // ftyp, free, moov, mdat: the 8-byte free box moved ahead of moov, so mdat stays where it was.
    const moved = Buffer.concat([
      b.subarray(0, moov),
      b.subarray(free, free + 8),
      b.subarray(moov, free),
      b.subarray(free + 8),
    ]);
    expect(list(moved).map((c) => c.type)).toEqual(['ftyp', 'free', 'moov', 'mdat']);
    expect(needsSeeking('mp4', moved.subarray(0, HEAD_BYTES))).toBe(false);
  });

  it('an MP4 or MOV with mdat first is written to disk', () => {
    expect(needsSeeking('mp4', files.m4a.subarray(0, HEAD_BYTES))).toBe(true);
    expect(needsSeeking('mp4', files.mov.subarray(0, HEAD_BYTES))).toBe(true);
  });

  it('an MP4 head that shows neither moov nor mdat is written to disk', () => {
    expect(needsSeeking('mp4', files.m4a.subarray(0, boxAt(files.m4a, 'free')))).toBe(true);
  });
});

describe('ID3v2 tags: where the audio after them starts', () => {
  it('a real tag ends where its syncsafe size says, and an MP3 frame starts there', () => {
    const b = files.taggedMp3;
    const size = (b[6] << 21) | (b[7] << 14) | (b[8] << 7) | b[9];
    expect(id3v2End(b)).toBe(10 + size);
    expect(parseMpegHeader(b, 10 + size)).toBeDefined();
    expect(id3v2End(b.subarray(0, 10))).toBe(10 + size);
  });

  it('fewer than 10 bytes are not a tag', () => {
    expect(id3v2End(files.taggedMp3.subarray(0, 9))).toBeUndefined();
  });

  it('a header not spelling ID3 is not a tag', () => {
    for (const i of [0, 1, 2]) {
      expect(id3v2End(patched(files.taggedMp3, (b) => (b[i] = 0x58)))).toBeUndefined();
    }
  });

  it('a version or revision byte of 0xff is not a tag', () => {
    expect(id3v2End(patched(files.taggedMp3, (b) => (b[3] = 0xff)))).toBeUndefined();
    expect(id3v2End(patched(files.taggedMp3, (b) => (b[4] = 0xff)))).toBeUndefined();
  });

  it('a size byte with its high bit set (not syncsafe) is not a tag', () => {
    for (const i of [6, 7, 8, 9]) {
      expect(id3v2End(patched(files.taggedMp3, (b) => (b[i] |= 0x80)))).toBeUndefined();
    }
  });

  it('the footer flag adds the 10-byte footer', () => {
    const plain = id3v2End(files.taggedMp3) ?? 0;
    expect(id3v2End(patched(files.taggedMp3, (b) => (b[5] |= 0x10)))).toBe(plain + 10);
  });

  it('an ID3 tag before FLAC is FLAC, even when the head ends right after the fLaC magic', () => {
    const tag = files.taggedMp3.subarray(0, id3v2End(files.taggedMp3));
    expect(sniff(Buffer.concat([tag, files.flac]))).toBe('flac');
    expect(sniff(Buffer.concat([tag, files.flac.subarray(0, 4)]))).toBe('flac');
  });

  it('an ID3 tag before ADTS frames is AAC, before MP3 frames MP3', () => {
    const tag = files.taggedMp3.subarray(0, id3v2End(files.taggedMp3));
    expect(sniff(Buffer.concat([tag, files.adts]))).toBe('aac');
    expect(sniff(Buffer.concat([tag, files.mp3]))).toBe('mp3');
  });
});

/** The ADTS file with its first frame header's sampling-frequency index or frame length replaced. */
const adtsWith = (adts: Buffer, change: { freq?: number; length?: number }) =>
  patched(adts, (b) => {
    if (change.freq !== undefined) b[2] = (b[2] & ~0x3c) | (change.freq << 2);
    if (change.length !== undefined) {
      const l = change.length;
      b[3] = (b[3] & ~0x03) | ((l >> 11) & 0x03);
      b[4] = (l >> 3) & 0xff;
      b[5] = (b[5] & 0x1f) | ((l & 0x07) << 5);
    }
  });

describe('ADTS (raw AAC) frame headers', () => {
  it('a damaged first sync byte is not AAC', () => {
    expect(sniff(patched(files.adts, (b) => (b[0] = 0xfe)))).toBe('unknown');
  });

  it('a reserved sampling-frequency index (13-15) is not AAC; 12 (7350 Hz) is', () => {
    expect(sniff(adtsWith(files.adts, { freq: 13 }))).toBe('unknown');
    expect(sniff(adtsWith(files.adts, { freq: 15 }))).toBe('unknown');
    expect(sniff(adtsWith(files.adts, { freq: 12 }))).toBe('aac');
  });

  it('a frame shorter than its 7-byte header is not AAC; 7 bytes and 2048 bytes are', () => {
    expect(sniff(adtsWith(files.adts, { length: 6 }))).toBe('unknown');
    expect(sniff(adtsWith(files.adts, { length: 0 }))).toBe('unknown');
    expect(sniff(adtsWith(files.adts, { length: 7 }))).toBe('aac');
    expect(sniff(adtsWith(files.adts, { length: 2048 }))).toBe('aac');
  });

  it('MPEG audio (layer bits set) is not taken for ADTS', () => {
    expect(sniff(files.mp2)).toBe('mp3');
  });
});

describe('MPEG audio with no tag: two agreeing frame headers', () => {
  const firstFrame = () => parseMpegHeader(files.mp3, 0)?.frameBytes ?? 0;

  it('a head holding only the first whole frame is MP3', () => {
    expect(sniff(files.mp3.subarray(0, firstFrame()))).toBe('mp3');
    expect(sniff(files.mp3.subarray(0, firstFrame() + 3))).toBe('mp3');
  });

  it('a first frame followed by 4 bytes that are no frame header is not MP3', () => {
    const next = firstFrame();
    expect(sniff(patched(files.mp3.subarray(0, next + 4), (b) => b.fill(0, next)))).toBe('unknown');
  });

  it('a second frame header at another sample rate is not MP3', () => {
    const next = firstFrame();
    expect(sniff(patched(files.mp3, (b) => (b[next + 2] = (b[next + 2] & ~0x0c) | (1 << 2))))).toBe('unknown');
  });

  it('a second frame header of another layer is not MP3', () => {
    const next = firstFrame();
    // Layer 3 (bits 01) to layer 2 (bits 10), same version and sample rate.
    const b = patched(files.mp3, (x) => (x[next + 1] = (x[next + 1] & ~0x06) | (2 << 1)));
    expect(parseMpegHeader(b, next)?.sampleRate).toBe(44100);
    expect(sniff(b)).toBe('unknown');
  });
});

/** Walks the frames of a real stream from `start`: every frame header parses and the last one ends the file. */
function walk(b: Buffer, start = 0): MpegHeader[] {
  const frames: MpegHeader[] = [];
  let at = start;
  while (at < b.length) {
    const h = parseMpegHeader(b, at);
    if (!h) throw new Error(`no frame header at ${at} of ${b.length}`);
    frames.push(h);
    at += h.frameBytes;
  }
  expect(at).toBe(b.length);
  return frames;
}

describe('MPEG audio frame headers of real files', () => {
  it('MPEG-1 layer 3, mono, 64 kb/s at 44.1 kHz: every frame length lands on the next header', () => {
    const frames = walk(files.mp3);
    expect(frames[0]).toEqual({
      version: 1,
      layer: 3,
      bitrate: 64_000,
      sampleRate: 44100,
      channels: 1,
      frameBytes: 208,
      samplesPerFrame: 1152,
    });
    // 144 * 64000 / 44100 = 208.98: padded frames are one byte longer.
    expect(new Set(frames.map((f) => f.frameBytes))).toEqual(new Set([208, 209]));
  });

  it('a tagged stereo MP3 is walked from the end of its tag', () => {
    const frames = walk(files.taggedMp3, id3v2End(files.taggedMp3));
    expect(frames.every((f) => f.channels === 2 && f.bitrate === 128_000 && f.layer === 3)).toBe(true);
  });

  it('MPEG-2 and MPEG-2.5 layer 3 (22.05 and 11.025 kHz) have 576 samples a frame', () => {
    const v2 = walk(files.mp3v2);
    expect(v2[0]).toMatchObject({ version: 2, layer: 3, sampleRate: 22050, samplesPerFrame: 576, bitrate: 32_000 });
    const v25 = walk(files.mp3v25);
    expect(v25[0]).toMatchObject({ version: 2.5, layer: 3, sampleRate: 11025, samplesPerFrame: 576, bitrate: 16_000 });
  });

  it('MPEG-1 and MPEG-2 layer 2 (MP2) have 1152 samples a frame and their own bitrate table', () => {
    const mp2 = walk(files.mp2);
    expect(mp2[0]).toMatchObject({ version: 1, layer: 2, bitrate: 192_000, sampleRate: 44100, channels: 2 });
    expect(mp2[0].samplesPerFrame).toBe(1152);
    const v2 = walk(files.mp2v2);
    expect(v2[0]).toMatchObject({ version: 2, layer: 2, bitrate: 64_000, sampleRate: 22050, samplesPerFrame: 1152 });
  });

  it('layer 1 frames (no encoder here, so headers by the spec): 384 samples, 4-byte slots', () => {
    // MPEG-1 layer 1, no CRC, 384 kb/s, 44.1 kHz, mono: (floor(12 * 384000 / 44100) + padding) * 4.
    expect(parseMpegHeader(Buffer.from([0xff, 0xff, 0xc0, 0xc0]), 0)).toEqual({
      version: 1,
      layer: 1,
      bitrate: 384_000,
      sampleRate: 44100,
      channels: 1,
      frameBytes: 416,
      samplesPerFrame: 384,
    });
    expect(parseMpegHeader(Buffer.from([0xff, 0xff, 0xc2, 0xc0]), 0)?.frameBytes).toBe(420);
    // MPEG-2 layer 1, index 9: 144 kb/s from the layer-1 table (80 kb/s in the layer 2/3 one), 22.05 kHz.
    expect(parseMpegHeader(Buffer.from([0xff, 0xf7, 0x90, 0xc0]), 0)).toMatchObject({
      version: 2,
      layer: 1,
      bitrate: 144_000,
      sampleRate: 22050,
      frameBytes: 312,
      samplesPerFrame: 384,
    });
  });
});

describe('MPEG frame headers with a reserved or invalid field are refused', () => {
  const header = () => Buffer.from(files.mp3.subarray(0, 4));
  const withByte = (i: number, set: (x: number) => number) => patched(header(), (b) => (b[i] = set(b[i])));

  it('the real header parses (the cases below each change one field)', () => {
    expect(parseMpegHeader(header(), 0)).toBeDefined();
  });

  it('a header cut to 3 bytes, or read past the end, is none', () => {
    expect(parseMpegHeader(header().subarray(0, 3), 0)).toBeUndefined();
    expect(parseMpegHeader(files.mp3, files.mp3.length - 3)).toBeUndefined();
  });

  it('a broken sync (first byte, or the top bits of the second) is none', () => {
    expect(
      parseMpegHeader(
        withByte(0, () => 0xfe),
        0,
      ),
    ).toBeUndefined();
    expect(
      parseMpegHeader(
        withByte(1, (x) => x & 0x1f),
        0,
      ),
    ).toBeUndefined();
  });

  it('the reserved version, the reserved layer, free-format and bad bitrates, the reserved rate are none', () => {
    expect(
      parseMpegHeader(
        withByte(1, (x) => (x & ~0x18) | 0x08),
        0,
      ),
    ).toBeUndefined();
    expect(
      parseMpegHeader(
        withByte(1, (x) => x & ~0x06),
        0,
      ),
    ).toBeUndefined();
    expect(
      parseMpegHeader(
        withByte(2, (x) => x & 0x0f),
        0,
      ),
    ).toBeUndefined();
    expect(
      parseMpegHeader(
        withByte(2, (x) => x | 0xf0),
        0,
      ),
    ).toBeUndefined();
    expect(
      parseMpegHeader(
        withByte(2, (x) => x | 0x0c),
        0,
      ),
    ).toBeUndefined();
  });
});

/** Text files shared as `voice-note.ogg`: HLS playlists (one live) and an ffconcat list naming a file of the server. */
const LISTS = [
  '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\nfile:///srv/server-files/secret.wav\n#EXT-X-ENDLIST\n',
  '#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:5.0,\nfile:///srv/server-files/secret.wav\n',
  'ffconcat version 1.0\nfile other.wav\n',
];

describe('playlists, lists and text are not audio', () => {
  it('playlists, concat lists, web pages and text are not audio', () => {
    for (const text of LISTS) expect(sniff(Buffer.from(text))).toBe('unknown');
    expect(sniff(Buffer.from('<!DOCTYPE html><html><body>Sign in</body></html>'))).toBe('html');
    expect(sniff(Buffer.from('ffconcat version 1.0\n'))).toBe('unknown');
    expect(sniff(Buffer.from([0xff, 0xfb, 0x00, 0x00]))).toBe('unknown');
    expect(isConvertible('unknown')).toBe(false);
    expect(isConvertible('html')).toBe(false);
    expect(isConvertible('ogg')).toBe(true);
  });
});

describe('web pages are told apart from audio', () => {
  const page = '<!DOCTYPE html>\n<html lang="en"><head><title>Slack</title></head><body>Sign in</body></html>';

  it("Slack's sign-in page is HTML, also after leading whitespace", () => {
    expect(sniff(Buffer.from(page))).toBe('html');
    expect(sniff(Buffer.from(` \r\n\t${page}`))).toBe('html');
    expect(sniff(Buffer.from('<HTML><BODY>x</BODY></HTML>'))).toBe('html');
  });

  it('markup that does not start the file is not taken for a page', () => {
    expect(sniff(Buffer.from(`Saved from the web: ${page}`))).toBe('unknown');
  });

  it('only the first 256 bytes are looked at', () => {
    expect(sniff(Buffer.from(`${' '.repeat(251)}<html>`))).toBe('html');
    expect(sniff(Buffer.from(`${' '.repeat(252)}<html>`))).toBe('unknown');
  });
});
