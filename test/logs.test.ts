/**
 * The log lines an operator reads: their shape in production and development, their levels, one line per job step, and
 * never a secret, even one a service echoes back.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deriveSecret } from '../src/config.ts';
import { boltLogger, createLogger, type Logger, onceIn } from '../src/log.ts';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { fileShareEvent, postEvent, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { API_KEY } from './stand-ins/omicall.ts';
import { BOT_TOKEN, json, SlackStandIn } from './stand-ins/slack.ts';

let h: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await h?.stop();
  h = undefined;
});

function capture(options: {
  level?: 'debug' | 'info' | 'warn' | 'error';
  format?: 'json' | 'pretty';
  secrets?: string[];
}) {
  const lines: string[] = [];
  const log = createLogger({
    level: options.level ?? 'debug',
    format: options.format ?? 'json',
    secrets: options.secrets,
    write: (l) => lines.push(l),
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, lines, records };
}

describe('production lines (JSON)', () => {
  it('one object per line: time, level, message, the context and the fields; errors as name and message', () => {
    const { log, records } = capture({});
    const child = log.child({ component: 'relay' }).child({ trackingId: 'T1' });
    child.debug('d');
    child.info('i', { n: 1 });
    child.warn('w');
    child.error('e', { error: new TypeError('boom') });
    const [d, i, w, e] = records();
    expect(d).toMatchObject({ level: 'debug', msg: 'd', component: 'relay', trackingId: 'T1' });
    expect(i).toMatchObject({ level: 'info', msg: 'i', n: 1 });
    expect(w).toMatchObject({ level: 'warn', msg: 'w' });
    expect(e).toMatchObject({ level: 'error', msg: 'e', error: { name: 'TypeError', message: 'boom' } });
    expect(String(d.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('shows only lines at or above LOG_LEVEL', () => {
    const { log, records } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(records().map((r) => r.level)).toEqual(['warn', 'error']);
  });
});

describe('where lines go', () => {
  it('to standard output, one line each, when nothing else is said (as Heroku and Docker collect them)', () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      createLogger({ level: 'info', format: 'json' }).info('listening', { port: 3000 });
    } finally {
      spy.mockRestore();
    }
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^\{.*"msg":"listening".*\}\n$/);
  });
});

describe('secrets in a line', () => {
  it('are replaced wherever they appear, from 6 characters on; shorter values are left alone', () => {
    const { log, lines } = capture({ secrets: ['s3cr3t', 'abc12'] });
    log.info('key s3cr3t and abc12', { nested: { url: 'https://x.test/hook/s3cr3t' } });
    expect(lines[0]).toContain('key [redacted] and abc12');
    expect(lines[0]).toContain('https://x.test/hook/[redacted]');
    expect(lines[0]).not.toContain('s3cr3t');
  });

  it('any Slack token is replaced whole, even one the app was not given', () => {
    const { log, lines } = capture({});
    const tokens = ['xoxb-1-2-abc', 'xoxp-11-22-33-ffee', 'xoxa-2-x', 'xoxr-9-y', 'xoxs-1-z', 'xoxo-7-q'];
    log.warn(`slack said: ${tokens.join(' ')} end`);
    expect(JSON.parse(lines[0]).msg).toBe(`slack said: ${tokens.map(() => '[redacted]').join(' ')} end`);
    log.warn('xoxz-1-2 is no token; xoxb- alone neither');
    expect(JSON.parse(lines[1]).msg).toBe('xoxz-1-2 is no token; xoxb- alone neither');
  });
});

describe('development lines (pretty)', () => {
  it('time, level, message, then the fields; strings as they are, the rest as JSON; scrubbed too', () => {
    const { log, lines } = capture({ format: 'pretty', secrets: ['s3cr3t'] });
    log.info('bare');
    log.warn('with fields', { who: 'me', n: 2, error: new Error('oops s3cr3t') });
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}bare$/);
    expect(lines[1]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}with fields {2}who=me n=2 error=\{"name":"Error","message":"oops \[redacted\]"\}$/,
    );
  });
});

describe("Bolt's lines", () => {
  function bolt(level: 'debug' | 'info') {
    const { log, records } = capture({ level: 'debug' });
    return { b: boltLogger(log, level), records };
  }

  it('go through the app logger, marked as Bolt, parts joined with spaces, objects as JSON', () => {
    const { b, records } = bolt('info');
    b.info('http', { status: 200 }, 3);
    b.warn('slow');
    b.error('failed', new Error('x'));
    expect(records()).toMatchObject([
      { level: 'info', component: 'bolt', msg: 'http {"status":200} 3' },
      { level: 'warn', component: 'bolt', msg: 'slow' },
      { level: 'error', component: 'bolt', msg: 'failed {"name":"Error","message":"x"}' },
    ]);
  });

  it('debug lines only when LOG_LEVEL=debug', () => {
    const quiet = bolt('info');
    quiet.b.debug('request');
    expect(quiet.records()).toEqual([]);
    const loud = bolt('debug');
    loud.b.debug('request', 'body');
    expect(loud.records()).toMatchObject([{ level: 'debug', component: 'bolt', msg: 'request body' }]);
  });
});

describe('a warning that repeats', () => {
  it('is written once, then once per interval with how many were left out; each message on its own', () => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
    const { log, records } = capture({});
    const warn = onceIn(10_000, log as Logger);
    warn('redis away', { host: 'r' });
    warn('queue error');
    vi.setSystemTime(1_000_000 + 9_999);
    warn('redis away', { host: 'r' });
    warn('redis away', { host: 'r' });
    vi.setSystemTime(1_000_000 + 10_000);
    warn('redis away', { host: 'r' });
    vi.setSystemTime(1_000_000 + 20_000);
    warn('redis away', { host: 'r' });
    expect(records().map(({ msg, host, repeated }) => ({ msg, host, repeated }))).toEqual([
      { msg: 'redis away', host: 'r', repeated: undefined },
      { msg: 'queue error', host: undefined, repeated: undefined },
      { msg: 'redis away', host: 'r', repeated: 2 },
      { msg: 'redis away', host: 'r', repeated: undefined },
    ]);
    expect(records().every((r) => r.level === 'warn')).toBe(true);
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

/**
 * A hostile OMICall: it refuses everything, echoing the API key it was sent; a refused registration also quotes
 * the address it was asked to register (with the webhook's secret path segment).
 */
