import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HEAD_BYTES } from '../src/audio/containers.ts';
import { DownloadError } from '../src/errors.ts';
import { type DownloadOptions, openDownload, slackHosts } from '../src/slack/download.ts';
import { waitFor } from './helpers/harness.ts';
import { BOT_TOKEN, SlackStandIn } from './stand-ins/slack.ts';

/**
 * What a download from Slack's file host does at its edges: which answers are followed as redirects, what a
 * failure says, what `head` holds, and that a refused, cancelled or failed transfer leaves no connection open.
 */

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
