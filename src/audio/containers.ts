/** What the first bytes of a file say it is. */
export type Container = 'wav' | 'mp3' | 'mp4' | 'webm' | 'ogg' | 'flac' | 'aac' | 'amr' | 'html' | 'unknown';

export const SNIFF_BYTES = 64;

export function sniff(head: Uint8Array): Container {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const ascii = (start: number, end: number) => b.toString('latin1', start, end);
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WAVE') return 'wav';
  if (ascii(0, 3) === 'ID3') return 'mp3';
  if (ascii(4, 8) === 'ftyp') return 'mp4';
  if (b.length >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (ascii(0, 4) === 'OggS') return 'ogg';
  if (ascii(0, 4) === 'fLaC') return 'flac';
  if (ascii(0, 6) === '#!AMR\n' || ascii(0, 9) === '#!AMR-WB\n') return 'amr';
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xf6) === 0xf0) return 'aac';
  if (b.length >= 2 && b[0] === 0xff && (b[1] & 0xe0) === 0xe0) return 'mp3';
  if (/^\s*(<!doctype html|<html|<head|<body)/i.test(ascii(0, SNIFF_BYTES))) return 'html';
  return 'unknown';
}
