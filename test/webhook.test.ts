/**
 * The OMICall webhook: its registration, the secret in its URL, the bodies it takes, its caps, counts and status codes,
 * and its refusals of tracking ids.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { deriveSecret } from '../src/config.ts';
import { signTrackingId } from '../src/records/tracking-id.ts';
import { speech } from './helpers/audio.ts';
import { Harness, POSTS_AT_ONCE, WORKSPACE, waitFor } from './helpers/harness.ts';
import { occurrences, plantedMemo, threadText, uploadedMemo } from './helpers/memos.ts';
import { freePort, mutantEnv } from './helpers/process.ts';
import { Raw, slackHead } from './helpers/raw-http.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { postShortcut, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';
import { startStandIns } from './stand-ins/index.ts';
import { BOT_TOKEN } from './stand-ins/slack.ts';

const started: Harness[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const p of proxies) p.thaw();
  for (const h of started.splice(0).reverse()) await h.stop();
  for (const p of proxies.splice(0)) await p.cut().catch(() => {});
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

const TRACKING_KEY = deriveSecret(SIGNING_SECRET, 'tracking-id');
const DAY_S = 24 * 3600;
const DAY_MS = DAY_S * 1000;
const LIMIT = 1024 * 1024;
const UNKNOWN = 'T1_C1_1.1_F1_-_0_000000000000000000000000';
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
const sleep = settle;

const seg = (tracking_id: string, text: string, from = 0) => ({ tracking_id, from, to: from + 1, text });

/** A memo the app behind `h` has on record as waiting for its text, issued at `issuedAt` (epoch seconds). */
const minted = (h: Harness, fileId: string, issuedAt = Date.now() / 1000) => plantedMemo(h, { fileId, issuedAt });

/** A tracking ID the app signed for a memo it has no record of. */
const unrecorded = (h: Harness, fileId: string, issuedAt = Date.now() / 1000) =>
  signTrackingId({ workspace: WORKSPACE, channel: 'C0RESULTS1', ts: h.slack.nextTs(), fileId }, issuedAt, TRACKING_KEY);

/** A POST to the app with a JSON body, as anyone may send one. */
async function postRaw(h: Harness, path: string, body: string) {
  const res = await request(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.statusCode, body: await res.body.text() };
}

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

