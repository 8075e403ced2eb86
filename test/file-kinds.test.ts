/**
 * Which shared files the app takes for audio: the rule, and what it does with documents, images, stubs, octet-stream
 * uploads and files without a type.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  classifyFile,
  declaredAudio,
  displayName,
  extension,
  isStub,
  reportedSeconds,
  type SlackFile,
} from '../src/slack/files.ts';
import {
  deletedFile,
  desktopVoiceClip,
  externalFile,
  hiddenFile,
  iosVoiceClip,
  slackConnectStub,
  untypedClip,
  uploadedMov,
  uploadedMp3,
  uploadedMp4Video,
  uploadedPdf,
  uploadedPng,
  videoClip,
} from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { failureReply, shareAsSlackDoes } from './helpers/memos.ts';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

const CHANNEL = 'C0PAYLOAD1';
const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const wav = (h: Harness, name = 'memo.wav') =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
const uploadOf = (h: Harness, ts: string) =>
  waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);

/** Shares a file and waits for OMICall to receive it (and nothing else). */
async function shareAndReceive(h: Harness, spec: Parameters<Harness['slack']['addFile']>[0]) {
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

describe('which shared files are audio (the rule)', () => {
  const HOST = 'https://files.slack.com';
  const as = (file: object) => file as SlackFile;

  it("Slack's clips, audio and video are audio, whatever else they say", () => {
    for (const clip of [desktopVoiceClip(HOST), iosVoiceClip(HOST), videoClip(HOST), untypedClip(HOST)])
      expect(classifyFile(as(clip))).toBe('audio');
    for (const upload of [uploadedMp3(HOST), uploadedMp4Video(HOST), uploadedMov(HOST)])
      expect(classifyFile(as(upload))).toBe('audio');
    // Each sign alone is enough.
    const bare = { id: 'F1', name: 'x', mimetype: 'application/x-unknown', url_private: `${HOST}/x` };
    expect(classifyFile({ ...bare, subtype: 'slack_audio' })).toBe('audio');
    expect(classifyFile({ ...bare, subtype: 'slack_video' })).toBe('audio');
    expect(classifyFile({ ...bare, media_display_type: 'audio' })).toBe('audio');
    expect(classifyFile({ ...bare, media_display_type: 'video' })).toBe('audio');
    expect(classifyFile({ ...bare, mimetype: 'AUDIO/X-WAV' })).toBe('audio');
    expect(classifyFile({ ...bare, mimetype: 'video/webm' })).toBe('audio');
    expect(classifyFile(bare)).toBe('not-audio');
    expect(classifyFile({ ...bare, subtype: 'slack_image', media_display_type: 'unknown' })).toBe('not-audio');
  });

  it('documents, images, and files without content or link are not', () => {
    expect(classifyFile(as(uploadedPdf(HOST)))).toBe('not-audio');
    expect(classifyFile(as(uploadedPng(HOST)))).toBe('not-audio');
    expect(classifyFile(as(hiddenFile()))).toBe('not-audio');
    expect(classifyFile(as(deletedFile()))).toBe('not-audio');
    expect(classifyFile(as(externalFile(HOST)))).toBe('not-audio');
    // A recording whose content Slack no longer has, or gives no link to.
    const clip = as(iosVoiceClip(HOST));
    expect(classifyFile({ ...clip, mode: 'hidden_by_limit' })).toBe('not-audio');
    expect(classifyFile({ ...clip, url_private_download: null, url_private: null })).toBe('not-audio');
    expect(classifyFile({ ...clip, url_private_download: null })).toBe('audio');
    expect(classifyFile({ ...clip, url_private: undefined })).toBe('audio');
    expect(classifyFile({ ...clip, mode: null })).toBe('audio');
    expect(classifyFile({ ...clip, mode: undefined })).toBe('audio');
  });

  it('with no mimetype or application/octet-stream, a media name decides; else the first bytes will', () => {
    const untyped = (name: string, mimetype: string | null, filetype?: string): SlackFile => ({
      id: 'F2',
      name,
      mimetype,
      filetype,
      url_private_download: `${HOST}/d`,
    });
    for (const mime of ['', null, 'application/octet-stream', 'Application/Octet-Stream']) {
      expect(classifyFile(untyped('Voice 001.M4A', mime))).toBe('audio');
      expect(classifyFile(untyped('call.amr', mime))).toBe('audio');
      expect(classifyFile(untyped('recording', mime, 'wav'))).toBe('audio');
      expect(classifyFile(untyped('recording', mime))).toBe('maybe-audio');
      expect(classifyFile(untyped('notes.txt', mime))).toBe('maybe-audio');
    }
    expect(classifyFile(untyped('voice.wav', 'text/plain'))).toBe('not-audio');
  });

  it('what the app reads from a file: its extension, name, declared kind, length', () => {
    expect(extension({ id: 'F', name: 'Meeting.Final.M4A' })).toBe('m4a');
    expect(extension({ id: 'F', name: 'memo.backup-copy', filetype: 'MP3' })).toBe('mp3');
    expect(extension({ id: 'F', name: 'memo', filetype: 'wav' })).toBe('wav');
    expect(extension({ id: 'F', name: null, filetype: null })).toBe('');
    expect(extension({ id: 'F', name: 'a.b c' })).toBe('');

    expect(displayName({ id: 'F', name: 'memo.m4a', title: 'Memo' })).toBe('memo.m4a');
    expect(displayName({ id: 'F', name: '', title: 'Memo' })).toBe('Memo');
    expect(displayName({ id: 'F' })).toBe('audio file');

    expect(declaredAudio(as(iosVoiceClip(HOST)))).toBe(true);
    expect(declaredAudio(as(uploadedMp4Video(HOST)))).toBe(false);
    expect(declaredAudio(as(videoClip(HOST)))).toBe(false);
    expect(declaredAudio({ id: 'F', subtype: 'slack_audio' })).toBe(true);
    expect(declaredAudio({ id: 'F', media_display_type: 'audio' })).toBe(true);
    expect(declaredAudio({ id: 'F', mimetype: 'Audio/MP4' })).toBe(true);
    expect(declaredAudio({ id: 'F', name: 'x.m4a', mimetype: 'video/mp4' })).toBe(true);
    expect(declaredAudio({ id: 'F', name: 'x.mp4', mimetype: 'video/mp4', media_display_type: 'video' })).toBe(false);

    // A Slack Connect file comes as a stub, to be looked up first; a full file does not.
    expect(isStub(as(slackConnectStub()))).toBe(true);
    expect(isStub(as(iosVoiceClip(HOST)))).toBe(false);
    expect(isStub({ id: 'F', file_access: 'visible' })).toBe(false);

    expect(reportedSeconds({ id: 'F', duration_ms: 19_101 })).toBe(19.101);
    expect(reportedSeconds({ id: 'F', duration_ms: 0 })).toBeUndefined();
    expect(reportedSeconds({ id: 'F' })).toBeUndefined();
  });
});

describe('what the app does with each kind of file shared', () => {
  it('ignores PDFs and images without a word', async () => {
    const h = await start();
    const pdf = h.slack.addFile({
      name: 'report.pdf',
      mimetype: 'application/pdf',
      filetype: 'pdf',
      bytes: Buffer.from('%PDF-1.4 …'),
    });
    const png = h.slack.addFile({
      name: 'photo.png',
      mimetype: 'image/png',
      filetype: 'png',
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    const attempts = h.omicall.attempts;
    const { channel, ts, res } = await h.share([pdf, png]);
    expect(res.status).toBe(200);
    await settle();
    expect(h.omicall.attempts).toBe(attempts);
    expect(h.slack.downloads.some((d) => d.path.includes(pdf.id) || d.path.includes(png.id))).toBe(false);
    expect(h.slack.thread(channel, ts)).toEqual([]);
    expect(h.slack.reactionsOn(channel, ts)).toEqual([]);
  });

  it('are transcribed when their first bytes are audio', async () => {
    const h = await start();
    const path = speech('wav');
    const { upload } = await shareAndReceive(h, { name: 'recording', mimetype: '', filetype: '', path });
    expect(upload.sha256).toBe(sha(readFileSync(path)));
    expect(upload.fileName).toMatch(/\.wav$/);
  });

  it('are ignored without a word when their bytes are not audio', async () => {
    const h = await start();
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

  it('a WAV is sniffed and transcribed, named .wav or not', async () => {
    const app = await start();
    for (const name of ['Recording 2024-05-01', 'voice.wav']) {
      const file = app.slack.addFile({
        name,
        mimetype: 'application/octet-stream',
        filetype: 'binary',
        path: speech('wav'),
      });
      const { ts } = await app.share([file]);
      const upload = await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, name);
      expect(upload.fileName).toMatch(/\.wav$/);
    }
  });

  it('one named as audio that is not audio gets its failure in plain words, as any audio file would', async () => {
    const app = await start();
    const file = app.slack.addFile({
      name: 'broken.m4a',
      mimetype: 'application/octet-stream',
      filetype: 'binary',
      bytes: Buffer.from('not a recording, just bytes of some backup. '.repeat(40)),
    });
    const { channel, ts } = await app.share([file]);
    expect((await failureReply(app, channel, ts)).text).toMatch(/not audio OMICall can take/);
    expect(app.omicall.attempts).toBe(0);
  });

  it('one that is not audio is ignored without a word', async () => {
    const app = await start();
    const file = app.slack.addFile({
      name: 'backup.bin',
      mimetype: 'application/octet-stream',
      filetype: 'binary',
      bytes: Buffer.from('not a recording, just bytes of some backup. '.repeat(40)),
    });
    const { channel, ts } = await app.share([file]);
    // Its first bytes were looked at…
    await waitFor(() => app.slack.downloads.some((d) => d.path.includes(file.id)), 5000, 'the download');
    await settle(600);
    // …and nothing else happened.
    expect(app.omicall.attempts).toBe(0);
    expect(app.slack.thread(channel, ts)).toEqual([]);
    expect(app.slack.reactionsOn(channel, ts)).toEqual([]);
    expect(app.slack.uploadedFiles).toEqual([]);
  });

  it('a Slack Connect stub is looked up with files.info, then transcribed', async () => {
    const h = await start();
    const real = wav(h, 'connect.wav');
    const { ts } = await h.share([{ id: real.id, mode: 'file_access', file_access: 'check_file_info' } as never]);
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
    expect(h.slack.callsOf('files.info').map((c) => c.args.file)).toContain(real.id);
    expect(upload.trackingId).toContain(real.id);
  });

  it('a stub that files.info will not describe is told in the thread, not dropped silently', async () => {
    const h = await start();
    h.slack.refuse('files.info', 'file_not_found');
    const { channel, ts } = await h.share([
      { id: 'F0GONE001', mode: 'file_access', file_access: 'check_file_info' } as never,
    ]);
    const notice = await waitFor(() => h.slack.thread(channel, ts)[0]);
    expect(notice.text).toMatch(/could not look at a file shared here \(Slack answered `file_not_found`\).*Transcribe/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('hidden, deleted and not-audio files are never claimed or downloaded; a Slack Connect stub is looked up', async () => {
    const h = await start();
    const stub = slackConnectStub();
    host(h, iosVoiceClip(h.slack.url, { id: stub.id }), { path: speech('m4a') });
    const ts = await shareAsSlackDoes(h, CHANNEL, [
      hiddenFile(),
      deletedFile(),
      host(h, uploadedPdf(h.slack.url), { bytes: Buffer.from('%PDF-1.4') }),
      host(h, uploadedPng(h.slack.url), { bytes: Buffer.from('\x89PNG') }),
      stub,
    ]);
    const upload = await uploadOf(h, ts);
    expect(upload.trackingId).toContain(stub.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.attempts).toBe(1);
    expect(h.slack.downloads).toHaveLength(1);
    expect(h.slack.thread(CHANNEL, ts)).toHaveLength(1);
  });
});
