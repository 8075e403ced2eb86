/**
 * Attacks on the HTTP server, as an attacker makes them, with raw sockets, against the real app: request targets that
 * made the process exit, errors nothing caught, and slow bodies that took every body slot (issue 23, items 1 and 2).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS, TIMINGS } from '../src/limits.ts';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { idleFakeSigned, Raw } from './helpers/raw-http.ts';
import { eventEnvelope, fileShareEvent, slackSignature } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';
import { API_KEY } from './stand-ins/omicall.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FAULTS = ['--import', './test/helpers/faults.ts'];

/** Request targets Node's parser accepts and a URL parser refuses, or that are no path of the app at all. */
const HOSTILE_TARGETS = [
  '//[',
  '//[/slack/events',
  '//[::1/healthz',
  '/\\[',
  '/\\\\evil/healthz',
  'http://[/slack/events',
  'http://a b/healthz',
  '*',
  'transcriber.test:443',
  '/%',
  '/healthz%zz',
  '/slack/events%',
  '/omicall/webhook/%E0%A4%A',
  '/{}',
];

describe('request targets that ended the process', () => {
  let standIns: StandIns;
  let app: AppProcess;
  beforeAll(async () => {
    standIns = await startStandIns();
    app = await startAppProcess(standIns, {});
  });
  afterAll(async () => {
    await app.kill('SIGTERM');
    await standIns.close();
  });

  it('`GET //[` and the like, with a Host header or in HTTP/1.0 without any: 400, and the app serves on', async () => {
    for (const method of ['GET', 'POST']) {
      for (const target of HOSTILE_TARGETS) {
        for (const head of [
          `${method} ${target} HTTP/1.1\r\nhost: x\r\n\r\n`,
          `${method} ${target} HTTP/1.0\r\n\r\n`,
        ]) {
          const raw = new Raw(app.url, head);
          const answer = await raw.within(2000);
          expect(answer, head).toMatchObject({ status: 400 });
          raw.socket.destroy();
        }
      }
    }
    const long = new Raw(app.url, `GET /healthz?${'a'.repeat(LIMITS.targetChars)} HTTP/1.1\r\nhost: x\r\n\r\n`);
    expect(await long.within(2000)).toMatchObject({ status: 414 });
    expect(app.child.exitCode).toBeNull();
    expect((await request(`${app.url}/healthz`)).statusCode).toBe(200);
    expect(app.logs().filter((l) => l.level === 'error')).toEqual([]);
  });

  it("a path that only looks like the app's (`//slack/events`) is another path: 404", async () => {
    for (const target of ['//slack/events', '//healthz', '/healthz/', '//evil.test/healthz']) {
      const raw = new Raw(app.url, `GET ${target} HTTP/1.1\r\nhost: x\r\n\r\n`);
      expect(await raw.within(2000), target).toMatchObject({ status: 404 });
      raw.socket.destroy();
    }
  });

  it('the absolute form (`POST http://host/slack/events`), which proxies send, reaches the same route', async () => {
    const health = new Raw(
      app.url,
      'GET http://transcriber.test/healthz?proof=0123456789abcdefXYZ HTTP/1.1\r\nhost: x\r\n\r\n',
    );
    const answer = await health.within(2000);
    expect(answer).toMatchObject({ status: 200 });
    expect(answer !== 'waiting' && JSON.parse(answer.body)).toMatchObject({ ok: true, proof: expect.any(String) });
    health.socket.destroy();

    const body = eventEnvelope({ type: 'app_mention', text: 'hi', user: 'UALICE01', channel: 'C0SALES01', ts: '1.1' });
    const ts = Math.floor(Date.now() / 1000);
    const head = [
      'POST http://transcriber.test/slack/events HTTP/1.1',
      'host: transcriber.test',
      'content-type: application/json',
      `x-slack-request-timestamp: ${ts}`,
      `x-slack-signature: ${slackSignature(ts, body)}`,
      `content-length: ${Buffer.byteLength(body)}`,
    ].join('\r\n');
    const slack = new Raw(app.url, `${head}\r\n\r\n`, body);
    expect(await slack.within(3000)).toMatchObject({ status: 200 });
    slack.socket.destroy();
  });
});

