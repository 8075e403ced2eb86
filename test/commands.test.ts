import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parsePermalink } from '../src/slack/permalink.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { fileShareEvent, postCommand, postEvent, postInteraction } from './helpers/slack-requests.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const CHANNEL = 'C0SALES01';
let responseSeq = 0;

/** Runs /transcribe and returns what the person who asked sees (ack body or response_url post). */
async function transcribe(text: string, channel = CHANNEL) {
  const responseUrl = `${h.slack.url}/respond/${++responseSeq}`;
  const res = await postCommand(h.url, { text, channel_id: channel, response_url: responseUrl });
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  if (res.body) {
    const body = JSON.parse(res.body) as { text: string; response_type?: string };
    expect(body.response_type ?? 'ephemeral').toBe('ephemeral');
    return body.text;
  }
  const answer = await waitFor(
    () => h.slack.responses.find((r) => r.path.endsWith(`/${responseSeq}`)),
    5000,
    'response_url post',
  );
  expect(answer.body.response_type).toBe('ephemeral');
  return answer.body.text ?? '';
}

/** A memo already in the channel's history, shared before the app was asked. */
function oldMemo(channel = CHANNEL, thread_ts?: string) {
  const file = h.slack.addFile({ name: 'old-memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
  const ts = h.slack.nextTs();
  h.slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file], ...(thread_ts ? { thread_ts } : {}) });
  return { file, ts };
}

function permalinkOf(channel: string, ts: string, threadTs?: string) {
  return `https://acme.slack.com/archives/${channel}/p${ts.replace('.', '')}${threadTs ? `?thread_ts=${threadTs}&cid=${channel}` : ''}`;
}

describe('/transcribe', () => {
  it('with no argument transcribes the newest memo without a transcript and links to it', async () => {
    const older = oldMemo();
    h.slack.addUserMessage({ channel: CHANNEL, ts: h.slack.nextTs(), user: 'UBOB0001', text: 'just text' });
    const newest = oldMemo();
    const answer = await transcribe('');
    expect(answer).toContain(`p${newest.ts.replace('.', '')}`);
    expect(answer).toContain('Transcribing');
    const upload = await waitFor(() => h.omicall.uploads[0]);
    expect(upload.trackingId).toContain(newest.ts);

    const again = await transcribe('');
    expect(again).toContain(`p${older.ts.replace('.', '')}`);
    await waitFor(() => h.omicall.uploads.length === 2);
    expect(await transcribe('')).toMatch(/found no voice memo without a transcript/);
    expect(h.omicall.uploads).toHaveLength(2);
  });

  it('with a message link transcribes that message, also a reply in a thread', async () => {
    const parentTs = h.slack.nextTs();
    h.slack.addUserMessage({ channel: CHANNEL, ts: parentTs, user: 'UALICE01', text: 'thread' });
    const reply = oldMemo(CHANNEL, parentTs);
    const answer = await transcribe(`<${permalinkOf(CHANNEL, reply.ts, parentTs)}>`);
    expect(answer).toContain('Transcribing');
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 2, text: 'trả lời trong chuỗi' });
    await waitFor(
      () => h.slack.thread(CHANNEL, parentTs).find((m) => m.text.includes('trả lời trong chuỗi')),
      3000,
      'reply in the thread',
    );
  });

  it('explains plainly when the link is to a channel the asker is in and the app is not', async () => {
    h.slack.privateChannels.add('C0PUBLIC2');
    h.slack.channelMembers.set('C0PUBLIC2', ['UALICE01']);
    const answer = await transcribe(permalinkOf('C0PUBLIC2', h.slack.nextTs()));
    expect(answer).toMatch(/not a member of <#C0PUBLIC2>.*\/invite @Transcriber/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('says so when the linked message has no audio or is gone', async () => {
    const ts = h.slack.nextTs();
    h.slack.addUserMessage({ channel: CHANNEL, ts, user: 'UALICE01', text: 'no audio here' });
    expect(await transcribe(permalinkOf(CHANNEL, ts))).toMatch(/no audio/);
    expect(await transcribe(permalinkOf(CHANNEL, '1600000000.000001'))).toMatch(/could not find that message/);
  });

  it('off and on switch automatic transcription for this channel only', async () => {
    expect(await transcribe('off')).toMatch(/now \*off\*/);
    const wav = speech('wav');
    const quiet = h.slack.addFile({ name: 'a.wav', mimetype: 'audio/wav', path: wav });
    await h.share([quiet], { channel: CHANNEL });
    const elsewhere = h.slack.addFile({ name: 'b.wav', mimetype: 'audio/wav', path: wav });
    await h.share([elsewhere], { channel: 'C0OTHER01' });
    await waitFor(() => h.omicall.uploads.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.uploads.map((u) => u.trackingId?.split('_')[0])).toEqual(['C0OTHER01']);
    expect(await transcribe('status')).toMatch(/is \*off\* in this channel/);

    expect(await transcribe('ON')).toMatch(/now \*on\*/);
    await h.share([h.slack.addFile({ name: 'c.wav', mimetype: 'audio/wav', path: wav })], { channel: CHANNEL });
    await waitFor(() => h.omicall.uploads.length === 2);
  });

  it('status lists the memos in progress here', async () => {
    h.omicall.uploadDelayMs = 1500;
    const file = h.slack.addFile({ name: 'long-call.wav', mimetype: 'audio/wav', path: speech('wav') });
    await h.share([file], { channel: CHANNEL });
    await waitFor(() => h.omicall.inFlight > 0);
    const answer = await transcribe('status');
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
    const answer = await transcribe(text);
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
    expect(await transcribe(link)).toContain('Transcribing');
    expect(await transcribe(link)).toMatch(/is being transcribed already/);
    await waitFor(() => h.omicall.uploads.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.uploads).toHaveLength(1);
  });
});

