/**
 * Downloads from Slack's file host: which hosts get the bot token, redirects, sizes, deadlines and closed connections,
 * and what the thread says when a download fails.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HEAD_BYTES } from '../src/audio/containers.ts';
import { DownloadError } from '../src/errors.ts';
import { createOmicallClient } from '../src/providers/omicall/client.ts';
import { type Download, type DownloadOptions, openDownload, slackHosts } from '../src/slack/download.ts';
import { speech, wavHeader } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { failureReply } from './helpers/memos.ts';
import { API_KEY, OmicallStandIn } from './stand-ins/omicall.ts';
import { BOT_TOKEN, SlackStandIn } from './stand-ins/slack.ts';

const MB = 1024 * 1024;
const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));
const wav = (h: Harness, name = 'memo.wav') =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** A file host whose answers each test writes by path; records each request's method and path. */
class FileHost {
  readonly seen: { method?: string; path?: string }[] = [];
  readonly routes = new Map<string, Route>();
  #server: Server = createServer((req, res) => {
    this.seen.push({ method: req.method, path: req.url });
    const route = this.routes.get(req.url ?? '');
    if (route) route(req, res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  url = '';

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  open(path: string, options: Partial<DownloadOptions> = {}) {
    return openDownload(`${this.url}${path}`, {
      token: BOT_TOKEN,
      isSlackHost: slackHosts(`${this.url}/api/`),
      deadlineMs: 3000,
      ...options,
    });
  }
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the download to fail');
    },
    (e: unknown) => e as DownloadError,
  );

const FILE = Buffer.from('RIFF....WAVEfmt the memo itself');

/** `total` bytes of a repeating pattern, produced 64 KB at a time (never held whole). */
function pattern(total: number): Readable {
  const piece = Buffer.alloc(64 * 1024, 'voice memo ');
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) {
        this.push(null);
        return;
      }
      const n = Math.min(left, piece.length);
      left -= n;
      this.push(Buffer.from(piece.subarray(0, n)));
    },
  });
}

/** A WAV header and then `total` bytes of pattern, as a stream. */
function wavStream(total: number): Readable {
  const header = wavHeader(total);
  const body = pattern(total);
  return Readable.from(
    (async function* () {
      yield header;
      yield* body;
    })(),
    { objectMode: false },
  );
}

/** A WAV of exactly `total` bytes, header included. */
function wavOf(total: number): Buffer {
  return Buffer.concat([wavHeader(total - 44), Buffer.alloc(total - 44)]);
}

/** Reads a body to its end or failure: the bytes it gave, and how it ended. */
async function drain(body: AsyncIterable<Uint8Array>): Promise<{ bytes: number; error?: unknown; ms: number }> {
  const started = performance.now();
  let bytes = 0;
  try {
    for await (const chunk of body) bytes += chunk.byteLength;
    return { bytes, ms: performance.now() - started };
  } catch (error) {
    return { bytes, error, ms: performance.now() - started };
  }
}

