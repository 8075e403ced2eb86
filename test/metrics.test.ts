/** GET /metrics: what it counts, in Prometheus' format, behind its token, with nothing secret in it. */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
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
    // OMICall's answer reached the job (waiting) before its text does: each state is counted once.
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('was sent to OMICall'), 5000, 'sent');
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'đo đếm' });
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('đo đếm'));
    await h.app.pipeline.replies.idle();

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
      'transcriber_queue_jobs{state="ready"} 0',
      'transcriber_queue_jobs{state="active"} 0',
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
