import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { DownloadError } from '../src/errors.ts';
import { createOmicallClient } from '../src/providers/omicall/client.ts';
import { type Download, openDownload, slackHosts } from '../src/slack/download.ts';
import { wavHeader } from './helpers/audio.ts';
import { Harness, type Harness as HarnessType, waitFor } from './helpers/harness.ts';
import { API_KEY, OmicallStandIn } from './stand-ins/omicall.ts';
import { BOT_TOKEN, SlackStandIn } from './stand-ins/slack.ts';

const MB = 1024 * 1024;

let slack: SlackStandIn | undefined;
let omicall: OmicallStandIn | undefined;
let h: HarnessType | undefined;
afterEach(async () => {
  await h?.stop();
  await slack?.close();
  await omicall?.close();
  h = undefined;
  slack = undefined;
  omicall = undefined;
});

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

async function host(): Promise<SlackStandIn> {
  slack = await new SlackStandIn().start();
  return slack;
}

function open(s: SlackStandIn, url: string, limits: { maxBytes?: number; deadlineMs?: number }): Promise<Download> {
  return openDownload(url, { token: BOT_TOKEN, isSlackHost: slackHosts(s.apiUrl), ...limits });
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

describe('a download stops past maxBytes, whatever size was claimed', () => {
  it('a file far bigger than maxBytes, reported small and sent without Content-Length, is cut at maxBytes', async () => {
    const s = await host();
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
    const s = await host();
    const file = s.addFile({
      name: 'memo.wav',
      mimetype: 'audio/wav',
      size: 10_000,
      transfer: { stream: () => pattern(64 * MB) },
    });
    // The same bytes, announced: the stand-in gives a length for files from bytes.
    const announced = s.addFile({ name: 'long.wav', mimetype: 'audio/wav', size: 10_000, bytes: Buffer.alloc(3 * MB) });
    const failed = await open(s, announced.url_private_download, { maxBytes: 1 * MB }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DownloadError);
    expect((failed as DownloadError).code).toBe('download_too_large');
    expect(file.size).toBe(10_000);
  });

  it('a file of exactly maxBytes comes through whole', async () => {
    const s = await host();
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
    const s = await host();
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
    const s = await host();
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
    const s = await host();
    omicall = await new OmicallStandIn().start();
    const bytes = Buffer.alloc(6 * MB + 123);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
    const file = s.addFile({ name: 'memo.wav', mimetype: 'audio/wav', bytes });
    const client = createOmicallClient({ baseUrl: `${omicall.apiUrl}/`, apiKey: API_KEY });
    try {
      const download = await open(s, file.url_private_download, { maxBytes: 10 * MB });
      const result = await client.speechToText({
        trackingId: 'T-intact',
        fileName: 'memo.wav',
        contentType: 'audio/wav',
        body: download.body,
        length: download.length,
      });
      expect(result.ok).toBe(true);
      expect(omicall.uploads[0].size).toBe(bytes.length);
      expect(omicall.uploads[0].sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    } finally {
      await client.close();
    }
  });
});

describe('the app and a file bigger than Slack said', () => {
  it('stops at MAX_AUDIO_MB, uploads nothing whole, and says so in the thread', async () => {
    h = await Harness.start({ env: { MAX_AUDIO_MB: '1' } });
    const big = h.slack.addFile({
      name: 'meeting.wav',
      mimetype: 'audio/wav',
      filetype: 'wav',
      size: 10_000,
      transfer: { stream: () => wavStream(64 * MB) },
    });
    const { channel, ts } = await h.share([big]);
    const reply = await waitFor(
      () => h?.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
      8000,
      'failure reply',
    );
    expect(reply.text).toMatch(/larger than the limit of 1 MB/);
    expect(h.omicall.uploads).toEqual([]);
    expect(h.slack.downloads.every((d) => d.outcome === 'cut' && d.sent < 32 * MB)).toBe(true);
  });
});

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
