import { afterEach, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand, postShortcut } from './helpers/slack-requests.ts';
import type { UploadAnswer } from './stand-ins/omicall.ts';

/**
 * The provider client's retries and asking again (README, "Reliability"): OMICall's outages are retried after
 * the configured back-off, measured between the attempts arriving at OMICall; after the last attempt the thread
 * says so in plain words; a refusal is not retried, and the memo can then be asked for again.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const CHANNEL = 'C0SALES01';

function wav(app: Harness, name = 'memo.wav') {
  return app.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
}

const replyOf = (app: Harness, channel: string, ts: string) => app.slack.thread(channel, ts)[0]?.text ?? '';

/** The gaps between the upload attempts as they arrived at OMICall. */
const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

describe('retries after an outage', () => {
  it.each([
    ['the in-memory queue', false],
    ['the Redis queue (BullMQ)', true],
  ])(
    'with %s: 500, then 503, then accepted; attempts arrive at least the configured back-off apart',
    async (_, redis) => {
      const delays = [300, 600];
      h = await Harness.start({ redis, tuning: { retryDelaysMs: delays } });
      const app = h;
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
    h = await Harness.start({ tuning: { retryDelaysMs: undefined } });
    const app = h;
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
      h = await Harness.start({ tuning: { retryDelaysMs: delays } });
      const app = h;
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
    h = await Harness.start();
    const app = h;
    const memo = await refused(app, 'từ-chối.wav');
    const res = await postShortcut(app.url, { ...memo, files: [memo.file], responseUrl: `${app.slack.url}/respond/a` });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => app.slack.responses.find((r) => r.path.endsWith('/respond/a')));
    expect(answer.body.text).toMatch(/^Transcribing/);
    await transcribedAgain(app, memo, 'lần này được');
    expect(app.omicall.attempts).toBe(2);
  });

  it('with /transcribe: the refused memo counts as one without a transcript', async () => {
    h = await Harness.start();
    const app = h;
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
