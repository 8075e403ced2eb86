import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { REDIS_URL, waitFor } from './helpers/harness.ts';
import { freePort, mutantEnv } from './helpers/process.ts';
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
      REDIS_PREFIX: `test-shutdown-${port}:`,
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
