import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { PING_TIMEOUT_MS } from '../src/http/health.ts';
import { speech } from './helpers/audio.ts';
import { Harness, REDIS_URL, waitFor } from './helpers/harness.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';

const started: Harness[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies.splice(0)) p.thaw();
  for (const h of started.splice(0).reverse()) await h.stop();
  for (const p of proxies.splice(0)) await p.cut();
});

async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

/** A memo shared on h, uploaded to OMICall; its tracking id and thread. */
async function uploaded(h: Harness) {
  const file = h.slack.addFile({ name: 'họp.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file]);
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'upload');
  return { trackingId: upload.trackingId as string, channel, ts };
}

/** A long segment, 4,500 characters of speech with a marker of its own. */
const long = (n: number) => `đoạn-${n} ${'chúng ta bàn kế hoạch '.repeat(204)}`.trim();
/** How often a text occurs in the thread, as users read it. */
const occurrences = (h: Harness, channel: string, ts: string, text: string) =>
  h.slack
    .thread(channel, ts)
    .map((m) => m.text)
    .join('\n')
    .split(text).length - 1;

describe('thread replies', () => {
  it('a segment that changes only the last part of a long transcript edits only that message', async () => {
    const h = await start();
    const memo = await uploaded(h);
    for (const [n, from] of [
      [1, 0],
      [2, 60],
      [3, 120],
    ] as const) {
      expect((await h.callBack({ tracking_id: memo.trackingId, from, to: from + 60, text: long(n) })).status).toBe(200);
    }
    const [first, second] = await waitFor(
      () => {
        const r = h.slack.thread(memo.channel, memo.ts);
        return r.length === 2 && occurrences(h, memo.channel, memo.ts, 'đoạn-3') === 1 ? r : undefined;
      },
      8000,
      'a transcript in two messages',
    );
    await h.app.replies.idle();
    const firstEdits = first.history.length;
    const secondEdits = second.history.length;

    expect((await h.callBack({ tracking_id: memo.trackingId, from: 200, to: 205, text: 'câu cuối cùng' })).status).toBe(
      200,
    );
    await waitFor(() => second.text.includes('câu cuối cùng'), 5000, 'the new segment');
    await h.app.replies.idle();
    // Slack limits chat.update per channel: the first part, which did not change, is not sent again.
    expect(first.history.length).toBe(firstEdits);
    expect(second.history.length).toBe(secondEdits + 1);
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(2);
    // A transcript is never decorated with previews of links someone said.
    for (const call of h.slack.callsOf('chat.postMessage')) {
      expect(call.args).toMatchObject({ unfurl_links: 'false', unfurl_media: 'false' });
    }
  });

  it('two instances receiving the same memo’s segments at once show each segment once, in one reply', async () => {
    // A render lock shorter than Slack's answer: only its renewal keeps the other instance out.
    const tuning = { lockRetryMs: 100, lockTtlMs: 300 };
    const a = await start({ redis: true, tuning });
    const b = await start({ redis: true, with: a, tuning });
    const memo = await uploaded(a);
    await a.callBack({ tracking_id: memo.trackingId, from: 0, to: 60, text: long(1) });
    await a.callBack({ tracking_id: memo.trackingId, from: 60, to: 120, text: long(2) });
    await waitFor(() => occurrences(a, memo.channel, memo.ts, 'đoạn-2') === 1, 8000, 'the first two segments');
    await a.app.replies.idle();
    // Slack takes its time to post the next message: both instances would post one if nothing kept them apart.
    a.slack.delays.set('chat.postMessage', 800);
    const answers = await Promise.all([
      a.callBack({ tracking_id: memo.trackingId, from: 120, to: 180, text: long(3) }),
      b.callBack({ tracking_id: memo.trackingId, from: 180, to: 240, text: long(4) }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(
      () => [1, 2, 3, 4].every((n) => occurrences(a, memo.channel, memo.ts, `đoạn-${n}`) >= 1),
      10_000,
      'all four segments',
    );
    await Promise.all([a.app.replies.idle(), b.app.replies.idle()]);
    await new Promise((r) => setTimeout(r, 1000));
    const thread = a.slack.thread(memo.channel, memo.ts);
    expect(thread).toHaveLength(2);
    for (const n of [1, 2, 3, 4]) expect(occurrences(a, memo.channel, memo.ts, `đoạn-${n}`)).toBe(1);
  });

  it('segments arriving faster than Slack should be written to are gathered: writes stay coalesceMs apart', async () => {
    const coalesceMs = 400;
    const h = await start({ tuning: { coalesceMs } });
    const memo = await uploaded(h);
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0], 5000, 'the status reply');
    await h.app.replies.idle();
    const reply = h.slack.thread(memo.channel, memo.ts)[0];
    let n = 0;
    /** Sends `count` segments `everyMs` apart; returns Slack's writes of the reply meanwhile. */
    const burst = async (count: number, everyMs: number) => {
      const since = h.slack.calls.length;
      for (let i = 0; i < count; i++) {
        n += 1;
        await h.callBack({ tracking_id: memo.trackingId, from: n * 5, to: n * 5 + 5, text: `câu số ${n}` });
        await new Promise((r) => setTimeout(r, everyMs));
      }
      const last = `câu số ${n}`;
      await waitFor(() => reply.text.includes(last), 5000, last);
      await h.app.replies.idle();
      return h.slack.calls.slice(since).filter((c) => c.method === 'chat.update' && c.args.ts === reply.ts);
    };
    // Segments a little apart, each arriving after the previous write is done; then segments close together
    // while each write takes Slack a moment (as under its rate limits), so they arrive while one is under way.
    const apart = await burst(8, 100);
    await new Promise((r) => setTimeout(r, coalesceMs));
    h.slack.delays.set('chat.update', 150);
    const during = await burst(12, 50);
    for (const writes of [apart, during]) {
      // Several callbacks gathered into a few writes, never two closer than coalesceMs (less timer slack).
      expect(writes.length).toBeGreaterThanOrEqual(2);
      expect(writes.length).toBeLessThanOrEqual(5);
      for (let i = 1; i < writes.length; i++) {
        expect(writes[i].at - writes[i - 1].at).toBeGreaterThanOrEqual(coalesceMs - 30);
      }
    }
    for (let i = 1; i <= n; i++) expect(reply.text).toContain(`câu số ${i}`);
    // The reaction changed once, with the first segment; the writes after it leave it alone.
    const reactionCalls = h.slack.calls.filter(
      (c) => c.method.startsWith('reactions.') && c.args.timestamp === memo.ts,
    );
    expect(reactionCalls.filter((c) => c.method === 'reactions.add').map((c) => c.args.name)).toEqual([
      'hourglass_flowing_sand',
      'memo',
    ]);
    // The operator's view of the same: callback → update times, in seconds, all under the second or so it took.
    const metrics = await (await request(`${h.url}/metrics`)).body.text();
    const count = Number(/^transcriber_callback_to_update_seconds_count (\S+)$/m.exec(metrics)?.[1]);
    const sum = Number(/^transcriber_callback_to_update_seconds_sum (\S+)$/m.exec(metrics)?.[1]);
    expect(count).toBe(apart.length + during.length);
    expect(sum / count).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(1.5);
  });
});

describe('GET /healthz', () => {
  async function behindProxy() {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const h = await start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
    return { h, proxy };
  }

  it('answers 503 within its ping time-out when Redis hangs, and 200 again once it answers', async () => {
    const { h, proxy } = await behindProxy();
    expect((await request(`${h.url}/healthz`)).statusCode).toBe(200);
    proxy.freeze();
    const asked = Date.now();
    const res = await request(`${h.url}/healthz`, { headersTimeout: PING_TIMEOUT_MS * 3 });
    const took = Date.now() - asked;
    expect(res.statusCode).toBe(503);
    expect(await res.body.json()).toEqual({ ok: false, store: 'unreachable' });
    expect(took).toBeGreaterThanOrEqual(PING_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(PING_TIMEOUT_MS + 1500);
    proxy.thaw();
    await waitFor(async () => (await request(`${h.url}/healthz`)).statusCode === 200, 5000, '200 again');
  });

  it('a stopping instance is never reported healthy: probes are refused at once while its drain goes on', async () => {
    const h = await start({ tuning: { drainMs: 10_000 } });
    h.omicall.uploadDelayMs = 1500;
    const file = h.slack.addFile({ name: 'cuối.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { ts } = await h.share([file]);
    await waitFor(() => h.omicall.inFlight > 0, 5000, 'an upload in flight');
    const url = h.url;
    const stopped = h.app.stop();
    const probe = await request(`${url}/healthz`).then(
      (res) => `HTTP ${res.statusCode}`,
      (err: { code?: string }) => err.code,
    );
    expect(probe).toBe('ECONNREFUSED');
    // The drain still finishes the upload that was in flight.
    await stopped;
    expect(h.omicall.uploads.some((u) => u.trackingId?.includes(ts))).toBe(true);
  });
});