describe('errors nothing caught', () => {
  let standIns: StandIns;
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(() => standIns.close());

  const secretFree = (app: AppProcess) => {
    expect(app.output()).not.toContain(API_KEY);
  };
  /** The app, once it has started (its last step, the webhook's registration, done): before, an exception ends it. */
  const started = async (env: Record<string, string>) => {
    const app = await startAppProcess(standIns, env, { nodeArgs: FAULTS });
    await waitFor(() => app.logs().some((l) => l.msg === 'OMICall webhook registered'), 5000, 'the start');
    return app;
  };

  it('in a request: that request is answered 500, the log line is scrubbed, the app serves on', async () => {
    const app = await started({});
    try {
      for (const [fault, msg] of [
        ['reject', 'unhandled rejection'],
        ['throw', 'uncaught exception'],
      ]) {
        const raw = new Raw(app.url, `GET /healthz HTTP/1.1\r\nhost: x\r\nx-test-fault: ${fault}\r\n\r\n`);
        const answer = await raw.within(3000);
        expect(answer, fault).toMatchObject({ status: 500, body: '{"ok":false,"error":"internal error"}' });
        await waitFor(() => app.logs().find((l) => l.msg === msg), 3000, msg);
        expect(app.logs().find((l) => l.msg === msg)).toMatchObject({
          level: 'error',
          request: '/healthz',
          next: 'serving on',
          error: expect.stringContaining('test fault in a request, key [redacted]'),
        });
        expect((await request(`${app.url}/healthz`)).statusCode).toBe(200);
      }
      expect(app.child.exitCode).toBeNull();
      secretFree(app);
    } finally {
      await app.kill('SIGTERM');
    }
  });

  it('outside any request: a rejection is logged and the app serves on', async () => {
    const app = await started({ TEST_FAULT: 'reject' });
    try {
      app.child.kill('SIGUSR2');
      await waitFor(() => app.logs().find((l) => l.msg === 'unhandled rejection'), 3000, 'the log line');
      expect(app.logs().find((l) => l.msg === 'unhandled rejection')).toMatchObject({ next: 'serving on' });
      expect(app.logs().find((l) => l.msg === 'unhandled rejection')?.request).toBeUndefined();
      expect((await request(`${app.url}/healthz`)).statusCode).toBe(200);
      secretFree(app);
    } finally {
      await app.kill('SIGTERM');
    }
  });

  it('outside any request: an exception stops the app as SIGTERM does, and it exits 1 for the platform to restart it', async () => {
    const app = await started({ TEST_FAULT: 'throw' });
    app.child.kill('SIGUSR2');
    expect(await app.exited, app.output()).toBe(1);
    // Its last lines may arrive after the exit is seen.
    await waitFor(() => app.logs().some((l) => l.msg === 'stopped'), 2000, 'the last line');
    const lines = app.logs().map((l) => l.msg);
    expect(lines).toContain('uncaught exception');
    expect(app.logs().find((l) => l.msg === 'uncaught exception')).toMatchObject({ next: 'stopping' });
    expect(lines.indexOf('shutting down')).toBeGreaterThan(lines.indexOf('uncaught exception'));
    expect(lines).toContain('stopped');
    secretFree(app);
  });
});

