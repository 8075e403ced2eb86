import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveSecret } from '../src/config.ts';
import { signTrackingId } from '../src/records/tracking-id.ts';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { Harness, REDIS_URL, waitFor } from './helpers/harness.ts';
import { fileShareEvent, postEvent, postShortcut, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';

/**
 * What OMICall's callbacks promise (README, "The OMICall webhook"): a 200 means the segment is stored, a store
 * that cannot be reached answers 503 and loses nothing, each segment shows once and in spoken order, and each
 * tracking_id refusal has its own status code and posts nothing.
 */

const started: Harness[] = [];
const proxies: TcpProxy[] = [];
const processes: AppProcess[] = [];
let standIns: StandIns | undefined;
afterEach(async () => {
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  for (const p of proxies) p.thaw();
  for (const h of started.splice(0).reverse()) await h.stop();
  for (const p of proxies.splice(0)) await p.cut().catch(() => {});
  await standIns?.close();
  standIns = undefined;
});

async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

const TRACKING_KEY = deriveSecret(SIGNING_SECRET, 'tracking-id');
const DAY_S = 24 * 3600;

/** A memo shared on h and uploaded to OMICall: its tracking id and thread. */
async function uploaded(h: Harness, name = 'memo.wav') {
  const file = h.slack.addFile({ name, mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file]);
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'upload');
  return { trackingId: upload.trackingId as string, channel, ts, file };
}

/** How often a text occurs in the thread, as people read it. */
const occurrences = (h: Harness | StandIns, channel: string, ts: string, text: string) =>
  h.slack
    .thread(channel, ts)
    .map((m) => m.text)
    .join('\n')
    .split(text).length - 1;

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('a segment is stored before the webhook answers 200', () => {
  it('Redis cut while a callback arrives: 503, nothing shown; the same body re-sent once Redis is back shows once', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const h = await start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
    const memo = await uploaded(h);
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('was sent to OMICall'), 5000, 'sent');
    const body = { tracking_id: memo.trackingId, from: 0, to: 2, text: 'không được mất' };

    // Redis stops answering while the callback is being handled, then goes away altogether.
    proxy.freeze();
    const during = h.callBack(body);
    await new Promise((r) => setTimeout(r, 300));
    await proxy.cut();
    expect((await during).status).toBe(503);
    // While it is away, OMICall's next try is refused too.
    expect((await h.callBack(body)).status).toBe(503);
    await settle();
    expect(occurrences(h, memo.channel, memo.ts, 'không được mất')).toBe(0);
    expect(h.logs.some((l) => l.includes('webhook: store unavailable'))).toBe(true);

    proxy.thaw();
    await proxy.reopen();
    await waitFor(async () => (await request(`${h.url}/healthz`)).statusCode === 200, 10_000, 'Redis back');
    // OMICall tries again with the same body (twice, as a retrying sender may).
    const again = await h.callBack(body);
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ ok: true, accepted: 1, repeated: 0 });
    const twice = await h.callBack(body);
    expect(twice.status).toBe(200);
    expect(JSON.parse(twice.body)).toMatchObject({ ok: true, accepted: 0, repeated: 1 });
    await waitFor(() => occurrences(h, memo.channel, memo.ts, 'không được mất') === 1, 5000, 'the segment shown');
    await h.app.replies.idle();
    expect(occurrences(h, memo.channel, memo.ts, 'không được mất')).toBe(1);
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
  }, 30_000);

  it('a 200 is durable: the instance killed before showing the segment, the next instance on the same Redis shows it', async () => {
    standIns = await startStandIns();
    const { slack, omicall } = standIns;
    const env = { REDIS_URL, REDIS_PREFIX: `test-guard-${randomUUID()}:`, JOB_LOCK_SECONDS: '2' };
    const first = await startAppProcess(standIns, env);
    processes.push(first);
    const channel = 'C0DURABLE1';
    const file = slack.addFile({ name: 'bền.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = slack.nextTs();
    slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file] });
    expect((await postEvent(first.url, fileShareEvent({ channel, ts, files: [file] }))).status).toBe(200);
    const upload = await waitFor(() => omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'upload');
    await waitFor(() => slack.thread(channel, ts)[0]?.text.includes('was sent to OMICall'), 5000, 'sent');
    await new Promise((r) => setTimeout(r, 500));

    // Slack holds the next edit of the reply: the first instance cannot show the segment before it dies.
    let held = false;
    slack.override((call) => {
      if (call.method !== 'chat.update') return false;
      held = true;
      return true;
    });
    const answer = await omicall.callBack(
      { tracking_id: upload.trackingId, from: 0, to: 1.5, text: 'đã lưu rồi' },
      first.webhookUrl,
    );
    expect(answer.status).toBe(200);
    await waitFor(() => held, 5000, 'the held edit');
    await first.kill('SIGKILL');
    expect(occurrences(standIns, channel, ts, 'đã lưu rồi')).toBe(0);

    const second = await startAppProcess(standIns, env);
    processes.push(second);
    // OMICall's next segment reaches the new instance: the reply shows both, the first one included.
    expect(
      (
        await omicall.callBack(
          { tracking_id: upload.trackingId, from: 1.5, to: 2.5, text: 'đoạn sau' },
          second.webhookUrl,
        )
      ).status,
    ).toBe(200);
    await waitFor(
      () => {
        const text = slack.thread(channel, ts)[0]?.text ?? '';
        return text.includes('đã lưu rồi') && text.includes('đoạn sau');
      },
      20_000,
      'both segments in the reply',
    );
    expect(slack.thread(channel, ts)[0].text).toMatch(/\[0:00\] đã lưu rồi\n\[0:01\] đoạn sau/);
    expect(slack.thread(channel, ts)).toHaveLength(1);
  }, 60_000);
});

