import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deletedFile,
  desktopVoiceClip,
  eventCallback,
  fileShareEvent,
  fileShareReplyEvent,
  hiddenFile,
  iosVoiceClip,
  messageShortcut,
  mixedHistory,
  slackConnectStub,
  uploadedMov,
  uploadedMp3,
  uploadedMp4Video,
  uploadedPdf,
  uploadedPng,
  videoClip,
} from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { postCommand, postInteraction, postSigned } from './helpers/slack-requests.ts';
import { json } from './stand-ins/slack.ts';

/**
 * The app against payloads in the shapes Slack documents and sends (test/fixtures/slack-payloads.ts), with the
 * bytes Slack's file host really serves: a desktop clip named audio_message.webm downloads as MP4/AAC.
 */
let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const CHANNEL = 'C0PAYLOAD1';
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function shareEvent(files: { id: string }[], thread?: string) {
  const ts = h.slack.nextTs();
  const event = thread
    ? fileShareReplyEvent({ channel: CHANNEL, ts, files: files as never, thread_ts: thread })
    : fileShareEvent({ channel: CHANNEL, ts, files: files as never });
  const res = await postSigned(h.url, JSON.stringify(eventCallback(event)), 'application/json');
  expect(res.status).toBe(200);
  return ts;
}

const uploadOf = (ts: string) => waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);

describe('automatic transcription of real shares', () => {
  it('a desktop clip (audio_message.webm) is served as MP4/AAC and goes to OMICall as .m4a, byte for byte', async () => {
    const path = speech('m4a');
    const clip = host(h, desktopVoiceClip(h.slack.url), { path });
    expect(clip.url_private_download).toMatch(/audio_message_audio\.mp4$/);
    const ts = await shareEvent([clip]);
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
      const ts = await shareEvent([c.file]);
      expect((await uploadOf(ts)).fileName).toMatch(c.name);
    }
  });

  it('a clip shared in a thread is transcribed into that thread', async () => {
    const parent = h.slack.nextTs();
    const ts = await shareEvent([host(h, iosVoiceClip(h.slack.url), { path: speech('m4a') })], parent);
    const upload = await uploadOf(ts);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'trong chuỗi' });
    await waitFor(() => h.slack.thread(CHANNEL, parent)[0]?.text.includes('trong chuỗi'), 3000);
  });

  it('hidden, deleted and not-audio files are never claimed or downloaded; a Slack Connect stub is looked up', async () => {
    const stub = slackConnectStub();
    host(h, iosVoiceClip(h.slack.url, { id: stub.id }), { path: speech('m4a') });
    const ts = await shareEvent([
      hiddenFile(),
      deletedFile(),
      host(h, uploadedPdf(h.slack.url), { bytes: Buffer.from('%PDF-1.4') }),
      host(h, uploadedPng(h.slack.url), { bytes: Buffer.from('\x89PNG') }),
      stub,
    ]);
    const upload = await uploadOf(ts);
    expect(upload.trackingId).toContain(stub.id);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.attempts).toBe(1);
    expect(h.slack.downloads).toHaveLength(1);
    expect(h.slack.thread(CHANNEL, ts)).toHaveLength(1);
  });
});

describe('on demand', () => {
  it('bare /transcribe passes hidden, deleted, external, PDF and Slack Connect shares to reach the real memo', async () => {
    const history = mixedHistory(h.slack.url, { start: Math.floor(Date.now() / 1000) - 3600 });
    host(h, history.memo.file, { path: speech('m4a') });
    host(h, history.stub.behind, { bytes: Buffer.from('\x89PNG') });
    h.slack.override((call, res) => {
      if (call.method !== 'conversations.history') return false;
      json(res, 200, history.answer);
      return true;
    });
    await postCommand(h.url, { text: '', channel_id: CHANNEL, response_url: `${h.slack.url}/respond/bare` });
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/bare')), 5000);
    expect(answer.body.text).toContain(`p${history.memo.ts.replace('.', '')}`);
    const upload = await uploadOf(history.memo.ts);
    expect(upload.fileName).toMatch(/\.m4a$/);
    expect(h.slack.callsOf('files.info').map((c) => c.args.file)).toEqual([history.stub.file.id]);
    expect(h.omicall.attempts).toBe(1);
  });

  it('the shortcut on a message whose files are hidden or deleted says there is no audio, and claims nothing', async () => {
    const ts = h.slack.nextTs();
    const message = { type: 'message' as const, user: 'UALICE01', ts, text: '', files: [hiddenFile(), deletedFile()] };
    const payload = messageShortcut({
      message: message as never,
      channel: { id: CHANNEL, name: 'payloads' },
      responseUrl: `${h.slack.url}/respond/hidden`,
    });
    h.slack.addUserMessage({ channel: CHANNEL, ts, user: 'UALICE01' });
    await postInteraction(h.url, payload as unknown as Record<string, unknown>);
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/hidden')), 5000);
    expect(answer.body.text).toMatch(/no audio/);
    expect(h.omicall.attempts).toBe(0);
    expect(h.slack.messages.filter((m) => m.bot_id && m.channel === CHANNEL)).toEqual([]);
  });
});
