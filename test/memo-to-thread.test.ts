/**
 * The happy path end to end: a voice memo shared in any conversation reaches OMICall, and its transcript appears in its
 * thread.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventCallback, fileShareReplyEvent, iosVoiceClip, threadBroadcastEvent } from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { shareAsSlackDoes, uploadedMemo } from './helpers/memos.ts';
import { fileShareEvent, postEvent, postSigned } from './helpers/slack-requests.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const CHANNEL = 'C0PAYLOAD1';
const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const wavFile = (name = 'memo.wav') =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
const settle = () => new Promise((r) => setTimeout(r, 300));
const uploadOf = (ts: string) => waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);

describe('a voice memo shared in a conversation', () => {
  it('goes to OMICall byte for byte and its transcript appears in the thread, in spoken order', async () => {
    const wav = speech('wav');
    const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: wav });
    const { channel, ts, res } = await h.share([file]);
    expect(res.status).toBe(200);

    const upload = await waitFor(() => h.omicall.uploads[0], 5000, 'upload');
    expect(upload.sha256).toBe(sha(wav));
    expect(upload.fileName).toMatch(/\.wav$/);
    expect(upload.headers.apikey).toBe('omi-test-key-123456');

    await waitFor(
      () => /Transcribing|was sent to OMICall/.test(h.slack.thread(channel, ts)[0]?.text ?? ''),
      3000,
      'working reply',
    );
    await waitFor(
      () => h.slack.reactionsOn(channel, ts).includes('hourglass_flowing_sand'),
      2000,
      'hourglass reaction',
    );

    const cb = await h.callBack({
      tracking_id: upload.trackingId,
      from: '12.5',
      to: '20',
      text: 'phần hai',
      word_alignment: '[]',
    });
    expect(cb.status).toBe(200);
    await h.callBack([{ tracking_id: upload.trackingId, from: 0, to: 12.5, text: 'Xin chào các bạn' }]);

    const reply = await waitFor(
      () => {
        const r = h.slack.thread(channel, ts);
        return r.length === 1 && r[0].text.includes('phần hai') && r[0].text.includes('Xin chào') ? r[0] : undefined;
      },
      3000,
      'transcript',
    );
    expect(reply.text).toBe('Transcript of memo.wav · 0:04\n[0:00] Xin chào các bạn\n[0:12] phần hai');
    await waitFor(
      () => h.slack.reactionsOn(channel, ts).join() === 'memo',
      2000,
      'the memo reaction instead of the hourglass',
    );
  });

  it('updates the one reply within 2 s of each callback', async () => {
    const memo = await uploadedMemo(h);
    await waitFor(() => h.slack.thread(memo.channel, memo.threadTs)[0]?.text.includes('was sent to OMICall'));
    for (const [i, text] of ['một', 'hai', 'ba'].entries()) {
      const sent = Date.now();
      await h.callBack({ tracking_id: memo.trackingId, from: i * 5, to: i * 5 + 5, text });
      await waitFor(
        () => h.slack.thread(memo.channel, memo.threadTs)[0]?.text.includes(`] ${text}`),
        2000,
        `segment ${text}`,
      );
      expect(Date.now() - sent).toBeLessThan(2000);
    }
    const replies = h.slack.thread(memo.channel, memo.threadTs);
    expect(replies).toHaveLength(1);
    const updates = h.slack.callsOf('chat.update').filter((c) => c.args.ts === replies[0].ts);
    expect(updates.length).toBeGreaterThanOrEqual(3);
  });

  it('replies under the thread when the memo was shared inside a thread', async () => {
    const threadTs = h.slack.nextTs();
    const memo = await uploadedMemo(h, { thread_ts: threadTs });
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'trong chuỗi' });
    await waitFor(() => h.slack.thread(memo.channel, threadTs).find((m) => m.text.includes('trong chuỗi')));
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
  });

  it('a clip shared in a thread is transcribed into that thread', async () => {
    const parent = h.slack.nextTs();
    const ts = await shareAsSlackDoes(
      h,
      CHANNEL,
      [host(h, iosVoiceClip(h.slack.url), { path: speech('m4a') })],
      parent,
    );
    const upload = await uploadOf(ts);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'trong chuỗi' });
    await waitFor(() => h.slack.thread(CHANNEL, parent)[0]?.text.includes('trong chuỗi'), 3000);
  });

  it('a clip sent as a thread reply "also to the channel" (thread_broadcast) is transcribed into the thread, once', async () => {
    const parent = h.slack.nextTs();
    h.slack.addUserMessage({ channel: CHANNEL, ts: parent, user: 'UBOB0001', text: 'Họp sáng nay' });
    const ts = h.slack.nextTs();
    const clip = host(h, iosVoiceClip(h.slack.url), { path: speech('m4a') });
    h.slack.addUserMessage({ channel: CHANNEL, ts, user: 'UALICE01', thread_ts: parent, files: [clip] });
    const event = threadBroadcastEvent({
      channel: CHANNEL,
      ts,
      files: [clip],
      thread_ts: parent,
      root: { text: 'Họp sáng nay', user: 'UBOB0001' },
    });
    const envelope = eventCallback(event);
    const post = (body: unknown, retryNum?: number) =>
      postSigned(h.url, JSON.stringify(body), 'application/json', retryNum === undefined ? {} : { retryNum });
    expect((await post(envelope)).status).toBe(200);
    // Slack sends it again (its retry), and the same reply may also come as a plain thread reply's file share.
    expect((await post(envelope, 1)).status).toBe(200);
    const share = fileShareReplyEvent({
      channel: CHANNEL,
      ts,
      files: [clip],
      thread_ts: parent,
      parent_user_id: 'UBOB0001',
    });
    expect((await post(eventCallback(share))).status).toBe(200);

    const upload = await uploadOf(ts);
    expect(upload.sha256).toBe(sha(speech('m4a')));
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'gửi cả kênh' });
    await waitFor(() => h.slack.thread(CHANNEL, parent)[0]?.text.includes('gửi cả kênh'), 5000, 'the transcript');
    await settle();
    expect(h.omicall.uploads.filter((u) => u.trackingId?.includes(ts))).toHaveLength(1);
    const replies = h.slack.messages.filter((m) => m.channel === CHANNEL && m.bot_id);
    expect(replies).toHaveLength(1);
    expect(replies[0].thread_ts).toBe(parent);
    expect(h.slack.thread(CHANNEL, ts)).toEqual([]);
  });

  it('makes each audio file of a message its own job, each reply labelled with its name', async () => {
    const a = wavFile('first.wav');
    const b = h.slack.addFile({ name: 'second.mp3', mimetype: 'audio/mpeg', filetype: 'mp3', path: speech('mp3') });
    const pdf = h.slack.addFile({ name: 'agenda.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF') });
    const { channel, ts } = await h.share([a, pdf, b]);
    const uploads = await waitFor(() => {
      const mine = h.omicall.uploads.filter((u) => u.trackingId?.includes(ts));
      return mine.length === 2 ? mine : undefined;
    });
    expect(new Set(uploads.map((u) => u.trackingId)).size).toBe(2);
    for (const [i, u] of uploads.entries())
      await h.callBack({ tracking_id: u.trackingId, from: 0, to: 1, text: `tệp ${i}` });
    const replies = await waitFor(() => {
      const r = h.slack.thread(channel, ts);
      return r.length === 2 && r.every((m) => m.text.includes('tệp')) ? r : undefined;
    });
    expect(replies.map((r) => r.text.split('\n')[0].replace(/ · \d+:\d+$/, '')).sort()).toEqual([
      'Transcript of first.wav',
      'Transcript of second.mp3',
    ]);
  });

  it('ignores the messages the app posted itself', async () => {
    const attempts = h.omicall.attempts;
    const res = await postEvent(
      h.url,
      fileShareEvent({
        channel: 'C0SALES01',
        ts: h.slack.nextTs(),
        files: [wavFile()],
        bot_id: 'BBOT0001',
        user: 'UBOT0001',
      }),
    );
    expect(res.status).toBe(200);
    await settle();
    expect(h.omicall.attempts).toBe(attempts);
  });

  it.each([
    ['a DM', 'D0DIRECT1', 'im'],
    ['a private channel', 'G0PRIVATE', 'group'],
    ['a group DM', 'G0MPIM001', 'mpim'],
    ['a public channel', 'C0PUBLIC1', 'channel'],
  ])('works in %s', async (_label, channel, channelType) => {
    const file = wavFile();
    const ts = h.slack.nextTs();
    const res = await postEvent(h.url, fileShareEvent({ channel, ts, files: [file], channel_type: channelType }));
    expect(res.status).toBe(200);
    const upload = await waitFor(() =>
      h.omicall.uploads.find((u) => u.trackingId?.startsWith(`T0001_${channel}_${ts}`)),
    );
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: `xin chào ${channelType}` });
    await waitFor(() => h.slack.thread(channel, ts).find((m) => m.text.includes(`xin chào ${channelType}`)));
  });
});
