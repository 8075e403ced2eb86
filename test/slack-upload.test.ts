import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outputFileName, outputFormat, type TranscriptDoc } from '../src/outputs/index.ts';
import { uploadToThread } from '../src/slack/upload.ts';
import { ALL_SCOPES, BOT_ID, BOT_TOKEN, BOT_USER_ID, SlackStandIn } from './stand-ins/slack.ts';

let slack: SlackStandIn;
let client: webApi.WebClient;

beforeAll(async () => {
  slack = await new SlackStandIn().start();
  // The app's own client: real HTTP to the local Slack; retries off so that a failure shows at once.
  client = new webApi.WebClient(BOT_TOKEN, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    logLevel: webApi.LogLevel.ERROR,
  });
});

afterAll(async () => {
  await slack.close();
});

beforeEach(() => {
  slack.scopes = [...ALL_SCOPES];
  slack.privateChannels.clear();
});

/** A memo in a channel, as the thread parent. */
function memo(channel: string) {
  return slack.addUserMessage({ channel, ts: slack.nextTs(), user: 'U0ALICE', text: '', files: [] });
}

const doc: TranscriptDoc = {
  fileName: 'Cuộc họp sáng.m4a',
  durationSeconds: 42,
  segments: [
    { from: 0, to: 11.5, text: 'Chào cả nhà, mình vừa gặp khách hàng xong.' },
    { from: 12, to: 20, text: 'Họ đồng ý ký hợp đồng vào thứ Hai tuần sau & <sẽ gửi> bản cuối.' },
  ],
};

describe('uploading a transcript file into a thread', () => {
  it("goes through Slack's current flow and shows the file in the memo's thread", async () => {
    const channel = 'C0UPLOAD1';
    const parent = memo(channel);
    const srt = outputFormat('srt');
    if (!srt) throw new Error('no srt');
    const content = srt.render(doc);
    const filename = outputFileName(doc, srt);

    const result = await uploadToThread(client, { channel, threadTs: parent.ts, filename, title: filename, content });

    if (!result.ok) throw new Error(`upload failed: ${result.error}`);
    // Slack's three steps, and never the retired files.upload.
    expect(slack.calls.map((c) => c.method).filter((m) => m.startsWith('files.'))).toEqual([
      'files.getUploadURLExternal',
      'files.completeUploadExternal',
    ]);
    expect(slack.callsOf('files.upload')).toHaveLength(0);
    const [ticket] = slack.callsOf('files.getUploadURLExternal');
    // The length is in bytes (Vietnamese letters take two or three), not characters.
    expect(ticket?.args).toMatchObject({ filename: 'Cuộc họp sáng.srt', length: String(Buffer.byteLength(content)) });
    expect(Buffer.byteLength(content)).toBeGreaterThan(content.length);

    const [complete] = slack.callsOf('files.completeUploadExternal');
    expect(complete?.args).toMatchObject({
      channel_id: channel,
      thread_ts: parent.ts,
      files: [{ id: result.fileId, title: 'Cuộc họp sáng.srt' }],
    });

    const [uploaded] = slack.uploadedFiles;
    expect(uploaded).toMatchObject({
      fileId: result.fileId,
      filename: 'Cuộc họp sáng.srt',
      title: 'Cuộc họp sáng.srt',
      channel,
      threadTs: parent.ts,
    });
    expect(uploaded?.bytes.equals(Buffer.from(content, 'utf8'))).toBe(true);
    expect(uploaded?.bytes.toString('utf8')).toContain('Họ đồng ý ký hợp đồng');

    // What people in the thread see: a message from the app with the file.
    const replies = slack.thread(channel, parent.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ user: BOT_USER_ID, bot_id: BOT_ID });
    expect(replies[0]?.files).toEqual([expect.objectContaining({ id: result.fileId, name: 'Cuộc họp sáng.srt' })]);
    // And the file can be fetched back as it was sent.
    const info = await client.files.info({ file: result.fileId });
    const download = await fetch(String(info.file?.url_private_download), {
      headers: { authorization: `Bearer ${BOT_TOKEN}` },
    });
    expect(await download.text()).toBe(content);
  });

  it('sends bytes as they are', async () => {
    const channel = 'C0UPLOAD2';
    const parent = memo(channel);
    const bytes = Buffer.from([0xef, 0xbb, 0xbf, 0x57, 0x45, 0x42, 0x56, 0x54, 0x54, 0x0a, 0x00, 0xff]);
    const before = slack.uploadedFiles.length;

    const result = await uploadToThread(client, {
      channel,
      threadTs: parent.ts,
      filename: 'memo.vtt',
      title: 'memo.vtt',
      content: bytes,
    });

    expect(result).toEqual({ ok: true, fileId: expect.any(String) });
    expect(slack.uploadedFiles.slice(before)).toEqual([
      expect.objectContaining({ filename: 'memo.vtt', channel, threadTs: parent.ts, bytes }),
    ]);
    expect(slack.thread(channel, parent.ts)).toHaveLength(1);
  });

  it('without files:write names the missing scope and uploads nothing', async () => {
    slack.scopes = ALL_SCOPES.filter((s) => s !== 'files:write');
    const channel = 'C0UPLOAD3';
    const parent = memo(channel);
    const before = slack.uploadedFiles.length;

    const result = await uploadToThread(client, {
      channel,
      threadTs: parent.ts,
      filename: 'memo.txt',
      title: 'memo.txt',
      content: 'x',
    });

    expect(result).toEqual({ ok: false, error: 'missing_scope', neededScope: 'files:write' });
    expect(slack.errors).toContainEqual({ method: 'files.getUploadURLExternal', error: 'missing_scope' });
    expect(slack.callsOf('files.completeUploadExternal').filter((c) => c.args.channel_id === channel)).toHaveLength(0);
    expect(slack.uploadedFiles.length).toBe(before);
    expect(slack.thread(channel, parent.ts)).toHaveLength(0);
  });

  it("gives Slack's error name when the file cannot be shared there", async () => {
    const channel = 'C0UPLOAD4';
    slack.privateChannels.add(channel);
    const parent = memo(channel);

    const result = await uploadToThread(client, {
      channel,
      threadTs: parent.ts,
      filename: 'memo.txt',
      title: 'memo.txt',
      content: 'xin chào',
    });

    expect(result).toEqual({ ok: false, error: 'not_in_channel' });
    expect(slack.thread(channel, parent.ts)).toHaveLength(0);
  });

  it('says the request failed when Slack cannot be reached', async () => {
    const gone = new webApi.WebClient(BOT_TOKEN, {
      slackApiUrl: 'http://127.0.0.1:9/api/',
      retryConfig: { retries: 0 },
      logLevel: webApi.LogLevel.ERROR,
    });
    const result = await uploadToThread(gone, {
      channel: 'C0UPLOAD5',
      threadTs: '1.000001',
      filename: 'memo.txt',
      title: 'memo.txt',
      content: 'x',
    });
    expect(result).toMatchObject({ ok: false, error: 'request_failed', detail: expect.any(String) });
  });
});

