/**
 * OMICall's answers to an upload: its envelope, what is retried and after what back-off, what the thread says when
 * OMICall refuses or cannot be reached, and asking again.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { failureReply } from './helpers/memos.ts';
import { postCommand, postShortcut } from './helpers/slack-requests.ts';
import type { UploadAnswer } from './stand-ins/omicall.ts';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

const CHANNEL = 'C0SALES01';

function wav(app: Harness, name = 'memo.wav') {
  return app.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
}

const replyOf = (app: Harness, channel: string, ts: string) => app.slack.thread(channel, ts)[0]?.text ?? '';

/** The gaps between the upload attempts as they arrived at OMICall. */
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

const SENT = /was sent to OMICall/;

const http = (status: number, body?: string): UploadAnswer => ({ kind: 'http', status, body });

describe("OMICall's answer to an upload", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start({ timings: { retryDelaysMs: [30] } });
  });
  afterAll(async () => {
    await h.stop();
  });

  /** Shares a memo with OMICall answering `answers`; what its thread then says, and how many attempts it took. */
  async function outcome(...answers: UploadAnswer[]) {
    h.omicall.answers.push(...answers);
    const before = h.omicall.attempts;
    const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { channel, ts } = await h.share([file]);
    const text = await waitFor(
      () => {
        const t = h.slack.thread(channel, ts)[0]?.text ?? '';
        return /was sent to OMICall|Could not transcribe/.test(t) ? t : undefined;
      },
      8000,
      'the outcome',
    );
    return { text, attempts: h.omicall.attempts - before };
  }

  it.each([
    ['an empty 200', http(200, '')],
    ['a 200 that is not JSON', http(200, 'OK')],
    ['a 200 with JSON null', http(200, 'null')],
    ['a 200 envelope of 9999', http(200, '{"status_code":9999,"payload":"queued"}')],
    ['a 299', http(299, '')],
  ])('%s is success, sent once', async (_, answer) => {
    const { text, attempts } = await outcome(answer);
    expect(text).toMatch(SENT);
    expect(attempts).toBe(1);
  });

  it.each([
    ['-9999 without an error name', http(200, '{"status_code":-9999,"payload":{}}'), 'unknown_error'],
    [
      '-9999 with an error that is not text',
      http(200, '{"status_code":-9999,"payload":{"error":42}}'),
      'unknown_error',
    ],
    ['-9999 as a string', http(200, '{"status_code":"-9999","payload":{"error":"quota_exceeded"}}'), 'quota_exceeded'],
    ['-9999 with a payload that is not an object', http(200, '{"status_code":-9999,"payload":"x"}'), 'unknown_error'],
    ['-9999 with a null payload', http(200, '{"status_code":-9999,"payload":null}'), 'unknown_error'],
    ['-9999 alone', http(200, '{"status_code":-9999}'), 'unknown_error'],
    ['a 300', http(300, ''), 'http_300'],
    ['a 404 page', http(404), 'http_404'],
    ['a 499', http(499, ''), 'http_499'],
    [
      'a 400 envelope naming its error',
      http(400, '{"status_code":-9999,"payload":{"error":"file_invalid"}}'),
      'file_invalid',
    ],
  ])('%s is refused at once, named in the thread', async (_, answer, name) => {
    const { text, attempts } = await outcome(answer);
    expect(text).toContain(`OMICall refused the audio (\`${name}\`)`);
    expect(attempts).toBe(1);
  });

  it.each([
    ['408', http(408, '')],
    ['429', http(429, '')],
    ['500', http(500, '')],
    ['599', http(599, '')],
  ])('a %s is tried again', async (_, answer) => {
    const { text, attempts } = await outcome(answer);
    expect(text).toMatch(SENT);
    expect(attempts).toBe(2);
  });

  it('an outage that names its error in the envelope is named when it lasts', async () => {
    const busy: UploadAnswer = { kind: 'fail', error: 'server_busy', http: 503 };
    const { text, attempts } = await outcome(busy, busy);
    expect(text).toContain('OMICall could not be reached after 2 attempts (`server_busy`)');
    expect(attempts).toBe(2);
    const bare = await outcome(http(502, ''), http(502, ''));
    expect(bare.text).toContain('after 2 attempts (`http_502`)');
  });
});