describe('segments', () => {
  it('two segments starting at the same second are both shown, in order; a re-sent one is shown once', async () => {
    const h = await start();
    const memo = await uploaded(h);
    const id = memo.trackingId;
    expect((await h.callBack({ tracking_id: id, from: 5, to: 9, text: 'dài hơn' })).status).toBe(200);
    expect((await h.callBack({ tracking_id: id, from: 5, to: 7, text: 'ngắn hơn' })).status).toBe(200);
    expect((await h.callBack({ tracking_id: id, from: 0, to: 5, text: 'mở đầu' })).status).toBe(200);
    // The same (from, to) again, even with other text: OMICall re-sending, shown once.
    const repeat = await h.callBack([
      { tracking_id: id, from: 5, to: 7, text: 'ngắn hơn' },
      { tracking_id: id, from: 5, to: 9, text: 'khác đi' },
    ]);
    expect(repeat.status).toBe(200);
    expect(JSON.parse(repeat.body)).toMatchObject({ accepted: 0, repeated: 2 });
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('mở đầu'), 5000, 'the transcript');
    await h.app.replies.idle();
    expect(h.slack.thread(memo.channel, memo.ts)[0].text).toBe(
      'Transcript of memo.wav · 0:03\n[0:00] mở đầu\n[0:05] ngắn hơn\n[0:05] dài hơn',
    );
    expect(await h.metric(`transcriber_callbacks_total{outcome="repeated"}`)).toBe(1);
    expect(await h.metric(`transcriber_callbacks_total{outcome="accepted"}`)).toBe(3);
  });
});

