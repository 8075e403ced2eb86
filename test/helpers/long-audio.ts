import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FFMPEG } from './audio.ts';

/**
 * Recordings of a known length (a tone, 8 kHz mono) made by ffmpeg in `dir`, and the same files with their headers
 * edited the ways a hostile sharer would, to hide their length from a reader of the header alone.
 */
export interface LongAudio {
  wav: string;
  mp3: string;
  /** MP4 audio with its index (`moov`) after the audio: ffmpeg's default layout, and many phones'. */
  m4aMoovLast: string;
  /** The MP3 behind an 80 KB ID3v2 tag (cover art). */
  mp3BigTag: string;
  /** The WAV with a 70 KB chunk before `data`. */
  wavChunkFirst: string;
  /** The MP3 whose Xing/Info header counts 0.36 s of frames. */
  mp3LyingXing: string;
  /** The WAV whose `fmt` byte rate says 1.8 s. */
  wavLyingByteRate: string;
}

const tone = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}:sample_rate=8000`];

function ffmpeg(args: string[], out: string): string {
  execFileSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', ...args, out]);
  return out;
}

export function longAudio(dir: string, seconds: number): LongAudio {
  const wav = ffmpeg(
    [...tone(seconds), '-ac', '1', '-c:a', 'pcm_s16le', '-f', 'wav'],
    join(dir, `tone-${seconds}.wav`),
  );
  const mp3 = ffmpeg(
    [...tone(seconds), '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '8k', '-f', 'mp3'],
    join(dir, `tone-${seconds}.mp3`),
  );
  const m4aMoovLast = ffmpeg(
    [...tone(seconds), '-ac', '1', '-c:a', 'aac', '-b:a', '16k', '-f', 'ipod'],
    join(dir, `tone-${seconds}.m4a`),
  );

  const mp3Bytes = readFileSync(mp3);
  const tagSize = 80 * 1024;
  const tag = Buffer.alloc(10 + tagSize);
  tag.write('ID3', 0, 'latin1');
  tag[3] = 4;
  for (let i = 0; i < 4; i++) tag[6 + i] = (tagSize >> (7 * (3 - i))) & 0x7f;
  const mp3BigTag = join(dir, `tagged-${seconds}.mp3`);
  writeFileSync(mp3BigTag, Buffer.concat([tag, mp3Bytes]));

  const lying = Buffer.from(mp3Bytes);
  const xing = Math.max(lying.indexOf('Xing', 0, 'latin1'), lying.indexOf('Info', 0, 'latin1'));
  if (xing < 0 || xing > 200) throw new Error('ffmpeg wrote no Xing/Info header');
  lying.writeUInt32BE(lying.readUInt32BE(xing + 4) | 1, xing + 4);
  // 8 kHz MPEG-2.5 layer III: 576 samples a frame, so 5 frames are 0.36 s.
  lying.writeUInt32BE(5, xing + 8);
  const mp3LyingXing = join(dir, `xing-${seconds}.mp3`);
  writeFileSync(mp3LyingXing, lying);

  const wavBytes = readFileSync(wav);
  const data = wavBytes.indexOf('data', 12, 'latin1');
  const filler = Buffer.alloc(8 + 70 * 1024);
  filler.write('LIST', 0, 'latin1');
  filler.writeUInt32LE(70 * 1024, 4);
  const chunked = Buffer.concat([wavBytes.subarray(0, data), filler, wavBytes.subarray(data)]);
  chunked.writeUInt32LE(chunked.length - 8, 4);
  const wavChunkFirst = join(dir, `chunked-${seconds}.wav`);
  writeFileSync(wavChunkFirst, chunked);

  const rate = Buffer.from(wavBytes);
  const fmt = rate.indexOf('fmt ', 12, 'latin1');
  const dataBytes = rate.readUInt32LE(data + 4);
  rate.writeUInt32LE(Math.round(dataBytes / 1.8), fmt + 8 + 8);
  const wavLyingByteRate = join(dir, `rate-${seconds}.wav`);
  writeFileSync(wavLyingByteRate, rate);

  return { wav, mp3, m4aMoovLast, mp3BigTag, wavChunkFirst, mp3LyingXing, wavLyingByteRate };
}
