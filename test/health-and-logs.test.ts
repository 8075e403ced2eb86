import { spawn } from 'node:child_process';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.ts';
import { speech } from './helpers/audio.ts';
import { Harness, REDIS_URL, waitFor } from './helpers/harness.ts';
import { freePort, mutantEnv, runNode } from './helpers/process.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';
import { startStandIns } from './stand-ins/index.ts';
import { API_KEY } from './stand-ins/omicall.ts';
import { BOT_TOKEN } from './stand-ins/slack.ts';

let h: Harness | undefined;
let cut: (() => Promise<void>) | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  await cut?.();
  cut = undefined;
});

async function health(url: string) {
  const res = await request(`${url}/healthz`);
  return { status: res.statusCode, body: await res.body.text() };
}

describe('GET /healthz', () => {
  it('is 200 while the store answers and 503 once Redis is gone, with no secret in it', async () => {
    // The tests' real Redis, behind a proxy the test cuts as if Redis died.
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    cut = () => proxy.cut();
    const port = proxy.port;
    h = await Harness.start({ env: { REDIS_URL: `redis://127.0.0.1:${port}${target.pathname}` } });
    const up = await health(h.url);
    expect(up.status).toBe(200);
    expect(JSON.parse(up.body)).toEqual({ ok: true, store: 'ok' });
    await proxy.cut();
    const app = h;
    await waitFor(async () => (await health(app.url)).status === 503, 5000, '503');
    const down = await health(h.url);
    expect(JSON.parse(down.body)).toEqual({ ok: false, store: 'unreachable' });
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, API_KEY, h.config.webhookSecret, String(port)])
      expect(down.body + up.body).not.toContain(secret);
    // With Redis away, the queue waits for it: no loop of errors (one once spun 3 million times in 20 s and
    // starved the process), and the app keeps answering.
    const before = app.logs.length;
    await new Promise((r) => setTimeout(r, 3000));
    expect(app.logs.length - before).toBeLessThan(20);
    expect((await health(app.url)).status).toBe(503);
  });
});

describe('logs', () => {
  it('one structured line per job step, with the tracking id, and no token or secret', async () => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { channel, ts } = await h.share([file]);
    const upload = await waitFor(() => app.omicall.uploads[0]);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xin chào' });
    await waitFor(() => app.slack.thread(channel, ts)[0]?.text.includes('xin chào'));
    const lines = h.logs.map((l) => JSON.parse(l) as { msg: string; trackingId?: string; level: string; time: string });
    const steps = lines.filter((l) => l.trackingId === upload.trackingId).map((l) => l.msg);
    for (const step of ['received', 'downloaded', 'uploaded', 'segment', 'posted']) expect(steps).toContain(step);
    expect(steps.indexOf('received')).toBeLessThan(steps.indexOf('uploaded'));

    h.omicall.answers.push({ kind: 'fail', error: 'api_key_invalid' });
    const second = await h.share([h.slack.addFile({ name: 'b.wav', mimetype: 'audio/wav', path: speech('wav') })]);
    await waitFor(() => app.logs.some((l) => l.includes('"msg":"failed"') && l.includes(second.ts)));
    const all = h.logs.join('\n');
    for (const secret of [BOT_TOKEN, SIGNING_SECRET, API_KEY, h.config.webhookSecret])
      expect(all).not.toContain(secret);
  });

  it('are readable lines in development, filtered by level, and scrub secrets wherever they appear', () => {
    const out: string[] = [];
    const log = createLogger({ level: 'info', format: 'pretty', secrets: ['s3cr3t-value'], write: (l) => out.push(l) });
    log.debug('hidden');
    log.info('uploaded', { trackingId: 'C1_1.1_F1_-_abc', note: 'token xoxb-123-456-abc and s3cr3t-value' });
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} INFO {2}uploaded {2}trackingId=C1_1.1_F1_-_abc note=token \[redacted\] and \[redacted\]$/,
    );
  });
});

describe('start-up', () => {
  it('a refused webhook registration is one clear error line, and the app still serves', async () => {
    const { slack, omicall, close } = await startStandIns();
    const port = await freePort();
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
      expect((await health(`http://127.0.0.1:${port}`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
      await close();
    }
  });

  it('an unreachable Redis stops the start with a clear line', async () => {
    const run = await runNode(['src/index.ts'], {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      OMICALL_API_KEY: API_KEY,
      REDIS_URL: 'redis://127.0.0.1:9',
      PORT: '0',
    });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/could not start.*Redis does not answer/);
  });
});

describe('npm run sandbox', () => {
  it('shows a real memo transcribed into its thread, and says the text comes from the stand-in', async () => {
    const run = await runNode(['sandbox/run.ts'], {}, 60_000);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('the transcript below comes from the OMICall stand-in');
    expect(run.stdout).toMatch(/OMICall \(stand-in\) received F\w+\.m4a/);
    expect(run.stdout).toMatch(/│ \[0:0\d\] Chào cả nhà, mình vừa gặp khách hàng xong\./);
    expect(run.stdout).toContain('reactions: :white_check_mark:');
  });
});