describe('tracking_id refusals: each has its status code, and nothing is posted', () => {
  it('a tracking_id past the 7-day window is 403; one just inside it is taken (the in-memory store after a restart)', async () => {
    const h = await start();
    const ref = (fileId: string) => ({ channel: 'C0SALES01', ts: h.slack.nextTs(), fileId });
    const expired = ref('F0EXPIRED1');
    const oldId = signTrackingId(expired, Date.now() / 1000 - 7 * DAY_S - 60, TRACKING_KEY);
    const res = await h.callBack({ tracking_id: oldId, from: 0, to: 1, text: 'quá hạn' });
    expect(res.status).toBe(403);
    await settle();
    expect(h.slack.thread(expired.channel, expired.ts)).toEqual([]);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_expired"}`)).toBe(1);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_unknown"}`)).toBe(0);

    // A minute inside the window: a memo this process never saw (it restarted) still gets its transcript.
    const file = h.slack.addFile({ name: 'trước-khi-khởi-động-lại.wav', mimetype: 'audio/wav', path: speech('wav') });
    const recent = ref(file.id);
    const recentId = signTrackingId(recent, Date.now() / 1000 - 7 * DAY_S + 60, TRACKING_KEY);
    expect((await h.callBack({ tracking_id: recentId, from: 0, to: 1, text: 'vẫn kịp' })).status).toBe(200);
    const reply = await waitFor(() => h.slack.thread(recent.channel, recent.ts)[0], 5000, 'the adopted reply');
    await waitFor(() => reply.text.includes('vẫn kịp'), 5000, 'the text');
    expect(reply.text.split('\n')[0]).toBe('Transcript of trước-khi-khởi-động-lại.wav');
  });

  it('an attempt that a newer one replaced gets 409, also when its record is gone; the current one is taken', async () => {
    const h = await start();
    h.omicall.answers.push({ kind: 'fail', error: 'file_invalid', http: 400 });
    const file = h.slack.addFile({ name: 'lần-hai.wav', mimetype: 'audio/wav', path: speech('wav') });
    const memo = { ...(await h.share([file])), file };
    await waitFor(
      () => h.slack.thread(memo.channel, memo.ts)[0]?.text.startsWith('Could not transcribe'),
      8000,
      'the failure',
    );
    const failedId = h.logs
      .map((l) => JSON.parse(l) as { msg: string; trackingId?: string })
      .find((l) => l.msg === 'received' && l.trackingId?.includes(memo.ts))?.trackingId as string;

    // The failed attempt: 409.
    expect((await h.callBack({ tracking_id: failedId, from: 0, to: 1, text: 'thất bại' })).status).toBe(409);

    // Asked again: a new attempt; the failed one stays refused, and so does an attempt this app signed but has no
    // record of (a newer one holds the memo).
    await postShortcut(h.url, {
      channel: memo.channel,
      ts: memo.ts,
      files: [memo.file],
      responseUrl: `${h.slack.url}/respond/replaced`,
    });
    const second = await waitFor(
      () => h.omicall.uploads.find((u) => u.trackingId?.includes(memo.ts) && u.trackingId !== failedId),
      8000,
      'the second upload',
    );
    const ghost = signTrackingId(
      { channel: memo.channel, ts: memo.ts, fileId: memo.file.id },
      Date.now() / 1000 - 3600,
      TRACKING_KEY,
    );
    for (const id of [failedId, ghost]) {
      const res = await h.callBack({ tracking_id: id, from: 0, to: 1, text: 'cũ rồi' });
      expect(res.status).toBe(409);
      expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'not accepting results for this tracking_id' });
    }
    expect((await h.callBack({ tracking_id: second.trackingId, from: 0, to: 1, text: 'mới' })).status).toBe(200);
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('mới'), 5000, 'the new text');
    await h.app.replies.idle();
    expect(occurrences(h, memo.channel, memo.ts, 'cũ rồi')).toBe(0);
    expect(occurrences(h, memo.channel, memo.ts, 'thất bại')).toBe(0);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_closed"}`)).toBe(3);
  });

  it('with Redis, a signed tracking_id the app has no record of is 409 and posts nothing', async () => {
    const h = await start({ redis: true });
    const ref = { channel: 'C0SALES01', ts: h.slack.nextTs(), fileId: 'F0NORECORD' };
    const id = signTrackingId(ref, Date.now() / 1000, TRACKING_KEY);
    expect((await h.callBack({ tracking_id: id, from: 0, to: 1, text: 'không có hồ sơ' })).status).toBe(409);
    await settle();
    expect(h.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('a body mixing refusals answers by the worst: unknown (403) before expired (403) before closed (409); one accepted segment makes it 200', async () => {
    const h = await start();
    h.omicall.answers.push({ kind: 'fail', error: 'file_invalid', http: 400 });
    const failedMemo = await uploadedOrFailed(h);
    const live = await uploaded(h, 'sống.wav');
    const unknown = 'C1_1.1_F1_-_0_000000000000000000000000';
    const expired = signTrackingId(
      { channel: 'C0SALES01', ts: h.slack.nextTs(), fileId: 'F0EXP' },
      Date.now() / 1000 - 8 * DAY_S,
      TRACKING_KEY,
    );
    const seg = (tracking_id: string, text: string) => ({ tracking_id, from: 0, to: 1, text });

    const closedThenExpired = await h.callBack([seg(failedMemo, 'a'), seg(expired, 'b')]);
    expect(closedThenExpired.status).toBe(403);
    const closedThenUnknown = await h.callBack([seg(failedMemo, 'a'), seg(unknown, 'c')]);
    expect(closedThenUnknown.status).toBe(403);
    const onlyClosed = await h.callBack([seg(failedMemo, 'a'), seg(failedMemo, 'd')]);
    expect(onlyClosed.status).toBe(409);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_expired"}`)).toBe(1);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_unknown"}`)).toBe(1);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_closed"}`)).toBe(1);

    const mixed = await h.callBack([seg(unknown, 'c'), seg(live.trackingId, 'được nhận'), seg(expired, 'b')]);
    expect(mixed.status).toBe(200);
    expect(JSON.parse(mixed.body)).toEqual({
      ok: true,
      accepted: 1,
      repeated: 0,
      capped: 0,
      refused: 2,
      ignored: 0,
    });
    await waitFor(() => h.slack.thread(live.channel, live.ts)[0]?.text.includes('được nhận'), 5000, 'the live text');
    expect(h.logs.some((l) => l.includes('webhook: segments refused'))).toBe(true);
  });
});

