import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveSecret } from '../src/config.ts';
import { parseCallback } from '../src/providers/omicall/callback.ts';
import { signTrackingId } from '../src/records/tracking-id.ts';
import { Harness, REDIS_URL, waitFor } from './helpers/harness.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';

/**
 * What OMICall gets back from the webhook, and what an operator reads about it, at the edges of the results
 * handling: a store that cannot be reached, bodies that mix refused and taken segments, the callback window's
 * last millisecond, and segments that are all over the caps.
 */

const TRACKING_KEY = deriveSecret(SIGNING_SECRET, 'tracking-id');
const DAY_MS = 24 * 3600 * 1000;
const UNKNOWN = 'C1_1.1_F1_-_0_000000000000000000000000';

const seg = (tracking_id: string, text: string, from = 0) => ({ tracking_id, from, to: from + 1, text });

/** A tracking id the app behind `h` signed for a memo it never saw, issued at `issuedAt` (epoch seconds). */
function minted(h: Harness, fileId: string, issuedAt = Date.now() / 1000) {
  const ref = { channel: 'C0RESULTS1', ts: h.slack.nextTs(), fileId };
  return { ref, id: signTrackingId(ref, issuedAt, TRACKING_KEY) };
}

describe('with the in-memory store (a restarted instance adopts signed, recent tracking ids)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(async () => {
    await h.stop();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('a body whose every segment is refused gets 403 with the same words, whatever the reason', async () => {
    const res = await h.callBack(seg(UNKNOWN, 'không rõ'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'unknown tracking_id' });
    expect(await h.metric('transcriber_callbacks_total{outcome="refused_unknown"}')).toBeGreaterThanOrEqual(1);
  });

  it('one taken segment and one over the cap, beside a refused one, is 200 with each counted', async () => {
    const { id } = minted(h, 'F0MIXCAP1');
    const res = await h.callBack([seg(id, 'được nhận'), seg(id, 'x'.repeat(5001), 2), seg(UNKNOWN, 'không rõ')]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, accepted: 1, repeated: 0, capped: 1, refused: 1, ignored: 0 });
  });

  it('one taken segment and the same one again, beside a refused one, is 200 with each counted', async () => {
    const { id } = minted(h, 'F0MIXREP1');
    const res = await h.callBack([seg(id, 'hai lần'), seg(id, 'hai lần'), seg(UNKNOWN, 'không rõ')]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, accepted: 1, repeated: 1, capped: 0, refused: 1, ignored: 0 });
  });

  it('segments all over the caps change nothing: no state, no reply, a warning; a taken one then starts receiving', async () => {
    const receiving = 'transcriber_jobs_total{state="receiving"}';
    const before = await h.metric(receiving);
    const warnings = h.logged('webhook: segments over the caps dropped').length;
    const { ref, id } = minted(h, 'F0CAPPED01');

    const capped = await h.callBack(seg(id, 'y'.repeat(5001)));
    expect(capped.status).toBe(200);
    expect(JSON.parse(capped.body)).toMatchObject({ ok: true, accepted: 0, capped: 1 });
    await h.app.replies.idle();
    expect(h.slack.thread(ref.channel, ref.ts)).toEqual([]);
    expect(await h.metric(receiving)).toBe(before);
    expect(h.logged('webhook: segments over the caps dropped').slice(warnings)).toEqual([
      expect.objectContaining({ level: 'warn', trackingId: id, capped: 1 }),
    ]);

    const taken = await h.callBack(seg(id, 'bây giờ mới có'));
    expect(JSON.parse(taken.body)).toMatchObject({ ok: true, accepted: 1, capped: 0 });
    expect(await h.metric(receiving)).toBe(before + 1);
    // A body with nothing over the caps logs no cap warning.
    expect(h.logged('webhook: segments over the caps dropped').slice(warnings)).toHaveLength(1);
  });

  it('the callback window is 7 days to the millisecond: taken at its last one, refused one later', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const issuedAt = (now - 7 * DAY_MS) / 1000;
    const inside = minted(h, 'F0EDGE0001', issuedAt);
    const outside = minted(h, 'F0EDGE0002', issuedAt);

    vi.spyOn(Date, 'now').mockReturnValue(now);
    const last = await h.callBack(seg(inside.id, 'vừa kịp'));
    vi.spyOn(Date, 'now').mockReturnValue(now + 1);
    const late = await h.callBack(seg(outside.id, 'trễ rồi'));
    vi.restoreAllMocks();

    expect(last.status).toBe(200);
    expect(JSON.parse(last.body)).toMatchObject({ ok: true, accepted: 1 });
    expect(late.status).toBe(403);
    expect(JSON.parse(late.body)).toEqual({ ok: false, error: 'unknown tracking_id' });
  });
});

describe('with Redis', () => {
  it('a signed tracking id the app has no record of is 409, not a store failure', async () => {
    const h = await Harness.start({ redis: true });
    try {
      const { id } = minted(h, 'F0NOREC01');
      const res = await h.callBack(seg(id, 'không có hồ sơ'));
      expect(res.status).toBe(409);
      expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'not accepting results for this tracking_id' });
      expect(h.logged('webhook: store unavailable')).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  it('Redis gone while a callback arrives: 503 "try again", counted as store_unavailable, logged as an error', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    const h = await Harness.start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
    try {
      const { id } = minted(h, 'F0GONE001');
      // Redis stops answering while the callback is being handled, then goes away altogether.
      proxy.freeze();
      const during = h.callBack(seg(id, 'mất kết nối'));
      await new Promise((r) => setTimeout(r, 200));
      await proxy.cut();
      const res = await during;
      expect(res.status).toBe(503);
      expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'try again' });
      const [logged] = h.logged('webhook: store unavailable');
      expect(logged).toMatchObject({ level: 'error' });
      expect(typeof logged.error).toBe('string');
      expect(String(logged.error)).not.toBe('');
      // /metrics reads the store too: once Redis is back, the refusal is there.
      proxy.thaw();
      await proxy.reopen();
      await waitFor(async () => (await request(`${h.url}/healthz`)).statusCode === 200, 10_000, 'Redis back');
      expect(await h.metric('transcriber_callbacks_total{outcome="store_unavailable"}')).toBe(1);
    } finally {
      proxy.thaw();
      await proxy.reopen().catch(() => {});
      await h.stop();
      await proxy.cut().catch(() => {});
    }
  });
});

describe("OMICall's callback body", () => {
  it('keeps the timed words of word_alignment with the segment', () => {
    const parsed = parseCallback(
      JSON.stringify({
        tracking_id: 'T1',
        from: 0,
        to: 1,
        text: 'xin chào',
        word_alignment: [
          { word: 'xin', from: 0, to: 0.4 },
          { word: 'chào', from: 0.4, to: 1 },
        ],
      }),
    );
    expect(parsed.ok && parsed.deliveries[0].segment.words?.map((w) => w.text)).toEqual(['xin', 'chào']);
  });
});
