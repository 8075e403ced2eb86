/**
 * What OMICall receives for each audio and video format shared in Slack: the file as it is, or an MP3 of the same
 * length.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  desktopVoiceClip,
  iosVoiceClip,
  uploadedMov,
  uploadedMp3,
  uploadedMp4Video,
  videoClip,
} from './fixtures/slack-payloads.ts';
import { durationOf, type Fixture, speech } from './helpers/audio.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { shareAsSlackDoes } from './helpers/memos.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.stop();
});

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function shareAndReceive(spec: Parameters<Harness['slack']['addFile']>[0]) {
  const file = h.slack.addFile(spec);
  const before = h.omicall.uploads.length;
  const { channel, ts } = await h.share([file]);
  const upload = await waitFor(
    () => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)),
    10_000,
    `upload of ${spec.name}`,
  );
  expect(h.omicall.uploads.length).toBe(before + 1);
  return { upload, channel, ts };
}

const CHANNEL = 'C0PAYLOAD1';
const uploadOf = (ts: string) => waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);

describe('formats OMICall takes go byte for byte', () => {
  it.each([
    ['wav', 'audio/wav', 'wav'],
    ['mp3', 'audio/mpeg', 'mp3'],
    ['m4a', 'audio/mp4', 'm4a'],
  ] as const)('%s', async (kind, mimetype, ext) => {
    const path = speech(kind);
    const { upload } = await shareAndReceive({ name: `audio_message.${kind}`, mimetype, filetype: kind, path });
    expect(upload.sha256).toBe(sha(readFileSync(path)));
    expect(upload.fileName).toMatch(new RegExp(`\\.${ext}$`));
  });

  it("Slack's iOS clip (audio/mp4, subtype slack_audio) goes as .m4a", async () => {
    const path = speech('m4a');
    const { upload } = await shareAndReceive({
      name: 'audio_message.m4a',
      mimetype: 'audio/mp4',
      filetype: 'm4a',
      subtype: 'slack_audio',
      path,
    });
    expect(upload.sha256).toBe(sha(readFileSync(path)));
    expect(upload.fileName).toMatch(/\.m4a$/);
  });
});

describe('other audio and video are converted to MP3 of the same length', () => {
  const dir = mkdtempSync(join(tmpdir(), 'received-'));
  it.each([
    ['webm', { mimetype: 'audio/webm', filetype: 'webm', subtype: 'slack_audio', name: 'audio_message.webm' }],
    ['ogg', { mimetype: 'audio/ogg', filetype: 'ogg', name: 'note.ogg' }],
    ['flac', { mimetype: 'audio/flac', filetype: 'flac', name: 'note.flac' }],
    ['aac', { mimetype: 'audio/aac', filetype: 'aac', name: 'note.aac' }],
    ['amr', { mimetype: 'audio/amr', filetype: 'amr', name: 'note.amr' }],
    ['mp4', { mimetype: 'video/mp4', filetype: 'mp4', subtype: 'slack_video', name: 'clip.mp4' }],
    ['mov', { mimetype: 'video/quicktime', filetype: 'mov', name: 'clip.mov' }],
    ['webm', { mimetype: '', filetype: '', name: 'audio_message.webm' }],
  ] as [Fixture, Record<string, string>][])('%s %o', async (kind, meta) => {
    const path = speech(kind);
    const { upload } = await shareAndReceive({ ...meta, name: meta.name, path });
    expect(upload.fileName).toMatch(/\.mp3$/);
    expect(upload.contentType).toBe('audio/mpeg');
    const bytes = upload.bytes as Buffer;
    expect(bytes.subarray(0, 3).toString('latin1') === 'ID3' || (bytes[0] === 0xff && (bytes[1] & 0xe0) === 0xe0)).toBe(
      true,
    );
    const received = join(dir, `${kind}-${upload.sha256}.mp3`);
    writeFileSync(received, bytes);
    // Against the spoken WAV: containers like raw AAC only estimate their duration.
    expect(Math.abs(durationOf(received) - durationOf(speech('wav')))).toBeLessThan(0.5);
  });
});

describe("Slack's own clips and uploads, as its file host serves them", () => {
  it('a desktop clip (audio_message.webm) is served as MP4/AAC and goes to OMICall as .m4a, byte for byte', async () => {
    const path = speech('m4a');
    const clip = host(h, desktopVoiceClip(h.slack.url), { path });
    expect(clip.url_private_download).toMatch(/audio_message_audio\.mp4$/);
    const ts = await shareAsSlackDoes(h, CHANNEL, [clip]);
    const upload = await uploadOf(ts);
    expect(upload.fileName).toMatch(/\.m4a$/);
    expect(upload.sha256).toBe(sha(readFileSync(path)));
  });

  it('an iOS clip goes as .m4a; a video clip and uploaded MP4 and MOV videos are converted to MP3; an MP3 goes as is', async () => {
    const cases = [
      { file: host(h, iosVoiceClip(h.slack.url), { path: speech('m4a') }), name: /\.m4a$/ },
      { file: host(h, videoClip(h.slack.url), { path: speech('mp4') }), name: /\.mp3$/ },
      { file: host(h, uploadedMp4Video(h.slack.url), { path: speech('mp4') }), name: /\.mp3$/ },
      { file: host(h, uploadedMov(h.slack.url), { path: speech('mov') }), name: /\.mp3$/ },
      { file: host(h, uploadedMp3(h.slack.url), { path: speech('mp3') }), name: /\.mp3$/ },
    ];
    for (const c of cases) {
      const ts = await shareAsSlackDoes(h, CHANNEL, [c.file]);
      expect((await uploadOf(ts)).fileName).toMatch(c.name);
    }
  });
});