/** A memo whose upload OMICall refused: its (failed) tracking id. */
async function uploadedOrFailed(h: Harness): Promise<string> {
  const file = h.slack.addFile({ name: 'hỏng.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file]);
  await waitFor(
    () => h.slack.thread(channel, ts)[0]?.text.startsWith('Could not transcribe'),
    8000,
    'the failure reply',
  );
  return h.logs
    .map((l) => JSON.parse(l) as { msg: string; trackingId?: string })
    .find((l) => l.msg === 'received' && l.trackingId?.includes(ts))?.trackingId as string;
}

describe('caps, at their edges (README: 2,000 segments a body, 5,000 characters a segment, 400,000 a job)', () => {
  it('a body of 2,001 segments is 413 and shows nothing; 2,000 are taken', async () => {
    const h = await start();
    const memo = await uploaded(h);
    const body = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ tracking_id: memo.trackingId, from: i, to: i + 1, text: `s${i}` }));
    const tooMany = await h.callBack(body(2001));
    expect(tooMany.status).toBe(413);
    expect(JSON.parse(tooMany.body)).toEqual({ ok: false, error: 'too many segments' });
    expect(h.logged('webhook refused: too many segments in one body')).toEqual([
      expect.objectContaining({ level: 'warn', count: 2001 }),
    ]);
    expect(await h.metric(`transcriber_callbacks_total{outcome="too_many_segments"}`)).toBe(1);
    await settle();
    expect(occurrences(h, memo.channel, memo.ts, '] s0')).toBe(0);

    const most = await h.callBack(body(2000));
    expect(most.status).toBe(200);
    expect(JSON.parse(most.body)).toMatchObject({ accepted: 2000, capped: 0 });
  });

  it('a job takes 10,000 segments; the next one is dropped', async () => {
    const h = await start();
    const memo = await uploaded(h);
    for (let b = 0; b < 5; b++) {
      const body = Array.from({ length: 2000 }, (_, i) => ({
        tracking_id: memo.trackingId,
        from: b * 2000 + i,
        to: b * 2000 + i + 1,
        text: 'v',
      }));
      expect(JSON.parse((await h.callBack(body)).body)).toMatchObject({ accepted: 2000, capped: 0 });
    }
    const next = await h.callBack({ tracking_id: memo.trackingId, from: 20_000, to: 20_001, text: 'thừa' });
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toMatchObject({ accepted: 0, capped: 1 });
  }, 30_000);

  it('a segment of 5,000 characters is taken and one of 5,001 dropped; a job stops at 400,000 characters, and what is dropped is taken back out', async () => {
    const h = await start();
    const memo = await uploaded(h);
    const seg = (from: number, length: number, mark = 'x') => ({
      tracking_id: memo.trackingId,
      from,
      to: from + 1,
      text: mark + 'x'.repeat(length - 1),
    });
    const over = await h.callBack(seg(0, 5001, 'Q'));
    expect(JSON.parse(over.body)).toMatchObject({ accepted: 0, capped: 1 });
    expect(await h.metric(`transcriber_callbacks_total{outcome="capped"}`)).toBe(1);
    expect(h.logged('webhook: segments over the caps dropped')).toEqual([
      expect.objectContaining({ level: 'warn', trackingId: memo.trackingId, capped: 1 }),
    ]);
    // 79 × 5,000 + 1,000 = 396,000 characters.
    for (let i = 1; i <= 79; i++) expect(JSON.parse((await h.callBack(seg(i, 5000))).body).accepted).toBe(1);
    expect(JSON.parse((await h.callBack(seg(100, 1000))).body).accepted).toBe(1);
    // 5,000 more would make 401,000: dropped, and its characters no longer count.
    const past = await h.callBack(seg(101, 5000, 'P'));
    expect(JSON.parse(past.body)).toMatchObject({ accepted: 0, capped: 1 });
    // So 4,000 still fit (400,000 exactly), and the dropped segment, sent again, is dropped again (not "repeated").
    expect(JSON.parse((await h.callBack(seg(102, 4000, 'F'))).body)).toMatchObject({ accepted: 1, capped: 0 });
    expect(JSON.parse((await h.callBack(seg(101, 5000, 'P'))).body)).toMatchObject({ capped: 1, repeated: 0 });
    expect(JSON.parse((await h.callBack(seg(103, 1, 'Z'))).body)).toMatchObject({ accepted: 0, capped: 1 });
    await waitFor(() => occurrences(h, memo.channel, memo.ts, 'Fxxx') === 1, 10_000, 'the last segment that fit');
    await h.app.replies.idle();
    for (const dropped of ['Qxxx', 'Pxxx', '] Z']) expect(occurrences(h, memo.channel, memo.ts, dropped)).toBe(0);
  }, 30_000);
});

