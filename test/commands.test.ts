/**
 * The /transcribe command: which memo it picks, links to a message, on and off, status and help, and what the person
 * who asked is told.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePermalink } from '../src/slack/permalink.ts';
import { mixedHistory } from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { permalinkOf, transcribe } from './helpers/commands.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { fileShareEvent, postCommand, postEvent } from './helpers/slack-requests.ts';
import { json } from './stand-ins/slack.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const CHANNEL = 'C0SALES01';

/** A memo already in the channel's history, shared before the app was asked. */
function oldMemo(channel = CHANNEL, thread_ts?: string) {
  const file = h.slack.addFile({ name: 'old-memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
  const ts = h.slack.nextTs();
  h.slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file], ...(thread_ts ? { thread_ts } : {}) });
  return { file, ts };
}

describe('/transcribe', () => {
  it('with no argument transcribes the newest memo without a transcript and links to it', async () => {
    const older = oldMemo();
    h.slack.addUserMessage({ channel: CHANNEL, ts: h.slack.nextTs(), user: 'UBOB0001', text: 'just text' });
    const newest = oldMemo();
    const answer = await transcribe(h, '');
    expect(answer).toContain(`p${newest.ts.replace('.', '')}`);
    expect(answer).toContain('Transcribing');
    const upload = await waitFor(() => h.omicall.uploads[0]);
    expect(upload.trackingId).toContain(newest.ts);

    const again = await transcribe(h, '');
    expect(again).toContain(`p${older.ts.replace('.', '')}`);
    await waitFor(() => h.omicall.uploads.length === 2);
    expect(await transcribe(h, '')).toMatch(/found no voice memo without a transcript/);
    expect(h.omicall.uploads).toHaveLength(2);
  });

  it('with a message link transcribes that message, also a reply in a thread', async () => {
    const parentTs = h.slack.nextTs();
    h.slack.addUserMessage({ channel: CHANNEL, ts: parentTs, user: 'UALICE01', text: 'thread' });
    const reply = oldMemo(CHANNEL, parentTs);
    const answer = await transcribe(h, `<${permalinkOf(CHANNEL, reply.ts, parentTs)}>`);
    expect(answer).toContain('Transcribing');
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 2, text: 'trả lời trong chuỗi' });
    await waitFor(
      () => h.slack.thread(CHANNEL, parentTs).find((m) => m.text.includes('trả lời trong chuỗi')),
      3000,
      'reply in the thread',
    );
  });

  it('says so when the linked message has no audio or is gone', async () => {
    const ts = h.slack.nextTs();
    h.slack.addUserMessage({ channel: CHANNEL, ts, user: 'UALICE01', text: 'no audio here' });
    expect(await transcribe(h, permalinkOf(CHANNEL, ts))).toMatch(/no audio/);
    expect(await transcribe(h, permalinkOf(CHANNEL, '1600000000.000001'))).toMatch(/could not find that message/);
  });

  it('off and on switch automatic transcription for this channel only', async () => {
    expect(await transcribe(h, 'off')).toMatch(/now \*off\*/);
    const wav = speech('wav');
    const quiet = h.slack.addFile({ name: 'a.wav', mimetype: 'audio/wav', path: wav });
    await h.share([quiet], { channel: CHANNEL });
    const elsewhere = h.slack.addFile({ name: 'b.wav', mimetype: 'audio/wav', path: wav });
    await h.share([elsewhere], { channel: 'C0OTHER01' });
    await waitFor(() => h.omicall.uploads.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.uploads.map((u) => u.trackingId?.split('_')[1])).toEqual(['C0OTHER01']);
    expect(await transcribe(h, 'status')).toMatch(/is \*off\* in this channel/);

    expect(await transcribe(h, 'ON')).toMatch(/now \*on\*/);
    await h.share([h.slack.addFile({ name: 'c.wav', mimetype: 'audio/wav', path: wav })], { channel: CHANNEL });
    await waitFor(() => h.omicall.uploads.length === 2);
  });

  it('status lists the memos in progress here', async () => {
    h.omicall.uploadDelayMs = 1500;
    const file = h.slack.addFile({ name: 'long-call.wav', mimetype: 'audio/wav', path: speech('wav') });
    await h.share([file], { channel: CHANNEL });
    await waitFor(() => h.omicall.inFlight > 0);
    const answer = await transcribe(h, 'status');
    expect(answer).toMatch(/is \*on\* in this channel/);
    expect(answer).toMatch(/long-call\.wav: sending to OMICall/);
  });

  it.each([
    ['help'],
    ['please transcribe everything'],
    ['x'.repeat(3000)],
    ['<script>alert(1)</script>'],
    ['off now'],
    ['`rm -rf /`'],
  ])('answers odd text #%# with the usage and transcribes nothing', async (text) => {
    oldMemo();
    const answer = await transcribe(h, text);
    for (const sub of [
      '/transcribe <message link>',
      '/transcribe off',
      '/transcribe on',
      '/transcribe status',
      '/transcribe help',
    ]) {
      expect(answer).toContain(sub);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(h.omicall.attempts).toBe(0);
  });

  it('asking twice for one memo uploads it once', async () => {
    const memo = oldMemo();
    const link = permalinkOf(CHANNEL, memo.ts);
    expect(await transcribe(h, link)).toContain('Transcribing');
    expect(await transcribe(h, link)).toMatch(/is being transcribed already/);
    await waitFor(() => h.omicall.uploads.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.uploads).toHaveLength(1);
  });

  it('bare /transcribe passes hidden, deleted, external, PDF and Slack Connect shares to reach the real memo', async () => {
    const history = mixedHistory(h.slack.url, { start: Math.floor(Date.now() / 1000) - 3600 });
    host(h, history.memo.file, { path: speech('m4a') });
    host(h, history.stub.behind, { bytes: Buffer.from('\x89PNG') });
    h.slack.override((call, res) => {
      if (call.method !== 'conversations.history') return false;
      json(res, 200, history.answer);
      return true;
    });
    await postCommand(h.url, { text: '', channel_id: 'C0PAYLOAD1', response_url: `${h.slack.url}/respond/bare` });
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/bare')), 5000);
    expect(answer.body.text).toContain(`p${history.memo.ts.replace('.', '')}`);
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(history.memo.ts)), 10_000);
    expect(upload.fileName).toMatch(/\.m4a$/);
    expect(h.slack.callsOf('files.info').map((c) => c.args.file)).toEqual([history.stub.file.id]);
    expect(h.omicall.attempts).toBe(1);
  });
});