describe('the bot token', () => {
  describe('with Slack as the API (production)', () => {
    // Built inside each test, so that what the rule does is what the test sees.
    const may = (url: string) => slackHosts('https://slack.com/api/')(new URL(url));

    it("goes to Slack's own hosts over https", () => {
      expect(may('https://files.slack.com/files-pri/T1-F1/download/memo.m4a')).toBe(true);
      expect(may('https://slack.com/api/files.info')).toBe(true);
      expect(may('https://acme.enterprise.slack.com/files-pri/T1-F1/memo.m4a')).toBe(true);
    });

    it('never to look-alike hosts, nor over plain http', () => {
      expect(may('https://evilslack.com/files-pri/T1-F1/download/memo.m4a')).toBe(false);
      expect(may('https://slack.com.evil.test/files-pri/T1-F1/download/memo.m4a')).toBe(false);
      expect(may('https://files.slack.com.evil.test/x')).toBe(false);
      expect(may('http://files.slack.com/files-pri/T1-F1/download/memo.m4a')).toBe(false);
      expect(may('http://slack.com/api/')).toBe(false);
      expect(may('https://slack-edge.com/x')).toBe(false);
    });

    it('with another API address (staging), only to that scheme, host and port', () => {
      const staging = slackHosts('https://slack.staging.test:8443/api/');
      expect(staging(new URL('https://slack.staging.test:8443/files/F1'))).toBe(true);
      expect(staging(new URL('https://slack.staging.test:9443/files/F1'))).toBe(false);
      expect(staging(new URL('https://files.slack.com/files/F1'))).toBe(false);
      expect(staging(new URL('http://slack.staging.test:8443/files/F1'))).toBe(false);
      const onDefaultPort = slackHosts('https://slack.staging.test/api/');
      expect(onDefaultPort(new URL('https://slack.staging.test/files/F1'))).toBe(true);
      expect(onDefaultPort(new URL('http://slack.staging.test/files/F1'))).toBe(false);
    });
  });

  it('with SLACK_API_URL on https, a plain-http link to that very host and port is never requested, so never sees the token', async () => {
    const seen: (string | undefined)[] = [];
    const plain = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'audio/wav' });
      res.end(readFileSync(speech('wav')));
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    const { port } = plain.address() as AddressInfo;
    try {
      const opened = openDownload(`http://127.0.0.1:${port}/files-pri/T0001-F1/download/memo.wav`, {
        token: BOT_TOKEN,
        isSlackHost: slackHosts(`https://127.0.0.1:${port}/api/`),
      });
      await expect(opened).rejects.toMatchObject({ code: 'download_off_slack' });
      await settle(100);
      expect(seen).toEqual([]);
    } finally {
      plain.close();
    }
  });

  describe('through the app', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await Harness.start();
    });
    afterAll(async () => {
      await h.stop();
    });
    const wavFile = (name = 'memo.wav') =>
      h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });

    it('is sent to Slack only, not to the host a download redirects to', async () => {
      const seen: (string | undefined)[] = [];
      const wav = readFileSync(speech('wav'));
      const cdn = createServer((req, res) => {
        seen.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
        res.end(wav);
      });
      await new Promise<void>((r) => cdn.listen(0, '127.0.0.1', r));
      try {
        const file = wavFile();
        h.slack.redirects.set(file.id, `http://127.0.0.1:${(cdn.address() as AddressInfo).port}/signed/${file.id}`);
        const { ts } = await h.share([file]);
        await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
        expect(seen).toEqual([undefined]);
        expect(h.slack.downloads.find((d) => d.path.includes(file.id))?.authorization).toBe(
          'Bearer xoxb-test-0000-bot-token',
        );
      } finally {
        cdn.close();
      }
    });

    it('is never sent to a file URL off Slack; the thread says the file could not be downloaded', async () => {
      const seen: (string | undefined)[] = [];
      const elsewhere = createServer((req, res) => {
        seen.push(req.headers.authorization);
        res.end('x');
      });
      await new Promise<void>((r) => elsewhere.listen(0, '127.0.0.1', r));
      try {
        const file = {
          ...wavFile(),
          url_private_download: `http://127.0.0.1:${(elsewhere.address() as AddressInfo).port}/steal`,
        };
        const { channel, ts } = await h.share([file]);
        const reply = await waitFor(() =>
          h.slack.thread(channel, ts).find((m) => m.text.includes('Could not transcribe')),
        );
        expect(reply.text).toMatch(/link does not lead to Slack, so the app did not download it/);
        expect(reply.text).not.toContain('127.0.0.1');
        expect(seen).toEqual([]);
      } finally {
        elsewhere.close();
      }
    });

    it('never appears in the logs', () => {
      expect(h.logs.length).toBeGreaterThan(10);
      const all = h.logs.join('\n');
      expect(all).not.toContain('xoxb-test-0000-bot-token');
      expect(all).not.toContain('omi-test-key-123456');
      expect(all).not.toContain(h.config.webhookSecret);
    });
  });
});