describe('retries after an outage', () => {
  it.each([
    ['the in-memory queue', false],
    ['the Redis queue (BullMQ)', true],
  ])(
    'with %s: 500, then 503, then accepted; attempts arrive at least the configured back-off apart',
    async (_, redis) => {
      const delays = [300, 600];
      const app = await start({ redis, timings: { retryDelaysMs: delays } });
      app.omicall.answers.push({ kind: 'http', status: 500 }, { kind: 'http', status: 503 });
      const { channel, ts } = await app.share([wav(app)]);
      const upload = await waitFor(() => app.omicall.uploads[0], 10_000, 'the accepted upload');
      expect(app.omicall.attempts).toBe(3);
      const [first, second] = gaps(app.omicall.attemptTimes);
      expect(first).toBeGreaterThanOrEqual(delays[0] - 20);
      expect(first).toBeLessThan(delays[0] + 2500);
      expect(second).toBeGreaterThanOrEqual(delays[1] - 20);
      expect(second).toBeLessThan(delays[1] + 2500);
      await waitFor(() => replyOf(app, channel, ts).includes('was sent to OMICall'), 5000, 'sent');

      await app.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'sau ba lần' });
      await waitFor(() => replyOf(app, channel, ts).includes('sau ba lần'), 5000, 'the transcript');
      expect(app.slack.thread(channel, ts)).toHaveLength(1);
    },
    30_000,
  );

  it('waits the documented 2 s before the second attempt by default', async () => {
    const app = await start({ timings: { retryDelaysMs: [2000, 8000, 20000] } });
    app.omicall.answers.push({ kind: 'http', status: 500 });
    await app.share([wav(app)]);
    await waitFor(() => app.omicall.uploads[0], 10_000, 'the accepted upload');
    const [gap] = gaps(app.omicall.attemptTimes);
    expect(gap).toBeGreaterThanOrEqual(2000 - 20);
    expect(gap).toBeLessThan(2000 + 2500);
  }, 20_000);

  it.each([
    [[50, 100, 150], 4],
    [[100], 2],
  ])(
    'with back-off %j, every attempt failing: the thread says after %i attempts it could not reach OMICall',
    async (delays, attempts) => {
      const app = await start({ timings: { retryDelaysMs: delays } });
      const failing: UploadAnswer[] = Array.from({ length: 6 }, () => ({ kind: 'http', status: 500 }));
      app.omicall.answers.push(...failing);
      const { channel, ts } = await app.share([wav(app)]);
      const reply = await waitFor(
        () => app.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
        10_000,
        'the failure',
      );
      expect(reply.text).toBe(
        `Could not transcribe memo.wav: OMICall could not be reached after ${attempts} attempts (\`http_500\`). Try again later with the Transcribe shortcut.`,
      );
      await waitFor(() => app.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'the warning reaction');
      await new Promise((r) => setTimeout(r, 400));
      expect(app.omicall.attempts).toBe(attempts);
      expect(app.slack.thread(channel, ts)).toHaveLength(1);
      expect(replyOf(app, channel, ts)).not.toMatch(/Transcribing|in line|was sent/);
    },
    20_000,
  );

  it('retries a timeout and a reset connection', async () => {
    const h = await start({ timings: { providerTimeoutMs: 300 } });
    h.omicall.answers.push({ kind: 'hang', ms: 1500 }, { kind: 'reset' });
    await h.share([wav(h)]);
    await waitFor(() => h.omicall.uploads[0]);
    expect(h.omicall.attempts).toBe(3);
  });

  it('gives up after a few attempts when OMICall cannot be reached, and says so in the thread', async () => {
    const h = await start({ env: { OMICALL_API_URL: 'http://127.0.0.1:9/api/ai' } });
    const { channel, ts } = await h.share([wav(h)]);
    const reply = await failureReply(h, channel, ts);
    expect(reply.text).toMatch(/OMICall could not be reached after 4 attempts \(`connection_refused`/);
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'warning reaction');
  });

  it.each([
    [
      { kind: 'fail', error: 'api_key_invalid', message: 'API key is invalid' },
      /OMICall refused the audio \(`api_key_invalid`\)/,
    ],
    [{ kind: 'fail', error: 'data_is_required', http: 400 }, /OMICall refused the audio \(`data_is_required`\)/],
    [{ kind: 'http', status: 413 }, /OMICall refused the audio \(`http_413`\)/],
  ] as const)('does not retry a refusal (%o) and names it in the thread', async (answer, words) => {
    const h = await start();
    h.omicall.answers.push(answer);
    const { channel, ts } = await h.share([wav(h)]);
    const reply = await failureReply(h, channel, ts);
    expect(reply.text).toMatch(words);
    expect(h.omicall.attempts).toBe(1);
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'warning reaction');
  });
});

