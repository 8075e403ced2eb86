import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSecret } from '../src/config.ts';
import { signTrackingId } from '../src/records/tracking-id.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.stop();
});

/** A memo shared and uploaded; returns its tracking_id and where its reply goes. */
async function uploadedMemo(where: { thread_ts?: string } = {}) {
  const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file], where);
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
  return { trackingId: upload.trackingId as string, channel, ts, threadTs: where.thread_ts ?? ts };
}

const repliesText = (channel: string, threadTs: string) =>
  h.slack
    .thread(channel, threadTs)
    .map((m) => m.text)
    .join('\n');

async function post(path: string, body: string) {
  const res = await request(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

describe('the OMICall webhook', () => {
  it('registered at start: apiKey header, JSON url with the secret, stable across restarts', async () => {
    const registration = h.omicall.registrations.at(-1);
    expect(registration?.apiKey).toBe('omi-test-key-123456');
    expect(registration?.url).toBe(`https://transcriber.test/omicall/webhook/${h.config.webhookSecret}`);
    expect(h.config.webhookSecret).toBe(deriveSecret(SIGNING_SECRET, 'omicall-webhook'));
    const second = await Harness.start({ with: h, env: { OMICALL_WEBHOOK_SECRET: 'my-own-webhook-secret-123' } });
    try {
      expect(h.omicall.registrations.at(-1)?.url).toBe(
        'https://transcriber.test/omicall/webhook/my-own-webhook-secret-123',
      );
    } finally {
      await second.stop();
    }
  });

  it('refuses a callback without the right secret and posts nothing', async () => {
    const memo = await uploadedMemo();
    const body = JSON.stringify({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'giả mạo' });
    expect((await post('/omicall/webhook/wrong-secret-wrong-secret-00', body)).status).toBe(403);
    expect((await post('/omicall/webhook', body)).status).toBeGreaterThanOrEqual(400);
    expect((await post('/omicall/webhook/', body)).status).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(repliesText(memo.channel, memo.threadTs)).not.toContain('giả mạo');
  });

  it('refuses a tracking_id the app did not issue, and posts nothing', async () => {
    const memo = await uploadedMemo();
    const tampered = memo.trackingId.replace(/^C/, 'D');
    const forgedSignature = memo.trackingId.slice(0, -1) + (memo.trackingId.endsWith('0') ? '1' : '0');
    const otherKey = signTrackingId(
      { channel: memo.channel, ts: memo.ts, fileId: 'F1' },
      Date.now() / 1000,
      'someone-elses-key',
    );
    for (const id of [tampered, forgedSignature, otherKey, 'C1_1.1_F1_-_000000000000000000000000']) {
      const res = await h.callBack({ tracking_id: id, from: 0, to: 1, text: 'không phải của tôi' });
      expect(res.status).toBe(403);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.messages.some((m) => m.text.includes('không phải của tôi'))).toBe(false);
    expect(memo.trackingId).toContain(memo.channel);
    expect(memo.trackingId).toContain(memo.ts);
  });

  it('answers 400 to malformed JSON and to an empty body', async () => {
    expect((await h.callBack('{"tracking_id": ')).status).toBe(400);
    expect((await h.callBack('')).status).toBe(400);
    expect((await h.callBack('   ')).status).toBe(400);
  });

  it('acknowledges Voice Insights callbacks and posts nothing', async () => {
    const before = h.slack.calls.length;
    const res = await h.callBack({
      analyst_results: [],
      criteria_classification_result: {},
      customer_talk_time: 12,
      customer_word_alignments: [],
      keyword_count: {},
      nl_analyze_result: {},
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.calls.length).toBe(before);
  });

  it('takes objects and arrays, numbers and numeric strings, any word_alignment; shows each segment once, in spoken order', async () => {
    const memo = await uploadedMemo();
    const id = memo.trackingId;
    expect(
      (
        await h.callBack({
          tracking_id: id,
          from: '75.2',
          to: '80',
          text: 'đoạn ba',
          word_alignment: '[{"word":"đoạn","from":75.2}]',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await h.callBack([
          {
            tracking_id: id,
            from: 12,
            to: 20.5,
            text: 'đoạn hai',
            word_alignment: [{ word: 'đoạn', from: 12, to: 12.4 }],
          },
          { tracking_id: id, from: '0', to: '12', text: 'đoạn một' },
        ])
      ).status,
    ).toBe(200);
    expect((await h.callBack({ tracking_id: id, from: 12, to: 20.5, text: 'đoạn hai' })).status).toBe(200);
    expect(
      (await h.callBack({ tracking_id: id, from: '3725', to: '3730', text: 'đoạn cuối', word_alignment: 'not json' }))
        .status,
    ).toBe(200);
    const reply = await waitFor(() => {
      const r = h.slack.thread(memo.channel, memo.threadTs);
      return r.length === 1 && r[0].text.includes('đoạn cuối') && r[0].text.includes('đoạn một') ? r[0] : undefined;
    });
    expect(reply.text).toBe(
      'Transcript of memo.wav · 0:03\n[0:00] đoạn một\n[0:12] đoạn hai\n[1:15] đoạn ba\n[1:02:05] đoạn cuối',
    );
  });

  it('updates the one reply within 2 s of each callback', async () => {
    const memo = await uploadedMemo();
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
    const memo = await uploadedMemo({ thread_ts: threadTs });
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'trong chuỗi' });
    await waitFor(() => h.slack.thread(memo.channel, threadTs).find((m) => m.text.includes('trong chuỗi')));
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
  });
});
