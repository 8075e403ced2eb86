/**
 * MAX_AUDIO_MINUTES holds for files OMICall takes as they are: recordings whose header hides their length (the index
 * after the audio, a big tag, a chunk before the data, a lying frame count or byte rate) are refused in their thread
 * with their real length, and nothing reaches OMICall; honest short ones still go byte for byte.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { type LongAudio, longAudio } from './helpers/long-audio.ts';

const dir = mkdtempSync(join(tmpdir(), 'long-attacks-'));
let files: LongAudio;
let h: Harness | undefined;
beforeAll(() => {
  files = longAudio(dir, 180);
});
afterEach(async () => {
  await h?.stop();
  h = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MIMETYPE = { wav: 'audio/wav', mp3: 'audio/mpeg', m4a: 'audio/mp4' } as const;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('with MAX_AUDIO_MINUTES=2, a 180 s recording sent as it is', () => {
  it.each([
    ['an M4A whose index follows the audio', 'm4aMoovLast', 'm4a'],
    ['an MP3 behind an 80 KB ID3 tag', 'mp3BigTag', 'mp3'],
    ['a WAV with a 70 KB chunk before its data', 'wavChunkFirst', 'wav'],
    ['an MP3 whose Xing header counts 0.36 s', 'mp3LyingXing', 'mp3'],
    ['a WAV whose byte rate says 1.8 s', 'wavLyingByteRate', 'wav'],
  ] as const)('%s is refused in its thread with its length, and nothing is uploaded', async (_, file, ext) => {
    h = await Harness.start({ env: { MAX_AUDIO_MINUTES: '2' } });
    const app = h;
    const shared = app.slack.addFile({ name: `memo.${ext}`, mimetype: MIMETYPE[ext], path: files[file] });
    const { channel, ts } = await app.share([shared]);
    const reply = await waitFor(
      () => app.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
      10_000,
      'the refusal',
    );
    expect(reply.text).toMatch(/the recording is 3 minutes long and the limit is 2 minutes/);
    await waitFor(() => app.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'the warning reaction');
    expect(app.omicall.attempts).toBe(0);
  });
});

describe('honest recordings under the limit', () => {
  it.each(['wav', 'mp3', 'm4a'] as const)('a spoken %s still goes to OMICall byte for byte', async (ext) => {
    h = await Harness.start({ env: { MAX_AUDIO_MINUTES: '2' } });
    const app = h;
    const path = speech(ext);
    const { ts } = await app.share([app.slack.addFile({ name: `memo.${ext}`, mimetype: MIMETYPE[ext], path })]);
    const upload = await waitFor(() => app.omicall.uploads[0], 10_000, 'the upload');
    expect(upload.sha256).toBe(sha(readFileSync(path)));
    expect(upload.fileName).toMatch(new RegExp(`\\.${ext}$`));
    expect(app.slack.thread('C0SALES01', ts)).toHaveLength(1);
  });
});
