/**
 * How long a file that would be sent as it is really plays, read from its own structure over the whole file: the
 * length limit must hold for files the provider gets byte for byte, and their headers are written by whoever shared
 * them. Nothing here trusts a field the data can contradict:
 *
 * - WAV (PCM): the chunks are walked to `data`, wherever it is; the length is the bytes actually present in it over
 *   sample rate × block size (the `fmt` byte rate, which a decoder ignores for PCM, is not read).
 * - MP3: an ID3v2 tag of any size is skipped, then every MPEG frame in the file is counted; a Xing, Info or VBRI
 *   header's frame count is not read.
 * - MP4: the top-level boxes are walked to `moov`, wherever it is (after `mdat` is ffmpeg's and many phones' layout);
 *   each sound track's length is its sample table's (`stts`) total over its media timescale (`mdhd`); `mvhd` is not
 *   read.
 *
 * Anything else, or a file these rules cannot read, gives undefined: the caller then converts it with ffmpeg, whose
 * output is bounded by the limit. Reads are bounded (chunks, boxes, the size of `moov`) and nothing here throws on
 * what the file holds.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { bmffBoxes, id3v2End, parseMpegHeader } from './containers.ts';

/** The containers sent as they are, whose length is read here. */
export type MeasuredContainer = 'wav' | 'mp3' | 'mp4';

/** How much of a hostile file is looked at before giving up (and converting it instead). */
export const LENGTH_LIMITS = {
  /** RIFF chunks walked before `data`. */
  wavChunks: 1_000,
  /** Top-level MP4 boxes walked to find `moov`. */
  mp4Boxes: 1_000,
  /** The largest `moov` read into memory (a two-hour memo's is a few MB). */
  moovBytes: 32 * 1024 * 1024,
  /** The file is read for MPEG frames in windows of this size. */
  mp3WindowBytes: 1024 * 1024,
} as const;

/** The length in seconds of the file at `path`, from its structure; undefined when it cannot tell. */
export async function lengthOfFile(path: string, container: MeasuredContainer): Promise<number | undefined> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    const seconds =
      container === 'wav'
        ? await wavLength(file, size)
        : container === 'mp3'
          ? await mp3Length(file, size)
          : await mp4Length(file, size);
    return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
  } finally {
    await file.close();
  }
}

async function read(file: FileHandle, at: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, at);
  return buffer.subarray(0, bytesRead);
}

/** Formats whose samples are plain PCM (integer or float), the only ones whose length follows from their size. */
const PCM = new Set([1, 3]);
const EXTENSIBLE = 0xfffe;

async function wavLength(file: FileHandle, size: number): Promise<number | undefined> {
  const header = await read(file, 0, 12);
  const riff = header.toString('latin1', 0, 4);
  if (header.length < 12 || (riff !== 'RIFF' && riff !== 'RF64') || header.toString('latin1', 8, 12) !== 'WAVE') {
    return undefined;
  }
  let bytesPerSecond: number | undefined;
  let ds64DataSize: number | undefined;
  let at = 12;
  for (let chunk = 0; chunk < LENGTH_LIMITS.wavChunks && at + 8 <= size; chunk++) {
    const head = await read(file, at, 8);
    if (head.length < 8) return undefined;
    const id = head.toString('latin1', 0, 4);
    const chunkSize = head.readUInt32LE(4);
    const content = at + 8;
    if (id === 'ds64') {
      const ds64 = await read(file, content, 16);
      if (ds64.length === 16) ds64DataSize = Number(ds64.readBigUInt64LE(8));
    } else if (id === 'fmt ') {
      bytesPerSecond = pcmBytesPerSecond(await read(file, content, Math.min(chunkSize, 40)));
      if (bytesPerSecond === undefined) return undefined;
    } else if (id === 'data') {
      if (bytesPerSecond === undefined) return undefined;
      const declared = riff === 'RF64' && chunkSize === 0xffffffff ? ds64DataSize : chunkSize;
      const present = size - content;
      // A streaming size (0, or all ones) means "to the end"; a larger one than the file holds, what it holds.
      const bytes = !declared || declared === 0xffffffff ? present : Math.min(declared, present);
      return bytes / bytesPerSecond;
    }
    at = content + chunkSize + (chunkSize % 2);
  }
  return undefined;
}

/** Sample rate × block size of a PCM `fmt ` chunk whose fields agree with each other; undefined for anything else. */
function pcmBytesPerSecond(fmt: Buffer): number | undefined {
  if (fmt.length < 16) return undefined;
  let format = fmt.readUInt16LE(0);
  if (format === EXTENSIBLE && fmt.length >= 26) format = fmt.readUInt16LE(24);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const blockAlign = fmt.readUInt16LE(12);
  const bits = fmt.readUInt16LE(14);
  if (!PCM.has(format) || channels < 1 || channels > 32 || bits < 8 || bits > 64) return undefined;
  if (sampleRate < 1_000 || sampleRate > 768_000 || blockAlign !== channels * Math.ceil(bits / 8)) return undefined;
  return sampleRate * blockAlign;
}