describe('what an operator reads about each callback', () => {
  it('malformed, ignored, accepted and repeated callbacks are counted apart and logged with their tracking id', async () => {
    const h = await start();
    const memo = await uploaded(h);
    expect((await h.callBack('{"nope"')).status).toBe(400);
    expect(h.logged('webhook refused: malformed body')).toEqual([
      expect.objectContaining({ level: 'warn', reason: 'body is not JSON' }),
    ]);
    const ignored = await h.callBack([{ customer_talk_time: 3 }, { analyst_results: [] }]);
    expect(ignored.status).toBe(200);
    expect(JSON.parse(ignored.body)).toEqual({ ok: true, accepted: 0, ignored: 2 });
    const segment = { tracking_id: memo.trackingId, from: 1, to: 2, text: 'ghi lại' };
    const first = await h.callBack([segment, { customer_talk_time: 3 }]);
    expect(JSON.parse(first.body)).toEqual({ ok: true, accepted: 1, repeated: 0, capped: 0, refused: 0, ignored: 1 });
    expect(JSON.parse((await h.callBack(segment)).body)).toMatchObject({ accepted: 0, repeated: 1 });
    for (const [outcome, count] of [
      ['malformed', 1],
      ['ignored', 1],
      ['accepted', 1],
      ['repeated', 1],
    ] as const) {
      expect(await h.metric(`transcriber_callbacks_total{outcome="${outcome}"}`)).toBe(count);
    }
    expect(h.logged('segment')).toEqual([
      expect.objectContaining({ level: 'info', trackingId: memo.trackingId, from: 1, to: 2, chars: 7 }),
    ]);
    expect(h.logged('segment repeated')).toEqual([
      expect.objectContaining({ level: 'info', trackingId: memo.trackingId, from: 1, to: 2 }),
    ]);
    expect(h.logged('webhook: segments refused')).toEqual([]);
  });
});
