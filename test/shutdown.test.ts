/**
 * Stopping: a SIGTERM drains the real process and it exits 0, and what is still in flight at the deadline waits in the
 * queue for the next process.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { repliedMemo, threadText } from './helpers/memos.ts';
import { freePort, mutantEnv } from './helpers/process.ts';
import { REDIS_URL, testPrefix } from './helpers/redis.ts';
import { fileShareEvent, postEvent, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';
import { API_KEY, type OmicallStandIn } from './stand-ins/omicall.ts';
import { BOT_TOKEN, type SlackStandIn } from './stand-ins/slack.ts';

let standIns: StandIns;
let slack: SlackStandIn;
let omicall: OmicallStandIn;
beforeAll(async () => {
  standIns = await startStandIns();
  ({ slack, omicall } = standIns);
});
afterAll(() => standIns.close());
afterEach(() => {
  omicall.uploadDelayMs = 0;
});

/** The real app in a process of its own, as the Procfile starts it, listening and pointed at the stand-ins. */
async function startAppProcess() {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/index.ts'], {
    env: {
      PATH: process.env.PATH,
      ...mutantEnv(),
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      OMICALL_API_KEY: API_KEY,
      SLACK_API_URL: slack.apiUrl,
      OMICALL_API_URL: omicall.apiUrl,
      PORT: String(port),
      REDIS_URL,
      REDIS_PREFIX: testPrefix('test-shutdown'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const app = {
    child,
    url: `http://127.0.0.1:${port}`,
    output: '',
    exited: new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    ),
  };
  child.stdout.on('data', (d) => (app.output += d));
  child.stderr.on('data', (d) => (app.output += d));
  await waitFor(() => app.output.includes('"listening"'), 15_000, 'the app to listen');
  return app;
}

/** Shares a memo whose upload to OMICall takes 2 s, and waits until the upload is under way. */
async function uploadInFlight(url: string) {
  omicall.uploadDelayMs = 2000;
  const file = slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const ts = slack.nextTs();
  expect((await postEvent(url, fileShareEvent({ channel: 'C0SALES01', ts, files: [file] }))).status).toBe(200);
  await waitFor(() => omicall.inFlight > 0, 5000, 'upload in flight');
  return { file, ts };
}

it('on SIGTERM the real process stops taking work, finishes the upload in flight, closes Redis and exits 0 within 25 s', async () => {
  const app = await startAppProcess();
  const { file, ts } = await uploadInFlight(app.url);

  const signalled = Date.now();
  app.child.kill('SIGTERM');
  await waitFor(() => app.output.includes('shutting down'), 5000, 'shutdown to begin');
  const late = await postEvent(
    app.url,
    fileShareEvent({ channel: 'C0SALES01', ts: slack.nextTs(), files: [file] }),
  ).catch((err: Error) => err);
  expect(late instanceof Error || late.status !== 200).toBe(true);

  expect(await app.exited).toEqual({ code: 0, signal: null });
  expect(Date.now() - signalled).toBeLessThan(25_000);
  expect(omicall.uploads.filter((u) => u.trackingId?.includes(ts))).toHaveLength(1);
  expect(slack.thread('C0SALES01', ts).at(-1)?.text).toContain('was sent to OMICall');
  expect(app.output).toContain('"stopped"');
}, 40_000);

it('a second SIGTERM (and a SIGINT) during the drain is ignored: the upload in flight still finishes, exit 0', async () => {
  // Heroku documents that a process being shut down may receive SIGTERM more than once.
  const app = await startAppProcess();
  const uploadsBefore = omicall.uploads.length;
  const { ts } = await uploadInFlight(app.url);

  app.child.kill('SIGTERM');
  await waitFor(() => app.output.includes('shutting down'), 5000, 'shutdown to begin');
  app.child.kill('SIGTERM');
  await waitFor(() => app.output.includes('signal ignored'), 5000, 'the second SIGTERM to be logged');
  app.child.kill('SIGINT');
  await waitFor(() => app.output.split('signal ignored').length === 3, 5000, 'the SIGINT to be logged');
  expect(omicall.inFlight).toBeGreaterThan(0);

  expect(await app.exited).toEqual({ code: 0, signal: null });
  expect(omicall.uploads.slice(uploadsBefore).map((u) => u.trackingId)).toEqual([expect.stringContaining(ts)]);
  expect(slack.thread('C0SALES01', ts).at(-1)?.text).toContain('was sent to OMICall');
  expect(app.output.match(/"shutting down"/g)).toHaveLength(1);
  expect(app.output).toMatch(/"already shutting down: signal ignored".*"signal":"SIGTERM","first":"SIGTERM"/);
  expect(app.output).toContain('"stopped"');
}, 40_000);

describe('the app in this process', () => {
  const started: Harness[] = [];
  afterEach(async () => {
    for (const h of started.splice(0).reverse()) await h.stop();
  });

  /** The app on its own stand-ins, stopped after the test. */
  async function startHarness(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
    const h = await Harness.start(options);
    started.push(h);
    return h;
  }
  const wav = (h: Harness, name = 'memo.wav') =>
    h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });

  describe('stopping with work unfinished', () => {
    it('puts a file still in flight at the deadline back in line: the next process relays it, in the same reply', async () => {
      const h = await startHarness({ timings: { drainMs: 300 } });
      h.omicall.uploadDelayMs = 5000;
      const { channel, ts } = await h.share([wav(h)]);
      await waitFor(() => h.omicall.inFlight > 0);
      await h.app.stop();
      expect(h.omicall.uploads).toEqual([]);
      expect(h.slack.thread(channel, ts).at(-1)?.text).toMatch(/is in line to be transcribed/);

      h.omicall.uploadDelayMs = 0;
      const next = await startHarness({ with: h });
      await waitFor(() => next.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'the upload');
      await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('was sent to OMICall'), 5000, 'the reply');
      expect(h.slack.thread(channel, ts)).toHaveLength(1);
    });
  });

  it('a memo shared while the app is stopping is told to be asked again', async () => {
    const h = await startHarness();
    h.app.pipeline.intake.stop();
    const { channel, ts } = await h.share([wav(h, 'late.wav')]);
    const notice = await waitFor(() => h.slack.thread(channel, ts)[0]);
    expect(notice.text).toMatch(/restarting when \*late\.wav\* was shared.*Transcribe/);
    expect(h.omicall.attempts).toBe(0);
  });

  describe('stopping while a reply is being written', () => {
    it('the app waits for the write in flight before it stops: the reply is in the thread when stop returns', async () => {
      const h = await startHarness();
      const memo = await repliedMemo(h);
      h.slack.delays.set('chat.update', 800);
      const edits = h.slack.callsOf('chat.update').length;
      await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'lời cuối trước khi dừng' });
      await waitFor(() => h.slack.callsOf('chat.update').length > edits, 5000, 'the edit in flight');

      await h.app.stop();
      expect(threadText(h, memo.channel, memo.ts)).toContain('lời cuối trước khi dừng');
    });

    it('with two replies in flight, it waits for the slower one too', async () => {
      const h = await startHarness();
      const first = await repliedMemo(h);
      // The second memo's first reply takes Slack 1.5 s; the first memo's edit 0.2 s.
      h.slack.delays.set('chat.postMessage', 1500);
      h.slack.delays.set('chat.update', 200);
      const posts = h.slack.callsOf('chat.postMessage').length;
      const file = h.slack.addFile({ name: 'sau.wav', mimetype: 'audio/wav', path: speech('wav') });
      const second = await h.share([file]);
      await waitFor(() => h.slack.callsOf('chat.postMessage').length > posts, 5000, 'the second reply in flight');
      await h.callBack({ tracking_id: first.trackingId, from: 0, to: 3, text: 'đoạn nhanh' });
      await waitFor(() => threadText(h, first.channel, first.ts).includes('đoạn nhanh'), 5000, 'the quick edit');

      await h.app.stop();
      expect(h.slack.thread(second.channel, second.ts)).toHaveLength(1);
    });
  });
});
