/**
 * How long a file sent as it is really plays (src/audio/length.ts), read over the whole file from its structure:
 * real files made by ffmpeg, and the same files with their headers edited to hide their length.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationFromHead } from '../src/audio/duration.ts';
import { lengthOfFile } from '../src/audio/length.ts';
import { secondsOf, speech, wavHeader } from './helpers/audio.ts';
import { type LongAudio, longAudio } from './helpers/long-audio.ts';

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
