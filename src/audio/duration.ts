/**
 * A file's duration from its first bytes, before anything is uploaded or converted, so that audio longer
 * than allowed is refused whatever its size (an hour of silence is 14 KB of FLAC).
 *
 * The bytes are untrusted: every read is bounds-checked against the head, every loop advances by at least
 * one header per step through a finite buffer, and nothing here throws. A duration is a finite number of
 * seconds above zero, or undefined when the head does not tell.
 */
import { bmffBoxes, type Container, id3v2End, parseMpegHeader } from './containers.ts';

/**
 * The duration in seconds that the head of a file declares, when it does.
 *
 * - wav: data chunk size / byte rate (RF64's ds64 size too); a streaming size (0 or 0xFFFFFFFF) falls back
 *   to `totalBytes` minus the header.
 * - flac: STREAMINFO total samples / sample rate (0 samples means unknown).
 * - mp3: the Xing/Info or VBRI frame count; else constant bit rate from the first frame and `totalBytes`
 *   minus the ID3v2 tag.
 * - mp4: `mvhd` (version 0 or 1), when the head reaches it (`moov` first, or a small file).
 * - webm: Segment Info Duration × TimecodeScale, when Info lies within the head (live recordings have none).
 * - Other containers: undefined.
 *
 * @param totalBytes the whole file's size, when known (Content-Length); used only where the header lacks it.
 */
export function durationFromHead(container: Container, head: Uint8Array, totalBytes?: number): number | undefined {
  try {
    const seconds = parse(container, head, totalBytes);
    return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
  } catch {
    // Every read is bounds-checked; this only guards against a mistake here turning into a failed memo.
    return undefined;
  }
}

function parse(container: Container, head: Uint8Array, totalBytes: number | undefined): number | undefined {
  const total = totalBytes !== undefined && Number.isFinite(totalBytes) && totalBytes > 0 ? totalBytes : undefined;
  switch (container) {
    case 'wav':
      return wav(new Reader(head), total);
    case 'flac':
      return flac(new Reader(head));
    case 'mp3':
      return mp3(head, total);
    case 'mp4':
      return mp4(head);
    case 'webm':
      return matroska(new Reader(head));
    default:
      return undefined;
  }
}