describe('a download from a file host whose answers each test writes', () => {
  let host: FileHost;
  beforeAll(async () => {
    host = await new FileHost().start();
    host.routes.set('/file', (_req, res) => {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': FILE.length });
      res.end(FILE);
    });
    for (const status of [300, 399, 400]) {
      host.routes.set(`/status-${status}`, (_req, res) => {
        res.writeHead(status, { location: '/file' });
        res.end();
      });
    }
    host.routes.set('/ok-with-location', (_req, res) => {
      res.writeHead(200, { location: '/file', 'content-type': 'text/plain' });
      res.end('not a redirect');
    });
    host.routes.set('/302-nowhere', (_req, res) => {
      res.writeHead(302);
      res.end();
    });
    host.routes.set('/loop', (_req, res) => {
      res.writeHead(302, { location: '/loop' });
      res.end();
    });
    host.routes.set('/untyped', (_req, res) => {
      res.removeHeader('content-type');
      res.writeHead(200, { 'content-length': FILE.length });
      res.end(FILE);
    });
  });
  afterAll(async () => {
    await host.close();
  });
  afterEach(() => {
    host.seen.length = 0;
  });

  describe('redirects', () => {
    it.each([300, 399])('a %i with a location is followed, with GET, to the file', async (status) => {
      const download = await host.open(`/status-${status}`);
      expect(download.head.equals(FILE)).toBe(true);
      expect(download.contentType).toBe('audio/wav');
      download.cancel();
      expect(host.seen).toEqual([
        { method: 'GET', path: `/status-${status}` },
        { method: 'GET', path: '/file' },
      ]);
    });

    it('a 400 with a location is a failure that names the status, and is not followed', async () => {
      const err = await failure(host.open('/status-400'));
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.status).toBe(400);
      expect(err.message).toBe("Slack's file host answered HTTP 400");
      expect(host.seen.map((s) => s.path)).toEqual(['/status-400']);
    });

    it('a 200 with a location is the file', async () => {
      const download = await host.open('/ok-with-location');
      expect(download.head.toString()).toBe('not a redirect');
      expect(host.seen.map((s) => s.path)).toEqual(['/ok-with-location']);
    });

    it('a 3xx without a location is a failure that names the status', async () => {
      const err = await failure(host.open('/302-nowhere'));
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.code).toBe('download_failed');
      expect(err.status).toBe(302);
    });

    it('a loop stops after maxRedirects hops, saying so', async () => {
      const err = await failure(host.open('/loop', { maxRedirects: 2 }));
      expect(err).toBeInstanceOf(DownloadError);
      expect(err.message).toBe('too many redirects');
      expect(host.seen).toHaveLength(3);
    });

    it('a link off Slack is refused before any request, naming the host', async () => {
      const err = await failure(
        openDownload('http://files.example.net/memo.wav', {
          token: BOT_TOKEN,
          isSlackHost: slackHosts(`${host.url}/api/`),
        }),
      );
      expect(err.code).toBe('download_off_slack');
      expect(err.message).toBe("the file is not on Slack's file host (files.example.net)");
    });
  });

  describe('what a download hands over', () => {
    it('no Content-Type is an empty one', async () => {
      const download = await host.open('/untyped');
      expect(download.contentType).toBe('');
      expect(download.head.equals(FILE)).toBe(true);
    });

    it('head holds the first HEAD_BYTES bytes, however small the pieces they come in', async () => {
      const bytes = Buffer.alloc(HEAD_BYTES + 5000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = i % 251;
      host.routes.set('/pieces', (_req, res) => {
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': bytes.length });
        let at = 0;
        const next = () => {
          if (at >= bytes.length) return void res.end();
          res.write(bytes.subarray(at, at + 8000));
          at += 8000;
          setTimeout(next, 2);
        };
        next();
      });
      const download = await host.open('/pieces');
      expect(download.head.length).toBe(HEAD_BYTES);
      expect(download.head.equals(bytes.subarray(0, HEAD_BYTES))).toBe(true);
      download.cancel();
    });

    it('a file shorter than HEAD_BYTES gives it all as head', async () => {
      const download = await host.open('/file', { maxBytes: FILE.length });
      expect(download.head.equals(FILE)).toBe(true);
    });

    it('past maxBytes before the head is full: too large, saying the limit', async () => {
      host.routes.set('/big-unannounced', (_req, res) => {
        res.writeHead(200, { 'content-type': 'audio/wav' });
        res.write(Buffer.alloc(2000));
        res.end(Buffer.alloc(2000));
      });
      const err = await failure(host.open('/big-unannounced', { maxBytes: 1000 }));
      expect(err.code).toBe('download_too_large');
      expect(err.message).toBe('the file is larger than 1000 bytes');
    });
  });

  describe('a failed or stopped transfer fails at once and leaves no connection open', () => {
    it('the connection dropped before the head is complete fails at once, not at the deadline', async () => {
      host.routes.set('/dropped', (_req, res) => {
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': 100_000 });
        res.write(Buffer.alloc(100));
        setTimeout(() => res.socket?.destroy(), 50);
      });
      const started = performance.now();
      const err = await failure(host.open('/dropped', { deadlineMs: 5000 }));
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string }).code).not.toBe('download_timed_out');
      expect(performance.now() - started).toBeLessThan(2000);
    });

    it('a file host that stalls before the head is complete hits the deadline, which names itself, and is hung up on', async () => {
      let closed = false;
      host.routes.set('/stalled', (_req, res) => {
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': 100_000 });
        res.write(Buffer.alloc(100));
        res.on('close', () => {
          closed = true;
        });
      });
      const started = performance.now();
      const err = await failure(host.open('/stalled', { deadlineMs: 300 }));
      expect(err.code).toBe('download_timed_out');
      expect(err.message).toBe('the download took longer than 300 ms');
      expect(performance.now() - started).toBeLessThan(1500);
      await waitFor(() => closed, 2000, 'the file host to see the connection closed');
    });

    it("the caller's abort signal does not switch off the deadline", async () => {
      let closed = false;
      host.routes.set('/silent', (_req, res) => {
        res.on('close', () => {
          closed = true;
        });
      });
      const err = await failure(host.open('/silent', { deadlineMs: 300, signal: new AbortController().signal }));
      expect(err.code).toBe('download_timed_out');
      await waitFor(() => closed, 2000, 'the file host to see the connection closed');
    });

    it("the caller's abort stops a download waiting for its head", async () => {
      host.routes.set('/half', (_req, res) => {
        res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': 100_000 });
        res.write(Buffer.alloc(100));
      });
      const stop = new AbortController();
      const reason = new Error('the app is stopping');
      setTimeout(() => stop.abort(reason), 100);
      const started = performance.now();
      const err = await failure(host.open('/half', { deadlineMs: 5000, signal: stop.signal }));
      expect(err).toBeInstanceOf(Error);
      expect((err as { code?: string }).code).not.toBe('download_timed_out');
      expect(performance.now() - started).toBeLessThan(2000);
    });
  });
});

