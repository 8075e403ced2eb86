import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { REDIS_URL, waitFor } from './helpers/harness.ts';
import { freePort } from './helpers/process.ts';
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

it('on SIGTERM the real process stops taking work, finishes the upload in flight, closes Redis and exits 0 within 25 s', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/index.ts'], {
    env: {
      PATH: process.env.PATH,
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
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(() => output.includes('"listening"'), 15_000, 'the app to listen');

  omicall.uploadDelayMs = 2000;
  const file = slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const ts = slack.nextTs();
  expect((await postEvent(url, fileShareEvent({ channel: 'C0SALES01', ts, files: [file] }))).status).toBe(200);
  await waitFor(() => omicall.inFlight > 0, 5000, 'upload in flight');

  const signalled = Date.now();
  child.kill('SIGTERM');
  await waitFor(() => output.includes('shutting down'), 5000, 'shutdown to begin');
  const late = await postEvent(url, fileShareEvent({ channel: 'C0SALES01', ts: slack.nextTs(), files: [file] })).catch(
    (err: Error) => err,
  );
  expect(late instanceof Error || late.status !== 200).toBe(true);

  expect(await exited).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(25_000);
  expect(omicall.uploads.map((u) => u.trackingId)).toEqual([expect.stringContaining(ts)]);
  expect(slack.thread('C0SALES01', ts).at(-1)?.text).toContain('was sent to OMICall');
  expect(output).toContain('"stopped"');
}, 40_000);