/** Bounds-checked reads: out of range gives undefined, never an exception. */
class Reader {
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get length(): number {
    return this.bytes.length;
  }
  has(at: number, n: number): boolean {
    return Number.isInteger(at) && at >= 0 && at + n <= this.bytes.length;
  }
  ascii(at: number, n: number): string | undefined {
    if (!this.has(at, n)) return undefined;
    return String.fromCharCode(...this.bytes.subarray(at, at + n));
  }
  u8(at: number): number | undefined {
    return this.has(at, 1) ? this.bytes[at] : undefined;
  }
  u16le(at: number): number | undefined {
    return this.has(at, 2) ? this.#view.getUint16(at, true) : undefined;
  }
  u32le(at: number): number | undefined {
    return this.has(at, 4) ? this.#view.getUint32(at, true) : undefined;
  }
  u32be(at: number): number | undefined {
    return this.has(at, 4) ? this.#view.getUint32(at, false) : undefined;
  }
  u64le(at: number): number | undefined {
    return this.has(at, 8) ? Number(this.#view.getBigUint64(at, true)) : undefined;
  }
  u64be(at: number): number | undefined {
    return this.has(at, 8) ? Number(this.#view.getBigUint64(at, false)) : undefined;
  }
  f32be(at: number): number | undefined {
    return this.has(at, 4) ? this.#view.getFloat32(at, false) : undefined;
  }
  f64be(at: number): number | undefined {
    return this.has(at, 8) ? this.#view.getFloat64(at, false) : undefined;
  }
}

/** RIFF/RF64/BW64 WAVE: chunks after the 12-byte header, each id, size (LE), data padded to even. */
function wav(r: Reader, total: number | undefined): number | undefined {
  const riff = r.ascii(0, 4);
  if ((riff !== 'RIFF' && riff !== 'RF64' && riff !== 'BW64') || r.ascii(8, 4) !== 'WAVE') return undefined;
  let byteRate: number | undefined;
  let ds64DataSize: number | undefined;
  let at = 12;
  while (r.has(at, 8)) {
    const id = r.ascii(at, 4);
    const size = r.u32le(at + 4) ?? 0;
    const content = at + 8;
    if (id === 'ds64') ds64DataSize = r.u64le(content + 8);
    if (id === 'fmt ') byteRate = r.u32le(content + 8);
    if (id === 'data') {
      if (!byteRate) return undefined;
      let dataBytes: number | undefined = size;
      if (size === 0xffffffff && ds64DataSize) dataBytes = ds64DataSize;
      else if (size === 0 || size === 0xffffffff) dataBytes = total !== undefined ? total - content : undefined;
      else if (total !== undefined) dataBytes = Math.min(size, total - content);
      return dataBytes !== undefined && dataBytes > 0 ? dataBytes / byteRate : undefined;
    }
    // Each step moves at least 8 bytes; a huge size leaves the head and ends the loop.
    at = content + size + (size % 2);
  }
  return undefined;
}

/** "fLaC", then metadata blocks; STREAMINFO comes first and holds the rate and the total sample count. */
function flac(r: Reader): number | undefined {
  let at = 0;
  if (r.ascii(0, 3) === 'ID3') {
    const end = id3v2End(r.bytes);
    if (end === undefined) return undefined;
    at = end;
  }
  if (r.ascii(at, 4) !== 'fLaC') return undefined;
  const blockType = (r.u8(at + 4) ?? 0xff) & 0x7f;
  if (blockType !== 0) return undefined;
  const info = at + 8;
  const b10 = r.u8(info + 10);
  const b11 = r.u8(info + 11);
  const b12 = r.u8(info + 12);
  const b13 = r.u8(info + 13);
  const low = r.u32be(info + 14);
  if (b10 === undefined || b11 === undefined || b12 === undefined || b13 === undefined || low === undefined) {
    return undefined;
  }
  const sampleRate = (b10 << 12) | (b11 << 4) | (b12 >> 4);
  const totalSamples = (b13 & 0x0f) * 2 ** 32 + low;
  if (sampleRate === 0 || totalSamples === 0) return undefined;
  return totalSamples / sampleRate;
}

/**
 * MPEG audio: skip the ID3v2 tag, find the first frame (a header the next frame confirms, or the last one
 * the head shows), then read a Xing/Info or VBRI frame count in it, else assume a constant bit rate.
 */
function mp3(head: Uint8Array, total: number | undefined): number | undefined {
  const r = new Reader(head);
  const tagEnd = r.ascii(0, 3) === 'ID3' ? id3v2End(head) : 0;
  if (tagEnd === undefined) return undefined;
  const start = firstFrame(head, tagEnd);
  if (start === undefined) return undefined;
  const frame = parseMpegHeader(head, start);
  if (!frame) return undefined;

  // Xing/Info sits after the side information, whose size depends on the version and the channels.
  const sideInfo = frame.version === 1 ? (frame.channels === 1 ? 17 : 32) : frame.channels === 1 ? 9 : 17;
  const xing = start + 4 + sideInfo;
  const tag = r.ascii(xing, 4);
  if (tag === 'Xing' || tag === 'Info') {
    const flags = r.u32be(xing + 4);
    const frames = flags !== undefined && flags & 1 ? r.u32be(xing + 8) : undefined;
    if (frames) return (frames * frame.samplesPerFrame) / frame.sampleRate;
  }
  // VBRI (Fraunhofer) is always 32 bytes after the header: id, version, delay, quality, bytes, frames.
  if (r.ascii(start + 36, 4) === 'VBRI') {
    const frames = r.u32be(start + 36 + 14);
    if (frames) return (frames * frame.samplesPerFrame) / frame.sampleRate;
  }
  if (total === undefined || total <= start) return undefined;
  return ((total - start) * 8) / frame.bitrate;
}

/** The first MPEG frame at or after `from`, within the next 4 KiB of junk at most. */
function firstFrame(head: Uint8Array, from: number): number | undefined {
  const limit = Math.min(head.length - 4, from + 4096);
  for (let i = from; i <= limit; i++) {
    const h = parseMpegHeader(head, i);
    if (!h) continue;
    const next = i + h.frameBytes;
    if (next + 4 > head.length) return i;
    const n = parseMpegHeader(head, next);
    if (n && n.sampleRate === h.sampleRate && n.layer === h.layer) return i;
  }
  return undefined;
}

/** ISO-BMFF: `moov` › `mvhd`: timescale and duration (32-bit in version 0, 64-bit in version 1). */
function mp4(head: Uint8Array): number | undefined {
  const r = new Reader(head);
  // `moov` usually follows `mdat`, beyond the head; a small file may hold both within it.
  for (const box of bmffBoxes(head)) {
    if (box.type !== 'moov') continue;
    for (const child of bmffBoxes(head, box.contentStart, box.end)) {
      if (child.type !== 'mvhd') continue;
      const at = child.contentStart;
      const version = r.u8(at);
      if (version === 0) {
        const timescale = r.u32be(at + 12);
        const duration = r.u32be(at + 16);
        if (!timescale || duration === undefined || duration === 0xffffffff) return undefined;
        return duration / timescale;
      }
      if (version === 1) {
        const timescale = r.u32be(at + 20);
        const duration = r.u64be(at + 24);
        if (!timescale || duration === undefined || duration >= 2 ** 53) return undefined;
        return duration / timescale;
      }
      return undefined;
    }
    return undefined;
  }
  return undefined;
}

const EBML_HEADER = 0x1a45dfa3;
const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const CLUSTER = 0x1f43b675;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;

/**
 * Matroska/WebM: the EBML header, then a Segment whose Info holds Duration (a float, in TimecodeScale
 * units, nanoseconds each by default 1,000,000). Info comes before the first Cluster; once a Cluster or an
 * element of unknown size is met inside the Segment, the head cannot tell.
 */
function matroska(r: Reader): number | undefined {
  const header = ebmlElement(r, 0);
  if (!header || header.id !== EBML_HEADER || header.size === undefined) return undefined;
  const segment = ebmlElement(r, header.dataStart + header.size);
  if (!segment || segment.id !== SEGMENT) return undefined;
  const segmentEnd = segment.size === undefined ? r.length : Math.min(r.length, segment.dataStart + segment.size);
  let at = segment.dataStart;
  while (at < segmentEnd) {
    const el = ebmlElement(r, at);
    if (!el || el.id === CLUSTER || el.size === undefined) return undefined;
    if (el.id === INFO) return matroskaInfo(r, el.dataStart, Math.min(segmentEnd, el.dataStart + el.size));
    at = el.dataStart + el.size;
  }
  return undefined;
}

function matroskaInfo(r: Reader, start: number, end: number): number | undefined {
  let scale = 1_000_000;
  let duration: number | undefined;
  let at = start;
  while (at < end) {
    const el = ebmlElement(r, at);
    if (!el || el.size === undefined) break;
    if (el.id === TIMECODE_SCALE) {
      const value = ebmlUint(r, el.dataStart, el.size);
      if (value) scale = value;
    } else if (el.id === DURATION) {
      duration = el.size === 4 ? r.f32be(el.dataStart) : el.size === 8 ? r.f64be(el.dataStart) : undefined;
    }
    at = el.dataStart + el.size;
  }
  return duration === undefined ? undefined : (duration * scale) / 1e9;
}

/**
 * One EBML element at `at`: its ID (a variable-length integer kept with its length marker, 1 to 4 bytes) and
 * its data size (1 to 8 bytes, marker removed; all ones is "unknown"). Each element takes at least 2 bytes, so
 * loops over elements advance.
 */
function ebmlElement(r: Reader, at: number): { id: number; size: number | undefined; dataStart: number } | undefined {
  const first = r.u8(at);
  if (first === undefined || first === 0) return undefined;
  const idLength = Math.clz32(first) - 23;
  if (idLength > 4 || !r.has(at, idLength)) return undefined;
  let id = 0;
  for (let i = 0; i < idLength; i++) id = id * 256 + r.bytes[at + i];
  const sizeAt = at + idLength;
  const s0 = r.u8(sizeAt);
  if (s0 === undefined || s0 === 0) return undefined;
  const sizeLength = Math.clz32(s0) - 23;
  if (!r.has(sizeAt, sizeLength)) return undefined;
  let size = s0 & (0xff >> sizeLength);
  let allOnes = size === 0xff >> sizeLength;
  for (let i = 1; i < sizeLength; i++) {
    const byte = r.bytes[sizeAt + i];
    size = size * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  const dataStart = sizeAt + sizeLength;
  if (allOnes) return { id, size: undefined, dataStart };
  if (!Number.isSafeInteger(size)) return undefined;
  return { id, size, dataStart };
}

function ebmlUint(r: Reader, at: number, size: number): number | undefined {
  if (size < 1 || size > 7 || !r.has(at, size)) return undefined;
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + r.bytes[at + i];
  return value;
}