describe('the file host sees the connection closed', () => {
  let slack: SlackStandIn;
  beforeAll(async () => {
    slack = await new SlackStandIn().start();
  });
  afterAll(async () => {
    await slack.close();
  });
  const open = (url: string, maxBytes?: number) =>
    openDownload(url, { token: BOT_TOKEN, isSlackHost: slackHosts(slack.apiUrl), maxBytes });

  it('when a Content-Length over maxBytes is refused', async () => {
    const file = slack.addFile({
      name: 'long.wav',
      mimetype: 'audio/wav',
      bytes: Buffer.alloc(8 * 1024 * 1024),
      transfer: {},
    });
    const err = await failure(open(file.url_private_download, 1024 * 1024));
    expect(err.code).toBe('download_too_large');
    const served = await waitFor(() => slack.downloads.find((d) => d.path.includes(file.id) && d.outcome), 2000, 'cut');
    expect(served.outcome).toBe('cut');
  });

  it('when a download is cancelled, long before its end', async () => {
    const piece = Buffer.alloc(64 * 1024, 'voice memo ');
    const file = slack.addFile({
      name: 'endless.wav',
      mimetype: 'audio/wav',
      transfer: {
        stream: () =>
          Readable.from(
            (function* () {
              for (let i = 0; i < 1024; i++) yield piece;
            })(),
          ),
      },
    });
    const download = await open(file.url_private_download);
    download.cancel();
    const served = await waitFor(() => slack.downloads.find((d) => d.path.includes(file.id) && d.outcome), 2000, 'cut');
    expect(served.outcome).toBe('cut');
    expect(served.sent).toBeLessThan(16 * 1024 * 1024);
  });
});