describe('the webhook registration at start', () => {
  it('registered at start: apiKey header, JSON url with the secret, stable across restarts', async () => {
    const h = await start();
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

  it('is logged with its address, the secret path segment left out', async () => {
    const app = await start();
    const line = app.logs
      .map((l) => JSON.parse(l) as { msg: string; url?: string })
      .find((l) => l.msg.includes('webhook registered'));
    expect(line?.url).toBe('https://transcriber.test/omicall/webhook/…');
    expect(app.omicall.registrations.map((r) => r.url)).toEqual([
      `https://transcriber.test/omicall/webhook/${app.config.webhookSecret}`,
    ]);
  });

  it('a refused webhook registration is one clear error line, and the app still serves', async () => {
    const { slack, omicall, close } = await startStandIns();
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'transcriber-data-'));
    const child = spawn(process.execPath, ['src/index.ts'], {
      env: {
        PATH: process.env.PATH,
        ...mutantEnv(),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        OMICALL_API_KEY: 'not-the-key',
        SLACK_API_URL: slack.apiUrl,
        OMICALL_API_URL: omicall.apiUrl,
        PUBLIC_URL: 'https://t.test',
        PORT: String(port),
        DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    try {
      await waitFor(() => output.includes('webhook registration'), 15_000, 'registration line');
      const errors = output.split('\n').filter((l) => l.includes('"level":"error"'));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(
        'OMICall refused the webhook registration (api_key_invalid): the key is wrong: copy OMICALL_API_KEY again',
      );
      expect(output).not.toContain('not-the-key');
      expect((await request(`http://127.0.0.1:${port}/healthz`)).statusCode).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('what it refuses before a segment is read', () => {
  it('a wrong secret in the URL: 403 forbidden before the body is read, counted and logged', async () => {
    const h = await start();
    const before = await h.metric(`transcriber_callbacks_total{outcome="refused_secret"}`);
    const wrong = `${h.url}/omicall/webhook/${h.config.webhookSecret.slice(0, -1)}x`;
    for (const url of [wrong, `${h.url}/omicall/webhook/short`]) {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"tracking_id":"x"}',
      });
      expect(res.statusCode).toBe(403);
      expect(res.headers.connection).toBe('close');
      expect(await res.body.json()).toEqual({ ok: false, error: 'forbidden' });
    }
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_secret"}`)).toBe(before + 2);
    expect(h.logged('webhook refused: wrong secret in the URL')).toHaveLength(2);
    expect(h.logged('webhook refused: wrong secret in the URL')[0]).toMatchObject({ level: 'warn' });
    expect(h.slack.messages).toHaveLength(0);
  });

  it('refuses a callback without the right secret and posts nothing', async () => {
    const h = await start();
    const memo = await uploadedMemo(h);
    const body = JSON.stringify({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'giả mạo' });
    expect((await postRaw(h, '/omicall/webhook/wrong-secret-wrong-secret-00', body)).status).toBe(403);
    expect((await postRaw(h, '/omicall/webhook', body)).status).toBeGreaterThanOrEqual(400);
    expect((await postRaw(h, '/omicall/webhook/', body)).status).toBeGreaterThanOrEqual(400);
    await new Promise((r) => setTimeout(r, 200));
    expect(threadText(h, memo.channel, memo.threadTs)).not.toContain('giả mạo');
  });

  it('a body over 1 MB: 413, counted as too_large', async () => {
    const h = await start();
    const before = await h.metric(`transcriber_callbacks_total{outcome="too_large"}`);
    const res = await request(h.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(LIMIT + 1, ' '),
    });
    expect(res.statusCode).toBe(413);
    expect(res.headers.connection).toBe('close');
    expect(await res.body.json()).toEqual({ ok: false, error: 'unreadable body' });
    expect(await h.metric(`transcriber_callbacks_total{outcome="too_large"}`)).toBe(before + 1);
    expect(h.logged('webhook body not read')).toEqual([expect.objectContaining({ reason: 'body too large' })]);
  });

  it('a body that does not arrive within its deadline: 408, connection closed, counted as too_slow', async () => {
    const h = await start({ timings: { callbackBodyDeadlineMs: 400 } });
    const before = await h.metric(`transcriber_callbacks_total{outcome="too_slow"}`);
    const path = h.webhookUrl.slice(h.url.length);
    const started = performance.now();
    const slow = new Raw(h.url, slackHead({ 'content-length': 1000 }, 'POST', path), '[{"tracking_id":');
    await slow.closed;
    expect(performance.now() - started).toBeGreaterThan(350);
    expect(slow.answer).toMatchObject({ status: 408, body: '{"ok":false,"error":"body too slow"}' });
    expect(slow.answer?.headers.connection).toBe('close');
    expect(await h.metric(`transcriber_callbacks_total{outcome="too_slow"}`)).toBe(before + 1);
    expect(h.logged('webhook body not read')).toEqual([expect.objectContaining({ reason: 'body too slow' })]);
  });

  it('a body cut off by its sender is counted as unreadable', async () => {
    const h = await start();
    const before = await h.metric(`transcriber_callbacks_total{outcome="unreadable"}`);
    const path = h.webhookUrl.slice(h.url.length);
    const cut = new Raw(h.url, slackHead({ 'content-length': 1000 }, 'POST', path), '[{"tracking_id":');
    await sleep(50);
    cut.socket.destroy();
    await cut.closed;
    await sleep(50);
    expect(await h.metric(`transcriber_callbacks_total{outcome="unreadable"}`)).toBe(before + 1);
    // A sender that hangs up is not worth a warning: it is counted, not logged.
    expect(h.logged('webhook body not read')).toEqual([]);
  });
});

describe('callback bodies', () => {
  describe('on one memo', () => {
    let h: Harness;
    let memo: { trackingId: string; channel: string; ts: string };
    beforeAll(async () => {
      h = await Harness.start();
      const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
      const { channel, ts } = await h.share([file]);
      const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'upload');
      memo = { trackingId: upload.trackingId as string, channel, ts };
    });
    afterAll(async () => {
      await h.stop();
    });
    const answer = async (body: unknown) => {
      const res = await h.callBack(body);
      return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
    };

    it('an empty body and one that is not JSON are 400, each with its reason', async () => {
      for (const body of ['', '  \n ']) {
        expect(await answer(body)).toEqual({ status: 400, body: { ok: false, error: 'empty body' } });
      }
      for (const body of ['{"tracking_id":', 'tracking_id=1', '<xml/>']) {
        expect(await answer(body)).toEqual({ status: 400, body: { ok: false, error: 'body is not JSON' } });
      }
    });

    it('items that are not segments are ignored, counted, and show nothing', async () => {
      const id = memo.trackingId;
      const notSegments = [
        null,
        3,
        'text',
        [],
        { tracking_id: 5, from: 0, to: 1, text: 'số' },
        { tracking_id: id, from: 0, to: 1, text: 7 },
        { tracking_id: id, to: 1, text: 'không có from' },
        { tracking_id: id, from: '', to: 1, text: 'from rỗng' },
        { tracking_id: id, from: '  ', to: 1, text: 'from trắng' },
        { tracking_id: id, from: 'abc', to: 1, text: 'from chữ' },
        { tracking_id: id, from: -1, to: 1, text: 'from âm' },
        { tracking_id: id, from: '-0.5', to: 1, text: 'from âm chuỗi' },
        { tracking_id: id, from: 'Infinity', to: 1, text: 'from vô cực' },
        { tracking_id: id, from: true, to: 1, text: 'from đúng' },
        { tracking_id: id, from: null, to: 1, text: 'from null' },
      ];
      expect(await answer(notSegments)).toEqual({ status: 200, body: { ok: true, accepted: 0, ignored: 15 } });
      expect(await answer(null)).toEqual({ status: 200, body: { ok: true, accepted: 0, ignored: 1 } });
      await new Promise((r) => setTimeout(r, 300));
      const text = h.slack.thread(memo.channel, memo.ts)[0]?.text ?? '';
      expect(text).not.toMatch(/\] /);
    });

    it('reads times from numbers and numeric strings; a missing or earlier `to` is the start; text is trimmed', async () => {
      const id = memo.trackingId;
      const seg = (from: unknown, to: unknown, text: string) => ({ tracking_id: id, from, to, text });
      expect((await answer(seg(0, 0, 'ở không'))).body).toMatchObject({ accepted: 1 });
      expect((await answer(seg(' 7 ', '8', '  khoảng trắng  '))).body).toMatchObject({ accepted: 1 });
      // (7, 8) again, written otherwise: the same segment.
      expect((await answer(seg(7, 8.0, 'lặp'))).body).toMatchObject({ accepted: 0, repeated: 1 });
      // `to` missing, not a time, or before `from`: the segment is (from, from).
      expect((await answer(seg(20, 15, 'ngược'))).body).toMatchObject({ accepted: 1 });
      for (const to of [undefined, 'x', -3, '20']) {
        expect((await answer(seg(20, to, 'lại'))).body, `to ${String(to)}`).toMatchObject({ accepted: 0, repeated: 1 });
      }
      // `to` equal to `from` is kept as it is.
      expect((await answer(seg(30, 30, 'bằng'))).body).toMatchObject({ accepted: 1 });
      expect((await answer(seg(30, undefined, 'bằng'))).body).toMatchObject({ repeated: 1 });
      await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('bằng'), 5000, 'the transcript');
      await h.app.pipeline.replies.idle();
      expect(h.slack.thread(memo.channel, memo.ts)[0].text).toBe(
        'Transcript of memo.wav · 0:04\n[0:00] ở không\n[0:07] khoảng trắng\n[0:20] ngược\n[0:30] bằng',
      );
    });
  });

  it('acknowledges Voice Insights callbacks and posts nothing', async () => {
    const h = await start();
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
    const h = await start();
    const memo = await uploadedMemo(h);
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
      'Transcript of memo.wav · 0:04\n[0:00] đoạn một\n[0:12] đoạn hai\n[1:15] đoạn ba\n[1:02:05] đoạn cuối',
    );
  });

  it('two segments starting at the same second are both shown, in order; a re-sent one is shown once', async () => {
    const h = await start();
    const memo = await uploadedMemo(h);
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
    await h.app.pipeline.replies.idle();
    expect(h.slack.thread(memo.channel, memo.ts)[0].text).toBe(
      'Transcript of memo.wav · 0:04\n[0:00] mở đầu\n[0:05] ngắn hơn\n[0:05] dài hơn',
    );
    expect(await h.metric(`transcriber_callbacks_total{outcome="repeated"}`)).toBe(1);
    expect(await h.metric(`transcriber_callbacks_total{outcome="accepted"}`)).toBe(3);
  });
});

