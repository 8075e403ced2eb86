/**
 * GET /healthz: what it answers while the store is up, hangs or is gone, while the app stops, and to the doctor's
 * proof.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { healthProof, healthProofKey, PING_TIMEOUT_MS } from '../src/http/health.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';
import { API_KEY } from './stand-ins/omicall.ts';
import { BOT_TOKEN } from './stand-ins/slack.ts';

const started: Harness[] = [];
const proxies: TcpProxy[] = [];
afterEach(async () => {
  for (const p of proxies) p.thaw();
  for (const h of started.splice(0).reverse()) await h.stop();
  for (const p of proxies.splice(0)) await p.cut().catch(() => {});
});

async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

async function health(url: string) {
  const res = await request(`${url}/healthz`);
  return { status: res.statusCode, body: await res.body.text() };
}

describe('GET /healthz', () => {
  it('is 200 while the store answers and 503 once Redis is gone, with no secret in it', async () => {
    // The tests' real Redis, behind a proxy the test cuts as if Redis died.
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const port = proxy.port;
    const h = await start({ env: { REDIS_URL: `redis://127.0.0.1:${port}${target.pathname}` } });
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

  async function behindProxy() {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const h = await start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
    return { h, proxy };
  }

  it('answers 503 within its ping time-out when Redis hangs, and 200 again once it answers', async () => {
    const { h, proxy } = await behindProxy();
    expect((await request(`${h.url}/healthz`)).statusCode).toBe(200);
    proxy.freeze();
    const asked = Date.now();
    const res = await request(`${h.url}/healthz`, { headersTimeout: PING_TIMEOUT_MS * 3 });
    const took = Date.now() - asked;
    expect(res.statusCode).toBe(503);
    expect(await res.body.json()).toEqual({ ok: false, store: 'unreachable' });
    expect(took).toBeGreaterThanOrEqual(PING_TIMEOUT_MS - 50);
    expect(took).toBeLessThan(PING_TIMEOUT_MS + 1500);
    proxy.thaw();
    await waitFor(async () => (await request(`${h.url}/healthz`)).statusCode === 200, 5000, '200 again');
  });

  it('a stopping instance is never reported healthy: probes are refused at once while its drain goes on', async () => {
    const h = await start({ timings: { drainMs: 10_000 } });
    h.omicall.uploadDelayMs = 1500;
    const file = h.slack.addFile({ name: 'cuối.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { ts } = await h.share([file]);
    await waitFor(() => h.omicall.inFlight > 0, 5000, 'an upload in flight');
    const url = h.url;
    const stopped = h.app.stop();
    const probe = await request(`${url}/healthz`).then(
      (res) => `HTTP ${res.statusCode}`,
      (err: { code?: string }) => err.code,
    );
    expect(probe).toBe('ECONNREFUSED');
    // The drain still finishes the upload that was in flight.
    await stopped;
    expect(h.omicall.uploads.some((u) => u.trackingId?.includes(ts))).toBe(true);
  });
});

describe("the doctor's proof (GET /healthz?proof=<nonce>)", () => {
  let app: Harness;
  let otherDeployment: Harness;
  beforeAll(async () => {
    app = await Harness.start();
    otherDeployment = await Harness.start({ env: { SLACK_SIGNING_SECRET: randomBytes(16).toString('hex') } });
  });
  afterAll(async () => {
    await app.stop();
    await otherDeployment.stop();
  });

  it('the proof says nothing but the proof: no secret, no version, and only for a well-formed nonce', async () => {
    const nonce = randomBytes(24).toString('base64url');
    const res = await request(`${app.url}/healthz?proof=${nonce}`);
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(text)).toEqual({
      ok: true,
      store: 'ok',
      proof: healthProof(healthProofKey(SIGNING_SECRET), nonce),
    });
    for (const secret of [SIGNING_SECRET, BOT_TOKEN, API_KEY, app.config.webhookSecret, healthProofKey(SIGNING_SECRET)])
      expect(text).not.toContain(secret);
    expect(text).not.toContain(process.version.slice(1));
    const other = await request(`${otherDeployment.url}/healthz?proof=${nonce}`);
    expect(((await other.body.json()) as { proof: string }).proof).not.toBe(
      healthProof(healthProofKey(SIGNING_SECRET), nonce),
    );
    // A proof holds for its own nonce only: an answer recorded once cannot be replayed to the doctor's next nonce.
    const again = await request(`${app.url}/healthz?proof=${randomBytes(24).toString('base64url')}`);
    expect(((await again.body.json()) as { proof: string }).proof).not.toBe(
      healthProof(healthProofKey(SIGNING_SECRET), nonce),
    );
    const bad = await request(`${app.url}/healthz?proof=${encodeURIComponent('<script>')}`);
    expect(bad.statusCode).toBe(400);
    expect(await bad.body.json()).toEqual({ ok: false, error: 'proof must be 16 to 128 letters, digits, "-" or "_"' });
  });
});