describe("limits on a download from Slack's file host", () => {
  let slack: SlackStandIn | undefined;
  let omicall: OmicallStandIn | undefined;
  afterEach(async () => {
    await slack?.close();
    await omicall?.close();
    slack = undefined;
    omicall = undefined;
  });

  async function slackHost(): Promise<SlackStandIn> {
    slack = await new SlackStandIn().start();
    return slack;
  }

  function open(s: SlackStandIn, url: string, limits: { maxBytes?: number; deadlineMs?: number }): Promise<Download> {
    return openDownload(url, { token: BOT_TOKEN, isSlackHost: slackHosts(s.apiUrl), ...limits });
  }

  describe('a download stops past maxBytes, whatever size was claimed', () => {
    it('a file far bigger than maxBytes, reported small and sent without Content-Length, is cut at maxBytes', async () => {
      const s = await slackHost();
      const file = s.addFile({
        name: 'memo.wav',
        mimetype: 'audio/wav',
        size: 10_000,
        transfer: { stream: () => pattern(256 * MB) },
      });
      const download = await open(s, file.url_private_download, { maxBytes: 1 * MB });
      expect(download.length).toBeUndefined();
      expect(download.head.toString('latin1', 0, 10)).toBe('voice memo');

      const read = await drain(download.body);
      expect(read.error).toBeInstanceOf(DownloadError);
      expect((read.error as DownloadError).code).toBe('download_too_large');
      expect(read.bytes).toBeLessThanOrEqual(1 * MB);

      // The file host saw the connection go away long before the end: nothing beyond was asked for.
      const served = await waitFor(() => s.downloads[0]?.outcome && s.downloads[0]);
      expect(served.outcome).toBe('cut');
      expect(served.sent).toBeLessThan(32 * MB);
    });

    it('a Content-Length over maxBytes fails at once, before the body is read', async () => {
      const s = await slackHost();
      const file = s.addFile({
        name: 'memo.wav',
        mimetype: 'audio/wav',
        size: 10_000,
        transfer: { stream: () => pattern(64 * MB) },
      });
      // The same bytes, announced: the stand-in gives a length for files from bytes.
      const announced = s.addFile({
        name: 'long.wav',
        mimetype: 'audio/wav',
        size: 10_000,
        bytes: Buffer.alloc(3 * MB),
      });
      const failed = await open(s, announced.url_private_download, { maxBytes: 1 * MB }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(DownloadError);
      expect((failed as DownloadError).code).toBe('download_too_large');
      expect(file.size).toBe(10_000);
    });

    it('a file of exactly maxBytes comes through whole', async () => {
      const s = await slackHost();
      const bytes = Buffer.alloc(2 * MB + 7, 'ok ');
      const file = s.addFile({ name: 'memo.wav', mimetype: 'audio/wav', bytes, transfer: { noLength: true } });
      const download = await open(s, file.url_private_download, { maxBytes: bytes.length });
      const hash = createHash('sha256');
      for await (const chunk of download.body) hash.update(chunk);
      expect(hash.digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(download.head.equals(bytes.subarray(0, download.head.length))).toBe(true);
    });
  });

  describe('a download has an overall deadline', () => {
    it('a trickling download fails at the deadline, though bytes keep coming', async () => {
      const s = await slackHost();
      const file = s.addFile({
        name: 'memo.wav',
        mimetype: 'audio/wav',
        // Fast enough for the first 64 KiB (the head the app sniffs) to come before the deadline, not the rest.
        transfer: { stream: () => pattern(10 * MB), trickle: { bytes: 8192, everyMs: 20 } },
      });
      const started = performance.now();
      const download = await open(s, file.url_private_download, { deadlineMs: 800 });
      const read = await drain(download.body);
      const elapsed = performance.now() - started;
      expect(read.error).toBeInstanceOf(DownloadError);
      expect((read.error as DownloadError).code).toBe('download_timed_out');
      expect(read.bytes).toBeGreaterThan(0);
      expect(elapsed).toBeGreaterThanOrEqual(750);
      expect(elapsed).toBeLessThan(3000);
      await waitFor(() => s.downloads[0]?.outcome === 'cut', 3000, 'the file host to see the connection closed');
    });

    it('covers the wait for headers too', async () => {
      const s = await slackHost();
      const file = s.addFile({
        name: 'memo.wav',
        mimetype: 'audio/wav',
        bytes: Buffer.alloc(1000),
        transfer: { delayMs: 5000 },
      });
      const started = performance.now();
      const failed = await open(s, file.url_private_download, { deadlineMs: 300 }).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(DownloadError);
      expect((failed as DownloadError).code).toBe('download_timed_out');
      expect(performance.now() - started).toBeLessThan(2000);
    });
  });

  describe('a relayed download reaches OMICall intact', () => {
    it('byte for byte, with the sent chunks released on the way', async () => {
      const s = await slackHost();
      omicall = await new OmicallStandIn().start();
      const bytes = Buffer.alloc(6 * MB + 123);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
      const file = s.addFile({ name: 'memo.wav', mimetype: 'audio/wav', bytes });
      const client = createOmicallClient({ baseUrl: `${omicall.apiUrl}/` });
      try {
        const download = await open(s, file.url_private_download, { maxBytes: 10 * MB });
        const result = await client.speechToText(
          {
            trackingId: 'T-intact',
            fileName: 'memo.wav',
            contentType: 'audio/wav',
            body: download.body,
            length: download.length,
          },
          API_KEY,
        );
        expect(result.ok).toBe(true);
        expect(omicall.uploads[0].size).toBe(bytes.length);
        expect(omicall.uploads[0].sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      } finally {
        await client.close();
      }
    });
  });
});

describe('downloads of shared files, as the thread tells of them', () => {
  it('ends in plain words in the thread after a bounded number of requests, not a hang', async () => {
    const app = await start({ timings: { downloadDeadlineMs: 5000 } });
    const file = app.slack.addFile({ name: 'loop.wav', mimetype: 'audio/wav', path: speech('wav') });
    app.slack.redirects.set(file.id, file.url_private_download);
    const started = Date.now();
    const { channel, ts } = await app.share([file]);
    const reply = await failureReply(app, channel, ts);
    expect(reply.text).toMatch(/could not be downloaded from Slack/);
    expect(Date.now() - started).toBeLessThan(5000);
    await settle();
    const requests = app.slack.downloads.filter((d) => d.path.includes(file.id));
    // The first request and at most 5 redirects followed.
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.length).toBeLessThanOrEqual(6);
    expect(app.omicall.attempts).toBe(0);
  });

  it('five redirects on the way to the file are followed', async () => {
    const app = await start();
    const file = app.slack.addFile({ name: 'moved.wav', mimetype: 'audio/wav', bytes: Buffer.alloc(0) });
    const hops = Array.from({ length: 4 }, () =>
      app.slack.addFile({ name: 'hop.wav', mimetype: 'audio/wav', bytes: Buffer.alloc(0) }),
    );
    const target = app.slack.addFile({ name: 'moved.wav', mimetype: 'audio/wav', path: speech('wav') });
    const chain = [file, ...hops, target];
    for (let i = 0; i < chain.length - 1; i++) app.slack.redirects.set(chain[i].id, chain[i + 1].url_private_download);
    const { ts } = await app.share([file]);
    await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'the upload');
    expect(app.slack.downloads).toHaveLength(6);
  });

  it('says in the thread that it may have been deleted, instead of sending the error page anywhere', async () => {
    const app = await start();
    const file = app.slack.addFile({ name: 'gone.wav', mimetype: 'audio/wav', path: speech('wav') });
    app.slack.files.delete(file.id);
    const { channel, ts } = await app.share([file]);
    expect((await failureReply(app, channel, ts)).text).toMatch(
      /could not be downloaded from Slack\. It may have been deleted/,
    );
    expect(app.omicall.attempts).toBe(0);
  });

  it('a file of exactly the limit is transcribed; one byte more is refused in plain words, whatever Slack said', async () => {
    const app = await start({ env: { MAX_AUDIO_MB: '1' } });
    const exact = wavOf(MB);
    const over = wavOf(MB + 1);
    const uploaded = async (file: { id: string }) => {
      const { ts } = await app.share([file]);
      return waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'the upload');
    };
    const refused = async (file: { id: string }) => {
      const { channel, ts } = await app.share([file]);
      return (await failureReply(app, channel, ts)).text;
    };

    // Exactly the limit: as Slack reports it, with a Content-Length, and counted without one.
    expect((await uploaded(app.slack.addFile({ name: 'exact.wav', mimetype: 'audio/wav', bytes: exact }))).size).toBe(
      MB,
    );
    const counted = app.slack.addFile({
      name: 'exact-chunked.wav',
      mimetype: 'audio/wav',
      bytes: exact,
      transfer: { noLength: true },
    });
    expect((await uploaded(counted)).size).toBe(MB);

    // One byte over, as Slack reports it: refused without a download.
    const big = app.slack.addFile({ name: 'over.wav', mimetype: 'audio/wav', bytes: over });
    expect(await refused(big)).toMatch(/the file is 2 MB and the limit is 1 MB\. Share a shorter recording/);
    expect(app.slack.downloads.some((d) => d.path.includes(big.id))).toBe(false);

    // One byte over while Slack says it is small: by Content-Length, and by counting the bytes.
    const lies = app.slack.addFile({ name: 'lies.wav', mimetype: 'audio/wav', bytes: over, size: 1000 });
    expect(await refused(lies)).toMatch(/the file is larger than the limit of 1 MB/);
    const liesChunked = app.slack.addFile({
      name: 'lies-chunked.wav',
      mimetype: 'audio/wav',
      bytes: over,
      size: 1000,
      transfer: { noLength: true },
    });
    expect(await refused(liesChunked)).toMatch(/the file is larger than the limit of 1 MB/);
    expect(app.omicall.uploads.map((u) => u.size)).toEqual([MB, MB]);
  });

  it('stops at MAX_AUDIO_MB, uploads nothing whole, and says so in the thread', async () => {
    const h = await start({ env: { MAX_AUDIO_MB: '1' } });
    const big = h.slack.addFile({
      name: 'meeting.wav',
      mimetype: 'audio/wav',
      filetype: 'wav',
      size: 10_000,
      transfer: { stream: () => wavStream(64 * MB) },
    });
    const { channel, ts } = await h.share([big]);
    const reply = await waitFor(
      () => h.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
      8000,
      'failure reply',
    );
    expect(reply.text).toMatch(/larger than the limit of 1 MB/);
    expect(h.omicall.uploads).toEqual([]);
    expect(h.slack.downloads.every((d) => d.outcome === 'cut' && d.sent < 32 * MB)).toBe(true);
  });

  it('a sign-in page instead of audio is never uploaded; the thread names files:read', async () => {
    const h = await start();
    h.slack.scopes = h.slack.scopes.filter((s) => s !== 'files:read');
    const { channel, ts } = await h.share([wav(h)]);
    const reply = await failureReply(h, channel, ts);
    expect(reply.text).toMatch(/sign-in page.*`files:read`.*reinstall/);
    expect(h.omicall.attempts).toBe(0);
  });
});
