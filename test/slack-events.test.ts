import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { eventEnvelope, fileShareEvent, postEvent, postSigned } from './helpers/slack-requests.ts';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.stop();
});

const wavFile = (name = 'memo.wav') =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('requests from Slack', () => {
  it('refuses unsigned, forged and stale requests, and uploads nothing', async () => {
    const body = eventEnvelope(fileShareEvent({ channel: 'C0SALES01', ts: h.slack.nextTs(), files: [wavFile()] }));
    const attempts = h.omicall.attempts;
    expect((await postSigned(h.url, body, 'application/json', { signature: 'v0=00' })).status).toBe(401);
    expect(
      (await postSigned(h.url, body, 'application/json', { secret: 'ffffffffffffffffffffffffffffffff' })).status,
    ).toBe(401);
    expect(
      (await postSigned(h.url, body, 'application/json', { timestamp: Math.floor(Date.now() / 1000) - 60 * 10 }))
        .status,
    ).toBe(401);
    await settle();
    expect(h.omicall.attempts).toBe(attempts);
  });

  it('acknowledges a signed event well within 3 s, before any transfer', async () => {
    h.omicall.uploadDelayMs = 1000;
    try {
      const { res, ts } = await h.share([wavFile()]);
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(1000);
      await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
    } finally {
      h.omicall.uploadDelayMs = 0;
    }
  });
});

describe('which files', () => {
  it('ignores PDFs and images without a word', async () => {
    const pdf = h.slack.addFile({
      name: 'report.pdf',
      mimetype: 'application/pdf',
      filetype: 'pdf',
      bytes: Buffer.from('%PDF-1.4 …'),
    });
    const png = h.slack.addFile({
      name: 'photo.png',
      mimetype: 'image/png',
      filetype: 'png',
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    const attempts = h.omicall.attempts;
    const { channel, ts, res } = await h.share([pdf, png]);
    expect(res.status).toBe(200);
    await settle();
    expect(h.omicall.attempts).toBe(attempts);
    expect(h.slack.downloads.some((d) => d.path.includes(pdf.id) || d.path.includes(png.id))).toBe(false);
    expect(h.slack.thread(channel, ts)).toEqual([]);
    expect(h.slack.reactionsOn(channel, ts)).toEqual([]);
  });

  it('makes each audio file of a message its own job, each reply labelled with its name', async () => {
    const a = wavFile('first.wav');
    const b = h.slack.addFile({ name: 'second.mp3', mimetype: 'audio/mpeg', filetype: 'mp3', path: speech('mp3') });
    const pdf = h.slack.addFile({ name: 'agenda.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF') });
    const { channel, ts } = await h.share([a, pdf, b]);
    const uploads = await waitFor(() => {
      const mine = h.omicall.uploads.filter((u) => u.trackingId?.includes(ts));
      return mine.length === 2 ? mine : undefined;
    });
    expect(new Set(uploads.map((u) => u.trackingId)).size).toBe(2);
    for (const [i, u] of uploads.entries())
      await h.callBack({ tracking_id: u.trackingId, from: 0, to: 1, text: `tệp ${i}` });
    const replies = await waitFor(() => {
      const r = h.slack.thread(channel, ts);
      return r.length === 2 && r.every((m) => m.text.includes('tệp')) ? r : undefined;
    });
    expect(replies.map((r) => r.text.split('\n')[0].replace(/ · \d+:\d+$/, '')).sort()).toEqual([
      'Transcript of first.wav',
      'Transcript of second.mp3',
    ]);
  });

  it('ignores the messages the app posted itself', async () => {
    const attempts = h.omicall.attempts;
    const res = await postEvent(
      h.url,
      fileShareEvent({
        channel: 'C0SALES01',
        ts: h.slack.nextTs(),
        files: [wavFile()],
        bot_id: 'BBOT0001',
        user: 'UBOT0001',
      }),
    );
    expect(res.status).toBe(200);
    await settle();
    expect(h.omicall.attempts).toBe(attempts);
  });

  it.each([
    ['a DM', 'D0DIRECT1', 'im'],
    ['a private channel', 'G0PRIVATE', 'group'],
    ['a group DM', 'G0MPIM001', 'mpim'],
    ['a public channel', 'C0PUBLIC1', 'channel'],
  ])('works in %s', async (_label, channel, channelType) => {
    const file = wavFile();
    const ts = h.slack.nextTs();
    const res = await postEvent(h.url, fileShareEvent({ channel, ts, files: [file], channel_type: channelType }));
    expect(res.status).toBe(200);
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.startsWith(`${channel}_${ts}`)));
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: `xin chào ${channelType}` });
    await waitFor(() => h.slack.thread(channel, ts).find((m) => m.text.includes(`xin chào ${channelType}`)));
  });
});

describe('the bot token', () => {
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
