/**
 * What a file is, from its first bytes, never from its name or the mimetype a sender chose: a playlist
 * or a concat list named `voice-note.ogg` must not reach ffmpeg as if it were audio.
 */

/**
 * A container recognised from the first bytes. `mp4` is any ISO-BMFF file (m4a, mp4, mov, 3gp), `webm` any
 * EBML/Matroska file (webm, mkv, mka), `asf` is WMA/WMV, `html` is a web page (Slack's sign-in page when a
 * scope is missing), `unknown` everything else.
 */
export type Container =
  | 'wav'
  | 'mp3'
  | 'mp4'
  | 'webm'
  | 'ogg'
  | 'flac'
  | 'aac'
  | 'amr'
  | 'asf'
  | 'aiff'
  | 'caf'
  | 'html'
  | 'unknown';

/** The containers ffmpeg may be asked to read: every real audio/video container. */
export type ConvertibleContainer = Exclude<Container, 'html' | 'unknown'>;

/**
 * How many first bytes to peek at before deciding anything: enough for `sniff` (a few dozen bytes, more
 * after an ID3 tag) and for `durationFromHead` (WAV and FLAC headers, the first MP3 frame after a tag with
 * a small cover picture, an MP4 `mvhd` when `moov` comes first, a WebM Segment Info).
 */
export const HEAD_BYTES = 64 * 1024;

/**
 * The ffmpeg demuxer forced for each container (`-f`), which is also the only one on the input's
 * `-format_whitelist`. The names are those of `ffmpeg -demuxers`, the same in the 2018 npm build and in
 * current releases (`mov` is "mov,mp4,m4a,3gp,3g2,mj2", `matroska` is "matroska,webm").
 */
export const DEMUXER: Record<ConvertibleContainer, string> = {
  wav: 'wav',
  mp3: 'mp3',
  mp4: 'mov',
  webm: 'matroska',
  ogg: 'ogg',
  flac: 'flac',
  aac: 'aac',
  amr: 'amr',
  asf: 'asf',
  aiff: 'aiff',
  caf: 'caf',
};

/** Whether ffmpeg may be asked to convert the container. */
export function isConvertible(c: Container): c is ConvertibleContainer {
  return c !== 'html' && c !== 'unknown';
}

/**
 * Whether ffmpeg must be able to seek in the input, so that it has to be written to a file first instead
 * of being piped in as it downloads.
 *
 * - `mp4`: the index (`moov`) usually comes after the audio (`mdat`); read from a pipe, the 2018 build gives
 *   no audio at all. When `head` is given and shows `moov` before `mdat` (a "fast start" file), it streams.
 * - `caf`: the packet table that variable-rate codecs need may follow the audio data, and the 2018 build
 *   reads no audio from a piped CAF even with PCM in it. Always a file.
 * - `asf`: everything needed to decode is in the header object at the start; the index at the end only
 *   serves seeking. Both builds convert WMA from a pipe. Streams.
 * - wav, mp3, webm, ogg, flac, aac, amr, aiff: read front to back. Stream.
 */
export function needsSeeking(c: ConvertibleContainer, head?: Uint8Array): boolean {
  if (c === 'caf') return true;
  if (c === 'mp4') return head === undefined || !moovBeforeMdat(head);
  return false;
}

/** What the first bytes of a file say it is. */
export function sniff(head: Uint8Array): Container {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent; a head too short is cut by toString to fewer characters than the magic it is compared with, and the fallback equals no magic either
  const ascii = (start: number, end: number) => (b.length >= end ? b.toString('latin1', start, end) : '');
  const riff = ascii(0, 4);
  if ((riff === 'RIFF' || riff === 'RF64' || riff === 'BW64') && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 4) === 'FORM' && (ascii(8, 12) === 'AIFF' || ascii(8, 12) === 'AIFC')) return 'aiff';
  if (ascii(0, 4) === 'caff') return 'caf';
  if (isBmffStart(b)) return 'mp4';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  // Stryker disable next-line ConditionalExpression: equivalent; under 16 bytes the subarray is shorter than the GUID and never equals it
  if (b.length >= 16 && b.subarray(0, 16).equals(ASF_HEADER_GUID)) return 'asf';
  if (ascii(0, 6) === '#!AMR\n' || ascii(0, 9) === '#!AMR-WB\n') return 'amr';
  if (ascii(0, 3) === 'ID3') {
    // An ID3v2 tag is most often before MP3 frames, but FLAC and ADTS files carry one too.
    const after = id3v2End(b);
    // Stryker disable next-line ConditionalExpression,ArithmeticOperator: equivalent; past the head toString gives fewer than 4 characters (none when after is undefined) and isAdtsHeader checks its own bounds
    if (after !== undefined && after + 4 <= b.length) {
      if (b.toString('latin1', after, after + 4) === 'fLaC') return 'flac';
      if (isAdtsHeader(b, after)) return 'aac';
    }
    return 'mp3';
  }
  if (isAdtsHeader(b, 0)) return 'aac';
  if (isMpegAudioStart(b)) return 'mp3';
  if (/^\s*(<!doctype html|<html|<head|<body)/i.test(b.toString('latin1', 0, Math.min(b.length, 256)))) return 'html';
  return 'unknown';
}

/** The ASF Header Object's GUID, 75B22630-668E-11CF-A6D9-00AA0062CE6C, as stored. */
const ASF_HEADER_GUID = Buffer.from([
  0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c,
]);

/**
 * ISO-BMFF: `ftyp` first (m4a, mp4, 3gp, recent mov); old QuickTime movies may open with `moov`, `mdat` or
 * `wide` instead. The box size must be plausible, so that text starting with those letters is not taken.
 */