async function echoingOmicall(): Promise<{ apiUrl: string; uploads: number; close(): Promise<void> }> {
  const state = { uploads: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => {
      if (raw.length < 2000) raw += chunk.slice(0, 2000);
    });
    req.on('end', () => {
      const upload = req.url?.endsWith('/speech_to_text') === true;
      if (upload) state.uploads += 1;
      const key = String(req.headers.apikey ?? '');
      const quoted = upload ? '' : ` for ${(JSON.parse(raw) as { url: string }).url}`;
      const body = JSON.stringify({
        status_code: -9999,
        payload: { status: 'fail', error: `api_key_invalid:${key}${quoted}`, message: `API key ${key} is invalid` },
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      // The upload's refusal writes the key with a JSON escape: the same words once read.
      res.end(
        upload ? body.replaceAll(key, `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}`) : body,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${url}/api/ai`,
    get uploads() {
      return state.uploads;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('the logs of the app as `npm start` runs it', () => {
  const USER_TOKEN = 'xoxp-1111-2222-echoed-user-token';
  const webhookSecret = deriveSecret(SIGNING_SECRET, 'omicall-webhook');
  let app: AppProcess | undefined;
  afterEach(async () => {
    if (app && app.child.exitCode === null) await app.kill('SIGTERM');
    app = undefined;
  });

  it.each(['json', 'pretty'])(
    'LOG_FORMAT=%s: services echoing the secrets back are logged, the secrets never are',
    async (format) => {
      const slack = await new SlackStandIn().start();
      const omicall = await echoingOmicall();
      try {
        // Slack refuses the thread replies, its error echoing the bot token and another Slack token.
        for (let i = 0; i < 20; i++)
          slack.override((call, res) => {
            if (call.method !== 'chat.postMessage') return false;
            json(res, 200, { ok: false, error: `token_revoked ${call.token} ${USER_TOKEN}` });
            return true;
          });
        app = await startAppProcess({ slack, omicall }, { LOG_FORMAT: format });
        const output = () => app?.output() ?? '';
        await waitFor(() => output().includes('webhook registration'), 20_000, 'the registration line');

        const file = slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
        const ts = slack.nextTs();
        slack.addUserMessage({ channel: 'C0SALES01', ts, user: 'UALICE01', files: [file] });
        expect((await postEvent(app.url, fileShareEvent({ channel: 'C0SALES01', ts, files: [file] }))).status).toBe(
          200,
        );
        await waitFor(
          () => omicall.uploads > 0 && output().includes('could not update the thread reply'),
          20_000,
          'the failure to be logged',
        );
        await new Promise((r) => setTimeout(r, 300));

        const lines = output()
          .split('\n')
          .filter((l) => l.trim() !== '');
        // The failures are there for the operator…
        const registration = lines.find((l) => l.includes('refused the webhook registration'));
        expect(registration).toContain(
          'api_key_invalid:[redacted] for https://transcriber.test/omicall/webhook/[redacted]',
        );
        expect(registration).toContain('https://transcriber.test/omicall/webhook/…');
        const slackFailure = lines.find((l) => l.includes('could not update the thread reply'));
        expect(slackFailure).toContain('token_revoked [redacted] [redacted]');
        if (format === 'json') {
          for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
        } else {
          expect(registration).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR /);
        }
        // …and no secret is, anywhere: not in the logs, nor in what the app asked Slack to show.
        expect(JSON.stringify(slack.calls.map((c) => c.args))).not.toContain(API_KEY);
        for (const secret of [API_KEY, BOT_TOKEN, USER_TOKEN, SIGNING_SECRET, webhookSecret]) {
          expect(output()).not.toContain(secret);
        }
      } finally {
        await omicall.close();
        await slack.close();
      }
    },
    40_000,
  );
});