describe('permalinks', () => {
  it('reads channel, ts and thread_ts', () => {
    expect(parsePermalink('https://acme.slack.com/archives/C0123ABC/p1712345678123456')).toEqual({
      channel: 'C0123ABC',
      ts: '1712345678.123456',
    });
    expect(
      parsePermalink(
        '<https://acme.slack.com/archives/C0123ABC/p1712345678123456?thread_ts=1712345000.000100&cid=C0123ABC|link>',
      ),
    ).toEqual({
      channel: 'C0123ABC',
      ts: '1712345678.123456',
      threadTs: '1712345000.000100',
    });
    expect(parsePermalink('https://acme.slack.com/archives/C0123ABC')).toBeUndefined();
    expect(parsePermalink('status')).toBeUndefined();
  });
});

// Events for a channel with automatic transcription off are still acknowledged.
it('acknowledges events in a channel switched off', async () => {
  await transcribe(h, 'off');
  const res = await postEvent(h.url, fileShareEvent({ channel: CHANNEL, ts: h.slack.nextTs(), files: [] }));
  expect(res.status).toBe(200);
});

it('/transcribe status shows where each memo of the channel stands', async () => {
  const file = h.slack.addFile({ name: 'quick.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file], { channel: CHANNEL });
  const upload = await waitFor(() => h.omicall.uploads[0]);
  expect(await transcribe(h, 'status')).toMatch(/quick\.wav: waiting for OMICall/);
  await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xong' });
  await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('xong'));
  await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'memo');
  expect(await transcribe(h, 'status')).toMatch(/quick\.wav: receiving the transcript/);
  expect(await transcribe(h, 'status', 'C0OTHER01')).toMatch(/Nothing is being transcribed here right now/);
});