/** Every MPEG frame of the file, after any ID3v2 tag, each found where the previous one ends or by resyncing. */
async function mp3Length(file: FileHandle, size: number): Promise<number | undefined> {
  const tag = await read(file, 0, 10);
  let at = tag.toString('latin1', 0, 3) === 'ID3' ? (id3v2End(tag) ?? size) : 0;
  let seconds = 0;
  let frames = 0;
  const window = LENGTH_LIMITS.mp3WindowBytes;
  while (at + 4 <= size) {
    const bytes = await read(file, at, window);
    let i = 0;
    // Frames are read within the window while their header (4 bytes) is in it; the next window starts at the first
    // frame that was not, so none is counted twice or missed.
    while (i + 4 <= bytes.length) {
      const frame = parseMpegHeader(bytes, i);
      if (!frame) {
        i += 1;
        continue;
      }
      frames += 1;
      seconds += frame.samplesPerFrame / frame.sampleRate;
      i += frame.frameBytes;
    }
    if (bytes.length < window) break;
    // The loop stopped within the window's last 3 bytes, or at the next frame past it: go on from there.
    at += i;
  }
  return frames > 0 ? seconds : undefined;
}

/** The longest sound track in `moov`, wherever `moov` is among the top-level boxes. */
async function mp4Length(file: FileHandle, size: number): Promise<number | undefined> {
  let at = 0;
  for (let box = 0; box < LENGTH_LIMITS.mp4Boxes && at + 8 <= size; box++) {
    const head = await read(file, at, 16);
    if (head.length < 8) return undefined;
    let boxSize = head.readUInt32BE(0);
    const type = head.toString('latin1', 4, 8);
    let header = 8;
    if (boxSize === 1) {
      if (head.length < 16) return undefined;
      const big = head.readBigUInt64BE(8);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      boxSize = Number(big);
      header = 16;
    } else if (boxSize === 0) {
      boxSize = size - at;
    }
    if (boxSize < header) return undefined;
    if (type === 'moov') {
      const length = boxSize - header;
      if (length > LENGTH_LIMITS.moovBytes) return undefined;
      return soundLength(await read(file, at + header, length));
    }
    at += boxSize;
  }
  return undefined;
}

function soundLength(moov: Buffer): number | undefined {
  let longest: number | undefined;
  for (const trak of children(moov, 0, moov.length, 'trak')) {
    const mdia = first(moov, trak.contentStart, trak.end, 'mdia');
    if (!mdia) continue;
    const hdlr = first(moov, mdia.contentStart, mdia.end, 'hdlr');
    if (!hdlr || moov.toString('latin1', hdlr.contentStart + 8, hdlr.contentStart + 12) !== 'soun') continue;
    const timescale = mdhdTimescale(moov, first(moov, mdia.contentStart, mdia.end, 'mdhd'));
    const minf = first(moov, mdia.contentStart, mdia.end, 'minf');
    const stbl = minf && first(moov, minf.contentStart, minf.end, 'stbl');
    const stts = stbl && first(moov, stbl.contentStart, stbl.end, 'stts');
    if (!timescale || !stts) continue;
    const units = sttsTotal(moov, stts.contentStart, stts.end);
    if (units === undefined) continue;
    const seconds = units / timescale;
    if (longest === undefined || seconds > longest) longest = seconds;
  }
  return longest;
}

type Box = { type: string; contentStart: number; end: number };

function* children(b: Buffer, start: number, end: number, type: string): Generator<Box> {
  for (const box of bmffBoxes(b, start, Math.min(end, b.length))) {
    if (box.end > end) return;
    if (box.type === type) yield box;
  }
}

function first(b: Buffer, start: number, end: number, type: string): Box | undefined {
  for (const box of children(b, start, end, type)) return box;
  return undefined;
}

/** `mdhd`: version 0 has 32-bit times (timescale at 12), version 1 64-bit ones (timescale at 20). */
function mdhdTimescale(b: Buffer, mdhd: Box | undefined): number | undefined {
  if (!mdhd) return undefined;
  const at = mdhd.contentStart + (b[mdhd.contentStart] === 1 ? 20 : 12);
  return at + 4 <= mdhd.end ? b.readUInt32BE(at) : undefined;
}

/** `stts`: entries of (sample count, sample delta); their products' sum is the track's length in timescale units. */
function sttsTotal(b: Buffer, start: number, end: number): number | undefined {
  if (start + 8 > end) return undefined;
  const entries = b.readUInt32BE(start + 4);
  if (start + 8 + entries * 8 > end) return undefined;
  let total = 0;
  for (let i = 0; i < entries; i++) {
    const at = start + 8 + i * 8;
    total += b.readUInt32BE(at) * b.readUInt32BE(at + 4);
  }
  return total;
}
