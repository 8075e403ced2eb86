import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { Harness, REDIS_URL, waitFor } from './helpers/harness.ts';
import { fileShareEvent, postEvent, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';
import { API_KEY } from './stand-ins/omicall.ts';
import { BOT_TOKEN } from './stand-ins/slack.ts';

describe('GET /metrics', () => {
  let h: Harness;
  afterEach(() => h.stop());

  it("counts jobs by state, the queue, relays, OMICall's answers and callbacks, in Prometheus' format, with nothing secret", async () => {
    h = await Harness.start({ env: { METRICS_TOKEN: 'metrics-token-1234' } });
    const { channel, ts } = await h.share([
      h.slack.addFile({ name: 'm.wav', mimetype: 'audio/wav', path: speech('wav') }),
    ]);
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'đo đếm' });
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('đo đếm'));
    await h.app.replies.idle();

    expect((await request(`${h.url}/metrics`)).statusCode).toBe(401);
    const res = await request(`${h.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-1234' } });
    expect(res.statusCode).toBe(200);
    expect(String(res.headers['content-type'])).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.body.text();
    for (const line of [
      'transcriber_jobs_total{state="queued"} 1',
      'transcriber_jobs_total{state="sending"} 1',
      'transcriber_jobs_total{state="waiting"} 1',
      'transcriber_jobs_total{state="receiving"} 1',
      'transcriber_provider_answers_total{provider="OMICall",answer="ok"} 1',
      'transcriber_callbacks_total{outcome="accepted"} 1',
      'transcriber_queue_jobs{state="completed"} 1',
      'transcriber_relay_duration_seconds_count{outcome="accepted"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/transcriber_callback_to_update_seconds_count [1-9]/);
    expect(text).toMatch(/transcriber_process_resident_memory_bytes \d+/);
    for (const secret of [
      BOT_TOKEN,
      SIGNING_SECRET,
      API_KEY,
      h.config.webhookSecret,
      upload.trackingId ?? '',
      channel,
      ts,
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('web and worker processes apart (ROLE)', () => {
  let standIns: StandIns;
  const running: AppProcess[] = [];
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(async () => {
    await Promise.all(running.map((p) => p.kill('SIGTERM')));
    await standIns.close();
  });

  it('the web process takes Slack and OMICall; the worker relays; neither needs the other to be the same process', async () => {
    const env = { REDIS_URL, REDIS_PREFIX: `test-roles-${randomUUID()}:` };
    const web = await startAppProcess(standIns, { ...env, ROLE: 'web' });
    const worker = await startAppProcess(standIns, { ...env, ROLE: 'worker' });
    running.push(web, worker);
    const { slack, omicall } = standIns;
    const file = slack.addFile({ name: 'roles.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = slack.nextTs();
    expect((await postEvent(web.url, fileShareEvent({ channel: 'C0ROLES01', ts, files: [file] }))).status).toBe(200);
    const upload = await waitFor(() => omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);
    await waitFor(() => worker.logs().some((l) => l.msg === 'uploaded'), 5000, "the worker's upload");
    expect(web.logs().some((l) => l.msg === 'downloaded')).toBe(false);

    await omicall.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'tách vai trò' }, web.webhookUrl);
    await waitFor(() => slack.thread('C0ROLES01', ts)[0]?.text.includes('tách vai trò'), 5000, 'the transcript');

    // A worker takes no Slack requests and no callbacks; it still answers /healthz.
    expect(
      (await postEvent(worker.url, fileShareEvent({ channel: 'C0ROLES01', ts: slack.nextTs(), files: [file] }))).status,
    ).toBe(404);
    expect((await request(`${worker.url}/healthz`)).statusCode).toBe(200);
  }, 40_000);

  it('refuses ROLE=web or worker without Redis, naming both', async () => {
    await expect(startAppProcess(standIns, { ROLE: 'worker' })).rejects.toThrow(/ROLE=worker needs REDIS_URL/);
  });
});