describe('asking again after OMICall refused the file', () => {
  async function refused(app: Harness, name: string) {
    app.omicall.answers.push({ kind: 'fail', error: 'file_invalid', message: 'File is invalid', http: 400 });
    const file = wav(app, name);
    const { channel, ts } = await app.share([file]);
    await waitFor(
      () => replyOf(app, channel, ts).includes('OMICall refused the audio (`file_invalid`)'),
      8000,
      'the refusal in the thread',
    );
    const first = app.omicall.attemptTimes.length;
    expect(first).toBeGreaterThan(0);
    await waitFor(() => app.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'the warning reaction');
    return { channel, ts, file };
  }

  /** The accepted upload of this memo, after asking again: a new tracking id, and the transcript lands. */
  async function transcribedAgain(app: Harness, memo: { channel: string; ts: string }, text: string) {
    const upload = await waitFor(
      () => app.omicall.uploads.find((u) => u.trackingId?.includes(memo.ts)),
      8000,
      'the new upload',
    );
    const refusedId = app.logs
      .map((l) => JSON.parse(l) as { msg: string; trackingId?: string })
      .find((l) => l.msg === 'received' && l.trackingId?.includes(memo.ts))?.trackingId;
    expect(refusedId).toBeDefined();
    expect(upload.trackingId).not.toBe(refusedId);
    expect((await app.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text })).status).toBe(200);
    await waitFor(() => replyOf(app, memo.channel, memo.ts).includes(text), 5000, 'the transcript');
    expect(app.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
    await waitFor(() => app.slack.reactionsOn(memo.channel, memo.ts).join() === 'memo', 3000, 'the memo reaction');
  }

  it('with the Transcribe shortcut: a new upload, a new tracking id, the transcript in the same reply', async () => {
    const app = await start();
    const memo = await refused(app, 'từ-chối.wav');
    const res = await postShortcut(app.url, { ...memo, files: [memo.file], responseUrl: `${app.slack.url}/respond/a` });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => app.slack.responses.find((r) => r.path.endsWith('/respond/a')));
    expect(answer.body.text).toMatch(/^Transcribing/);
    await transcribedAgain(app, memo, 'lần này được');
    expect(app.omicall.attempts).toBe(2);
  });

  it('with /transcribe: the refused memo counts as one without a transcript', async () => {
    const app = await start();
    const memo = await refused(app, 'lệnh.wav');
    const res = await postCommand(app.url, {
      text: '',
      channel_id: CHANNEL,
      response_url: `${app.slack.url}/respond/b`,
    });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => app.slack.responses.find((r) => r.path.endsWith('/respond/b')));
    expect(answer.body.text).toContain(`p${memo.ts.replace('.', '')}`);
    await transcribedAgain(app, memo, 'lệnh đã chạy');
  });
});