describe('slow bodies', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await Harness.start();
  });
  afterAll(() => h.stop());

  const wav = () => h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const drop = async (raws: Raw[]) => {
    for (const r of raws) r.socket.destroy();
    await Promise.all(raws.map((r) => r.closed));
  };

  it('idle fake-signed connections take no one else’s slot, and are closed by the deadline', async () => {
    // 240 connections from 4 addresses, each sending one byte of a 4 KB body that looks signed, then nothing.
    const attackers = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    const attack = (await Promise.all(attackers.map((a) => idleFakeSigned(h.url, 60, a)))).flat();
    await sleep(200);
    const started = performance.now();

    // Meanwhile, from Slack's address: an event answered at once, and its memo uploaded.
    const first = await h.share([wav()]);
    expect(first.res.status).toBe(200);
    expect(first.res.ms).toBeLessThan(1000);
    const health = await request(`${h.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(first.ts)), 8000, 'upload');
    // OMICall's callback is answered, and shows in the thread.
    const callback = await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1.5, text: 'xin chào' });
    expect(callback.status).toBe(200);
    await waitFor(() => h.slack.thread(first.channel, first.ts).some((m) => m.text.includes('xin chào')), 5000, 'text');
    // A second memo, a moment later, too.
    const second = await h.share([wav()]);
    expect(second.res.status).toBe(200);
    await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(second.ts)), 8000, 'the second upload');
    expect(performance.now() - started).toBeLessThan(TIMINGS.slackBodyDeadlineMs);

    // Every idle socket is answered and closed: those reading a body at the body deadline (408), those waiting for a
    // slot once their wait is over (503, which Slack would retry).
    await waitFor(
      () => attack.every((r) => r.closedAt !== undefined),
      TIMINGS.slackBodyDeadlineMs + 3000,
      'the idle sockets to be closed',
    );
    // The first address, alone, took half the pool; each other its share; the rest of the pool stayed free.
    const reading =
      LIMITS.slackBodySlots -
      Math.floor(LIMITS.slackBodySlots * LIMITS.bodySlotsKeptFree) +
      (attackers.length - 1) * LIMITS.bodySlotsPerAddress;
    expect(reading).toBeLessThan(LIMITS.slackBodySlots);
    const statuses = attack.map((r) => r.answer?.status);
    expect(statuses.filter((s) => s === 408)).toHaveLength(reading);
    expect(statuses.filter((s) => s === 503)).toHaveLength(attack.length - reading);
    const last = Math.max(...attack.map((r) => r.closedAt ?? 0)) - started;
    expect(last).toBeLessThan(TIMINGS.slackBodyDeadlineMs + 1000);
    expect(attack.find((r) => r.answer?.status === 408)?.answer?.body).toBe('{"ok":false,"error":"body too slow"}');
  }, 30_000);

  it('a flood from more addresses than Slack’s pool holds never delays /healthz nor a callback; Slack’s own event gets 503 (which Slack retries) until the deadline frees the slots', async () => {
    const memo = await h.share([wav()]);
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(memo.ts)), 8000, 'upload');
    const addresses = Array.from({ length: 12 }, (_, i) => `127.0.1.${i + 1}`);
    const attack = (await Promise.all(addresses.map((a) => idleFakeSigned(h.url, 4, a)))).flat();
    await sleep(200);
    const started = performance.now();
    const health = await request(`${h.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const callback = await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1.5, text: 'vẫn nhận' });
    expect(callback.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);

    const event = eventEnvelope(fileShareEvent({ channel: 'C0SALES01', ts: h.slack.nextTs(), files: [wav()] }));
    const ts = Math.floor(Date.now() / 1000);
    const signed = {
      'content-type': 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': slackSignature(ts, event),
    };
    const refused = await request(`${h.url}/slack/events`, { method: 'POST', headers: signed, body: event });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    await refused.body.dump();
    await waitFor(
      () => attack.every((r) => r.closedAt !== undefined),
      TIMINGS.slackBodyDeadlineMs + 2000,
      'the deadline',
    );
    const retried = await request(`${h.url}/slack/events`, { method: 'POST', headers: signed, body: event });
    expect(retried.statusCode).toBe(200);
    await retried.body.dump();
    await drop(attack);
  }, 30_000);

  it('headers that never end, and a connection that sends nothing, are closed by the headers deadline', async () => {
    const started = performance.now();
    const partial = new Raw(h.url, 'POST /slack/events HTTP/1.1\r\nhost: x\r\nx-slack-signature: v0=');
    const silent = new Raw(h.url, '');
    await Promise.all([partial.closed, silent.closed]);
    for (const raw of [partial, silent]) {
      expect(raw.answer?.status).toBe(408);
      expect((raw.closedAt ?? 0) - started).toBeGreaterThan(LIMITS.headersTimeoutMs - 500);
      expect((raw.closedAt ?? 0) - started).toBeLessThan(LIMITS.headersTimeoutMs + LIMITS.connectionsCheckMs + 1000);
    }
  }, 20_000);

  it('/healthz and /metrics read no body: a request announcing one is answered at once and its connection closed', async () => {
    for (const path of ['/healthz', '/metrics']) {
      const raw = new Raw(h.url, `GET ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\n\r\n`, 'x');
      const answer = await raw.within(1000);
      expect(answer, path).toMatchObject({ status: 200, headers: { connection: 'close' } });
      await raw.closed;
    }
  });
});