describe('the Transcribe message shortcut', () => {
  const shortcut = (message: Record<string, unknown>) => {
    const responseUrl = `${h.slack.url}/respond/${++responseSeq}`;
    return postInteraction(h.url, {
      type: 'message_action',
      callback_id: 'transcribe_message',
      trigger_id: 't.1',
      action_ts: '1.2',
      message_ts: message.ts,
      response_url: responseUrl,
      token: 'legacy',
      team: { id: 'T0001', domain: 'acme' },
      user: { id: 'UALICE01', name: 'alice' },
      channel: { id: CHANNEL, name: 'sales' },
      message: { type: 'message', user: 'UALICE01', ...message },
    }).then(async (res) => {
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);
      const id = responseSeq;
      return (await waitFor(() => h.slack.responses.find((r) => r.path.endsWith(`/${id}`)))).body;
    });
  };

  it('transcribes the audio of a message in a thread into that thread', async () => {
    const memo = oldMemo(CHANNEL, '1699999999.000100');
    const answer = await shortcut({ ts: memo.ts, thread_ts: '1699999999.000100', files: [memo.file] });
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('Transcribing');
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await h.callBack({ tracking_id: upload.trackingId, from: 1, to: 2, text: 'xin chào' });
    await waitFor(() => h.slack.thread(CHANNEL, '1699999999.000100').find((m) => m.text.includes('xin chào')));
  });

  it('answers that there is nothing to transcribe on a message without audio', async () => {
    const pdf = h.slack.addFile({ name: 'report.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4') });
    const answer = await shortcut({ ts: h.slack.nextTs(), text: 'see attached', files: [pdf] });
    expect(answer.text).toMatch(/no audio/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('on a memo transcribed automatically, does not upload it again', async () => {
    const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { ts } = await h.share([file]);
    await waitFor(() => h.omicall.uploads.length === 1);
    const answer = await shortcut({ ts, files: [file] });
    expect(answer.text).toMatch(/is being transcribed already/);
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
  await transcribe('off');
  const res = await postEvent(h.url, fileShareEvent({ channel: CHANNEL, ts: h.slack.nextTs(), files: [] }));
  expect(res.status).toBe(200);
});

it('/transcribe status shows where each memo of the channel stands', async () => {
  const file = h.slack.addFile({ name: 'quick.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file], { channel: CHANNEL });
  const upload = await waitFor(() => h.omicall.uploads[0]);
  expect(await transcribe('status')).toMatch(/quick\.wav: waiting for OMICall/);
  await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xong' });
  await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('xong'));
  await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'memo');
  expect(await transcribe('status')).toMatch(/quick\.wav: receiving the transcript/);
  expect(await transcribe('status', 'C0OTHER01')).toMatch(/Nothing is being transcribed here right now/);
});