function isBmffStart(b: Buffer): boolean {
  if (b.length < 8) return false;
  const type = b.toString('latin1', 4, 8);
  const size = b.readUInt32BE(0);
  if (type === 'ftyp') return size >= 8;
  if (type === 'moov' || type === 'mdat' || type === 'wide') return size === 1 || size >= 8;
  return false;
}

/** Where an ID3v2 tag starting at 0 ends (header, syncsafe size, optional footer), if well formed. */
export function id3v2End(b: Uint8Array): number | undefined {
  if (b.length < 10 || b[0] !== 0x49 || b[1] !== 0x44 || b[2] !== 0x33) return undefined;
  if (b[3] === 0xff || b[4] === 0xff) return undefined;
  if ((b[6] | b[7] | b[8] | b[9]) & 0x80) return undefined;
  const size = (b[6] << 21) | (b[7] << 14) | (b[8] << 7) | b[9];
  const footer = b[5] & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/** An ADTS (raw AAC) frame header at i: 12-bit sync, layer 0, a valid sampling-frequency index. */
function isAdtsHeader(b: Uint8Array, i: number): boolean {
  if (i + 7 > b.length) return false;
  if (b[i] !== 0xff || (b[i + 1] & 0xf6) !== 0xf0) return false;
  const freqIndex = (b[i + 2] >> 2) & 0x0f;
  const frameLength = ((b[i + 3] & 0x03) << 11) | (b[i + 4] << 3) | (b[i + 5] >> 5);
  return freqIndex < 13 && frameLength >= 7;
}

/**
 * MPEG audio with no tag: a valid frame header at 0 and, when the head reaches that far, another one where
 * the first frame ends (a lone 0xFFEx pair is too common in other data to decide alone).
 */
function isMpegAudioStart(b: Uint8Array): boolean {
  const first = parseMpegHeader(b, 0);
  if (!first) return false;
  const next = first.frameBytes;
  if (next + 4 > b.length) return true;
  const second = parseMpegHeader(b, next);
  return second !== undefined && second.sampleRate === first.sampleRate && second.layer === first.layer;
}

/** An MPEG-1/2/2.5 audio frame header, parsed. */
export interface MpegHeader {
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  /** Bits per second. */
  bitrate: number;
  sampleRate: number;
  channels: 1 | 2;
  /** The whole frame, header included. */
  frameBytes: number;
  samplesPerFrame: number;
}

const BITRATES_KBPS = {
  v1l1: [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  v1l2: [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  v1l3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  v2l1: [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  v2l23: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};
const SAMPLE_RATES: Record<1 | 2 | 2.5, number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  2.5: [11025, 12000, 8000],
};

/** Parses an MPEG audio frame header at i; undefined unless every field is valid (free format is not). */
export function parseMpegHeader(b: Uint8Array, i: number): MpegHeader | undefined {
  if (i < 0 || i + 4 > b.length) return undefined;
  if (b[i] !== 0xff || (b[i + 1] & 0xe0) !== 0xe0) return undefined;
  const versionBits = (b[i + 1] >> 3) & 0x03;
  const layerBits = (b[i + 1] >> 1) & 0x03;
  const bitrateIndex = (b[i + 2] >> 4) & 0x0f;
  const rateIndex = (b[i + 2] >> 2) & 0x03;
  const padding = (b[i + 2] >> 1) & 0x01;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) {
    return undefined;
  }
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = layerBits === 3 ? 1 : layerBits === 2 ? 2 : 3;
  const table =
    version === 1
      ? layer === 1
        ? BITRATES_KBPS.v1l1
        : layer === 2
          ? BITRATES_KBPS.v1l2
          : BITRATES_KBPS.v1l3
      : layer === 1
        ? BITRATES_KBPS.v2l1
        : BITRATES_KBPS.v2l23;
  const bitrate = table[bitrateIndex] * 1000;
  const sampleRate = SAMPLE_RATES[version][rateIndex];
  const channels = ((b[i + 3] >> 6) & 0x03) === 3 ? 1 : 2;
  const samplesPerFrame = layer === 1 ? 384 : layer === 2 || version === 1 ? 1152 : 576;
  const frameBytes =
    layer === 1
      ? (Math.floor((12 * bitrate) / sampleRate) + padding) * 4
      : Math.floor(((samplesPerFrame / 8) * bitrate) / sampleRate) + padding;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent; only free format (bitrate 0, refused above) gives a frame under 4 bytes, every valid header's frame has 24 or more
  if (frameBytes < 4) return undefined;
  return { version, layer, bitrate, sampleRate, channels, frameBytes, samplesPerFrame };
}

/** Top-level ISO-BMFF boxes within the head: type, where its content starts, where it ends (may pass the head). */
export function* bmffBoxes(
  b: Uint8Array,
  start = 0,
  end = b.length,
): Generator<{ type: string; contentStart: number; end: number }> {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let at = start;
  // Each box is at least 8 bytes, so this ends within (end - start) / 8 steps.
  while (at + 8 <= end && at + 8 <= b.length) {
    let size = view.getUint32(at);
    const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
    let header = 8;
    if (size === 1) {
      if (at + 16 > b.length) return;
      const big = view.getBigUint64(at + 8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return;
      size = Number(big);
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header) return;
    yield { type, contentStart: at + header, end: at + size };
    at += size;
  }
}

/** An MP4 whose `moov` comes before its `mdat`, as far as the head shows. */
function moovBeforeMdat(head: Uint8Array): boolean {
  for (const box of bmffBoxes(head)) {
    if (box.type === 'moov') return true;
    if (box.type === 'mdat') return false;
  }
  return false;
}