describe("the local Slack's upload methods", () => {
  it('require filename and length, as Slack documents', async () => {
    for (const args of [{ filename: 'memo.txt' }, { length: 3 }, { filename: 'memo.txt', length: 'three' }]) {
      const answer = await fetch(`${slack.apiUrl}files.getUploadURLExternal`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(args),
      }).then((r) => r.json());
      expect(answer).toEqual({ ok: false, error: 'invalid_arguments' });
    }
  });

  it('take raw bytes at the upload URL, and refuse a complete call for bytes that never came', async () => {
    const call = (method: string, args: Record<string, unknown>) =>
      fetch(`${slack.apiUrl}${method}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify(args),
      }).then((r) => r.json() as Promise<Record<string, unknown>>);
    const bytes = Buffer.from('WEBVTT\n');

    const early = await call('files.getUploadURLExternal', { filename: 'early.vtt', length: bytes.length });
    expect(await call('files.completeUploadExternal', { files: [{ id: early.file_id }] })).toEqual({
      ok: false,
      error: 'file_not_found',
    });

    const ticket = await call('files.getUploadURLExternal', { filename: 'raw.vtt', length: bytes.length });
    expect(ticket).toMatchObject({
      ok: true,
      upload_url: expect.stringContaining('/upload/'),
      file_id: expect.any(String),
    });
    const tooLong = await fetch(String(ticket.upload_url), { method: 'POST', body: Buffer.from('WEBVTT\n\nmore') });
    expect(tooLong.status).toBe(400);
    const posted = await fetch(String(ticket.upload_url), { method: 'POST', body: bytes });
    expect(posted.status).toBe(200);
    const done = await call('files.completeUploadExternal', { files: [{ id: ticket.file_id }] });
    expect(done).toMatchObject({ ok: true, files: [{ id: ticket.file_id, title: 'raw.vtt' }] });
    // No channel: the file stays private; no message anywhere.
    expect(slack.uploadedFiles.at(-1)).toEqual({
      fileId: ticket.file_id,
      filename: 'raw.vtt',
      title: 'raw.vtt',
      bytes,
    });
    expect(slack.messages.some((m) => m.files?.some((f) => (f as { id?: unknown }).id === ticket.file_id))).toBe(false);
  });
});
