import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationOf, type Fixture, speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';

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

describe('files without a mimetype', () => {
  it('are transcribed when their first bytes are audio', async () => {
    const path = speech('wav');
    const { upload } = await shareAndReceive({ name: 'recording', mimetype: '', filetype: '', path });
    expect(upload.sha256).toBe(sha(readFileSync(path)));
    expect(upload.fileName).toMatch(/\.wav$/);
  });

  it('are ignored without a word when their bytes are not audio', async () => {
    const file = h.slack.addFile({
      name: 'notes',
      mimetype: '',
      filetype: '',
      bytes: Buffer.from('just some plain text, not audio at all, no magic bytes here. '.repeat(4)),
    });
    const attempts = h.omicall.attempts;
    const { channel, ts } = await h.share([file]);
    await waitFor(() => h.slack.downloads.some((d) => d.path.includes(file.id)));
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.attempts).toBe(attempts);
    expect(h.slack.thread(channel, ts)).toEqual([]);
    expect(h.slack.reactionsOn(channel, ts)).toEqual([]);
  });
});

describe('FFMPEG_PATH', () => {
  it('chooses the ffmpeg that converts', async () => {
    const other = await Harness.start({ env: { FFMPEG_PATH: '/nonexistent/ffmpeg' } });
    try {
      const file = other.slack.addFile({ name: 'clip.ogg', mimetype: 'audio/ogg', path: speech('ogg') });
      const { channel, ts } = await other.share([file]);
      const reply = await waitFor(() =>
        other.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
      );
      expect(reply.text).toMatch(/the converter \(ffmpeg\) could not start on our side/);
      expect(reply.text).not.toContain('/nonexistent');
      expect(other.omicall.uploads).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