describe('tracking_id refusals: each has its status code, and nothing is posted', () => {
  it('refuses a tracking_id the app did not issue, and posts nothing', async () => {
    const h = await start();
    const memo = await uploadedMemo(h);
    const tampered = memo.trackingId.replace('_C', '_D');
    const forgedSignature = memo.trackingId.slice(0, -1) + (memo.trackingId.endsWith('0') ? '1' : '0');
    const otherKey = signTrackingId(
      { workspace: WORKSPACE, channel: memo.channel, ts: memo.ts, fileId: 'F1' },
      Date.now() / 1000,
      'someone-elses-key',
    );
    for (const id of [tampered, forgedSignature, otherKey, 'T1_C1_1.1_F1_-_000000000000000000000000']) {
      const res = await h.callBack({ tracking_id: id, from: 0, to: 1, text: 'không phải của tôi' });
      expect(res.status).toBe(403);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.messages.some((m) => m.text.includes('không phải của tôi'))).toBe(false);
    expect(memo.trackingId).toContain(memo.channel);
    expect(memo.trackingId).toContain(memo.ts);
  });

  it('a tracking_id past the 7-day window is 403 though its job is on record; one just inside it is taken', async () => {
    const h = await start();
    const expired = await plantedMemo(h, { fileId: 'F0EXPIRED1', issuedAt: Date.now() / 1000 - 7 * DAY_S - 60 });
    const res = await h.callBack({ tracking_id: expired.id, from: 0, to: 1, text: 'quá hạn' });
    expect(res.status).toBe(403);
    await settle();
    expect(h.slack.thread(expired.ref.channel, expired.ref.ts)).toEqual([]);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_expired"}`)).toBe(1);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_unknown"}`)).toBe(0);

    // A minute inside the window: the transcript reaches its thread.
    const recent = await plantedMemo(h, {
      fileId: 'F0RECENT01',
      fileName: 'gần-hết-hạn.wav',
      issuedAt: Date.now() / 1000 - 7 * DAY_S + 60,
    });
    expect((await h.callBack({ tracking_id: recent.id, from: 0, to: 1, text: 'vẫn kịp' })).status).toBe(200);
    const reply = await waitFor(() => h.slack.thread(recent.ref.channel, recent.ref.ts)[0], 5000, 'the reply');
    await waitFor(() => reply.text.includes('vẫn kịp'), 5000, 'the text');
    expect(reply.text.split('\n')[0]).toBe('Transcript of gần-hết-hạn.wav');
  });

  it('the callback window is 7 days to the millisecond: taken at its last one, refused one later', async () => {
    const h = await start();
    const now = Math.floor(Date.now() / 1000) * 1000;
    const issuedAt = (now - 7 * DAY_MS) / 1000;
    const inside = await minted(h, 'F0EDGE0001', issuedAt);
    const outside = await minted(h, 'F0EDGE0002', issuedAt);

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
      { workspace: WORKSPACE, channel: memo.channel, ts: memo.ts, fileId: memo.file.id },
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
    await h.app.pipeline.replies.idle();
    expect(occurrences(h, memo.channel, memo.ts, 'cũ rồi')).toBe(0);
    expect(occurrences(h, memo.channel, memo.ts, 'thất bại')).toBe(0);
    expect(await h.metric(`transcriber_callbacks_total{outcome="refused_closed"}`)).toBe(3);
  });

  it.each([false, true])(
    'a signed tracking_id whose memo the app has no record of any more (deleted, past its retention) is 200 and dropped, not a store failure, and posts nothing (Redis: %s)',
    async (redis) => {
      const h = await start({ redis });
      const id = unrecorded(h, 'F0NOREC01');
      const res = await h.callBack(seg(id, 'không có hồ sơ'));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ ok: true, accepted: 0, dropped: 1, ignored: 0 });
      expect(h.logged('webhook: store unavailable')).toEqual([]);
      await settle();
      expect(h.slack.callsOf('chat.postMessage')).toEqual([]);
    },
  );

  it('a body whose every segment is refused gets 403 with the same words, whatever the reason', async () => {
    const h = await start();
    const res = await h.callBack(seg(UNKNOWN, 'không rõ'));
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ ok: false, error: 'unknown tracking_id' });
    expect(await h.metric('transcriber_callbacks_total{outcome="refused_unknown"}')).toBeGreaterThanOrEqual(1);
  });

  it('a body mixing refusals answers by the worst: unknown (403) before expired (403) before closed (409); one accepted segment makes it 200', async () => {
    const h = await start();
    h.omicall.answers.push({ kind: 'fail', error: 'file_invalid', http: 400 });
    const failedMemo = await uploadedOrFailed(h);
    const live = await uploadedMemo(h, { name: 'sống.wav' });
    const unknown = UNKNOWN;
    const expired = signTrackingId(
      { workspace: WORKSPACE, channel: 'C0SALES01', ts: h.slack.nextTs(), fileId: 'F0EXP' },
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

  it('one taken segment and one over the cap, beside a refused one, is 200 with each counted', async () => {
    const h = await start();
    const { id } = await minted(h, 'F0MIXCAP1');
    const res = await h.callBack([seg(id, 'được nhận'), seg(id, 'x'.repeat(5001), 2), seg(UNKNOWN, 'không rõ')]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, accepted: 1, repeated: 0, capped: 1, refused: 1, ignored: 0 });
  });

  it('one taken segment and the same one again, beside a refused one, is 200 with each counted', async () => {
    const h = await start();
    const { id } = await minted(h, 'F0MIXREP1');
    const res = await h.callBack([seg(id, 'hai lần'), seg(id, 'hai lần'), seg(UNKNOWN, 'không rõ')]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, accepted: 1, repeated: 1, capped: 0, refused: 1, ignored: 0 });
  });
});

describe('caps, at their edges (docs/architecture.md: 2,000 segments a body, 5,000 characters a segment, 400,000 a job)', () => {
  it('a body of 2,001 segments is 413 and shows nothing; 2,000 are taken', async () => {
    const h = await start();
    const memo = await uploadedMemo(h);
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
    const memo = await uploadedMemo(h);
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
    const h = await start({ overrides: POSTS_AT_ONCE });
    const memo = await uploadedMemo(h);
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
    await h.app.pipeline.replies.idle();
    for (const dropped of ['Qxxx', 'Pxxx', '] Z']) expect(occurrences(h, memo.channel, memo.ts, dropped)).toBe(0);
  }, 30_000);

  it('segments all over the caps change nothing: no state, no reply, a warning; a taken one then starts receiving', async () => {
    const h = await start();
    const receiving = 'transcriber_jobs_total{state="receiving"}';
    const before = await h.metric(receiving);
    const warnings = h.logged('webhook: segments over the caps dropped').length;
    const { ref, id } = await minted(h, 'F0CAPPED01');

    const capped = await h.callBack(seg(id, 'y'.repeat(5001)));
    expect(capped.status).toBe(200);
    expect(JSON.parse(capped.body)).toMatchObject({ ok: true, accepted: 0, capped: 1 });
    await h.app.pipeline.replies.idle();
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
});

describe('a segment is stored before the webhook answers 200', () => {
  it('Redis cut while a callback arrives: 503, nothing shown; the same body re-sent once Redis is back shows once', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const h = await start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
    const memo = await uploadedMemo(h);
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
    await h.app.pipeline.replies.idle();
    expect(occurrences(h, memo.channel, memo.ts, 'không được mất')).toBe(1);
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
  }, 30_000);

  it('Redis gone while a callback arrives: 503 "try again", counted as store_unavailable, logged as an error', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    const h = await Harness.start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
    try {
      const { id } = await minted(h, 'F0GONE001');
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

describe('what an operator reads about each callback', () => {
  it('malformed, ignored, accepted and repeated callbacks are counted apart and logged with their tracking id', async () => {
    const h = await start();
    const memo = await uploadedMemo(h);
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
