/**
 * Hostile files shared in Slack, through the app: playlists and concat lists posing as audio, and recordings that lie
 * about their length, never reach OMICall.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../src/audio/ffmpeg.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';

/** Every attack below was first reproduced against the app as it was; each now sees it refused. */
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});
const dir = mkdtempSync(join(tmpdir(), 'attacks-'));
const secretWav = join(dir, 'meeting.wav');
beforeAll(() => {
  writeFileSync(secretWav, readFileSync(speech('wav', 'Bí mật của công ty.')));
});
async function failure(app: Harness, channel: string, ts: string) {
  return waitFor(() => app.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')), 10_000);
}

describe('untrusted files', () => {
  const lists: [string, string][] = [
    ['an HLS playlist', `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://${secretWav}\n#EXT-X-ENDLIST\n`],
    ['a live HLS playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://127.0.0.1:9/live.ts\n'],
    ['an ffconcat list', `ffconcat version 1.0\nfile ${secretWav}\n`],
  ];
  it.each(lists)('%s shared as voice-note.ogg is never given to ffmpeg and nothing is uploaded', async (_, text) => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({ name: 'voice-note.ogg', mimetype: 'audio/ogg', bytes: Buffer.from(text) });
    const started = Date.now();
    const { channel, ts } = await app.share([file]);
    const reply = await failure(app, channel, ts);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reply.text).toMatch(/not audio OMICall can take/);
    expect(reply.text).not.toMatch(/\/|ffmpeg|EXTM3U/);
    expect(app.omicall.attempts).toBe(0);
    await waitFor(() => app.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'the warning reaction');
  });

  it('an hour of silence in a few KB of FLAC is refused before any upload when the limit is less', async () => {
    const app = await Harness.start({ env: { MAX_AUDIO_MINUTES: '10' } });
    h = app;
    const path = join(dir, 'hour.flac');
    execFileSync(findFfmpeg().path, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=8000:cl=mono',
      '-t',
      '3600',
      '-c:a',
      'flac',
      path,
    ]);
    const { channel, ts } = await app.share([
      app.slack.addFile({ name: 'silence.flac', mimetype: 'audio/flac', path }),
    ]);
    const reply = await failure(app, channel, ts);
    expect(reply.text).toMatch(/the recording is 60 minutes long and the limit is 10 minutes/);
    expect(app.omicall.attempts).toBe(0);
  });

  it('a FLAC that hides its length is cut at the limit while converting, and never accepted', async () => {
    const app = await Harness.start({ env: { MAX_AUDIO_MINUTES: '2' } });
    h = app;
    // Written to a pipe, ffmpeg cannot go back to fill in the length: the header says "unknown".
    const bytes = execFileSync(
      findFfmpeg().path,
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'anullsrc=r=8000:cl=mono',
        '-t',
        '1800',
        '-c:a',
        'flac',
        '-f',
        'flac',
        'pipe:1',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const { channel, ts } = await app.share([
      app.slack.addFile({ name: 'endless.flac', mimetype: 'audio/flac', bytes }),
    ]);
    const reply = await failure(app, channel, ts);
    expect(reply.text).toMatch(/the limit is 2 minutes/);
    expect(app.omicall.uploads).toEqual([]);
  });
});
