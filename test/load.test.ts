/**
 * The app under load: an hour of speech in one thread, Slack's rate limits across many jobs, and a burst of memos at
 * once.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, POSTS_AT_ONCE, waitFor } from './helpers/harness.ts';
import { fileShareEvent, postEvent } from './helpers/slack-requests.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const wav = () => h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });

async function uploaded(count: number) {
  const memos: { channel: string; ts: string; trackingId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const { channel, ts } = await h.share([wav()], { channel: `C0LOAD${String(i % 5).padStart(3, '0')}` });
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
    memos.push({ channel, ts, trackingId: upload.trackingId as string });
  }
  return memos;
}

let limited = 0;
const tooMany = (res: ServerResponse) => {
  limited += 1;
  res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
  return true;
};

describe('long transcripts', () => {
  it('an hour of speech shows whole, across replies, with no call refused', async () => {
    h = await Harness.start({ overrides: POSTS_AT_ONCE });
    const [memo] = await uploaded(1);
    const sentence =
      'Hôm nay chúng ta bàn về doanh số quý ba, khách hàng mới ở Đà Nẵng và kế hoạch tuyển dụng cho đội bán hàng';
    const segments = Array.from({ length: 1200 }, (_, i) => ({
      tracking_id: memo.trackingId,
      from: i * 3,
      to: i * 3 + 3,
      text: `${i}# ${sentence} ${sentence}`,
    }));
    for (let i = 0; i < segments.length; i += 100)
      expect((await h.callBack(segments.slice(i, i + 100))).status).toBe(200);
    const replies = await waitFor(
      () => {
        const r = h.slack.thread(memo.channel, memo.ts);
        const text = r.map((m) => m.text).join('\n');
        return text.includes('1199# ') ? r : undefined;
      },
      15_000,
      'the whole transcript',
    );
    const shown = replies.map((m) => m.text).join('\n');
    for (let i = 0; i < 1200; i++) expect(shown).toContain(`] ${i}# ${sentence}`);
    expect(replies.length).toBeGreaterThan(5);
    expect(h.slack.errors).toEqual([]);
  });
});

describe("Slack's rate limits", () => {
  it('many callbacks for many jobs reach Slack, coalesced, through 429s, without losing a segment', async () => {
    h = await Harness.start();
    // Ten memos: at Slack's pace for chat.update (the app's budget, about 40 a minute) and fifteen 429s of a second
    // each, their transcripts take some 25 s to show.
    const memos = await uploaded(10);
    for (let i = 0; i < 15; i++)
      h.slack.override((call, res) => (call.method === 'chat.update' ? tooMany(res) : false));
    const updatesBefore = h.slack.callsOf('chat.update').length;
    await Promise.all(
      memos.flatMap((m) =>
        Array.from({ length: 30 }, (_, i) =>
          h.callBack({ tracking_id: m.trackingId, from: i, to: i + 1, text: `${m.ts} đoạn ${i}` }),
        ),
      ),
    );
    for (const m of memos) {
      await waitFor(
        () => {
          const text = h.slack.thread(m.channel, m.ts)[0]?.text ?? '';
          return Array.from({ length: 30 }, (_, i) => `${m.ts} đoạn ${i}`).every((t) => text.includes(t));
        },
        40_000,
        `every segment of ${m.ts}`,
      );
    }
    expect(limited).toBe(15);
    const updates = h.slack.callsOf('chat.update').length - updatesBefore;
    expect(updates).toBeLessThan(300 / 3);
  }, 60_000);
});

describe('bursts', () => {
  it('60 memos at once: all acknowledged within 3 s, each uploaded once, few transfers at a time', async () => {
    h = await Harness.start({ env: { RELAY_CONCURRENCY: '4' } });
    h.omicall.uploadDelayMs = 100;
    const events = Array.from({ length: 60 }, (_, i) => {
      const ts = h.slack.nextTs();
      return { ts, event: fileShareEvent({ channel: `C0BURST${i % 3}0`, ts, files: [wav()] }) };
    });
    const acks = await Promise.all(events.map(({ event }) => postEvent(h.url, event)));
    for (const ack of acks) {
      expect(ack.status).toBe(200);
      expect(ack.ms).toBeLessThan(3000);
    }
    await waitFor(() => h.omicall.uploads.length === 60, 20_000, '60 uploads');
    expect(new Set(h.omicall.uploads.map((u) => u.trackingId)).size).toBe(60);
    expect(h.omicall.attempts).toBe(60);
    expect(h.omicall.maxInFlight).toBeLessThanOrEqual(4);
    expect(h.omicall.maxInFlight).toBeGreaterThan(1);
  });
});
