/** The transcript as files: the export buttons of a finished reply, and the upload of a file into the memo's thread. */
import { type types, webApi } from '@slack/bolt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outputFileName, outputFormat, type TranscriptDoc } from '../src/outputs/index.ts';
import { uploadToThread } from '../src/slack/upload.ts';
import { botReply, buttonPress } from './fixtures/slack-payloads.ts';
import { durationOf, speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { buttonsOf } from './helpers/memos.ts';
import { postInteraction, postShortcut } from './helpers/slack-requests.ts';
import { ALL_SCOPES, BOT_ID, BOT_TOKEN, BOT_USER_ID, type PostedMessage, SlackStandIn } from './stand-ins/slack.ts';

describe('a finished transcript can be taken away', () => {
  let h: Harness;

  afterEach(async () => {
    await h?.stop();
  });

  async function uploaded(ts: string) {
    return waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'upload');
  }

  function replyOf(channel: string, ts: string): PostedMessage | undefined {
    return h.slack.thread(channel, ts)[0];
  }

  async function complete() {
    const path = speech('wav');
    const seconds = durationOf(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'họp nhóm.wav', mimetype: 'audio/wav', path })]);
    const upload = await uploaded(ts);
    await h.callBack([
      { tracking_id: upload.trackingId, from: '0', to: '1.2', text: 'Chào cả nhà.' },
      {
        tracking_id: upload.trackingId,
        from: 1.2,
        to: seconds,
        text: 'Họ đồng ý ký hợp đồng vào thứ Hai tuần sau.',
        word_alignment: JSON.stringify([
          { word: 'Họ', start: 1.2, end: 1.4 },
          { word: 'đồng', start: 1.4, end: 1.6 },
        ]),
      },
    ]);
    await waitFor(() => buttonsOf(replyOf(channel, ts)).length === 3, 5000, 'the buttons');
    const posted = replyOf(channel, ts);
    if (!posted) throw new Error('no reply');
    return { channel, ts, posted };
  }

  async function press(channel: string, posted: PostedMessage, format: string, id: string) {
    const message = {
      ...botReply({ ts: posted.ts, text: posted.text, thread_ts: posted.thread_ts }),
      blocks: posted.blocks as types.KnownBlock[],
    };
    const payload = buttonPress({
      message,
      actionId: `export_transcript:${format}`,
      channel: { id: channel, name: 'sales' },
      responseUrl: `${h.slack.url}/respond/${id}`,
    });
    const res = await postInteraction(h.url, payload as unknown as Record<string, unknown>);
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3000);
  }

  it("each button uploads that file into the memo's thread, named after the memo", async () => {
    h = await Harness.start({ timings: { quietMs: 200 } });
    const { channel, ts, posted } = await complete();
    for (const format of ['srt', 'vtt', 'txt']) await press(channel, posted, format, `export-${format}`);
    const files = await waitFor(() => (h.slack.uploadedFiles.length === 3 ? h.slack.uploadedFiles : undefined), 5000);
    for (const f of files) {
      expect(f.channel).toBe(channel);
      expect(f.threadTs).toBe(ts);
    }
    const srt = files.find((f) => f.filename === 'họp nhóm.srt');
    const vtt = files.find((f) => f.filename === 'họp nhóm.vtt');
    const txt = files.find((f) => f.filename === 'họp nhóm.txt');
    const cues = String(srt?.bytes).trim().split(/\n\n/);
    expect(cues.length).toBeGreaterThanOrEqual(2);
    let last = -1;
    for (const [i, cue] of cues.entries()) {
      const [n, times] = cue.split('\n');
      expect(n).toBe(String(i + 1));
      const m = /^(\d\d):(\d\d):(\d\d),(\d{3}) --> (\d\d):(\d\d):(\d\d),(\d{3})$/.exec(times);
      expect(m).not.toBeNull();
      const at = (k: number) =>
        Number(m?.[k]) * 3600 + Number(m?.[k + 1]) * 60 + Number(m?.[k + 2]) + Number(m?.[k + 3]) / 1000;
      expect(at(1)).toBeGreaterThanOrEqual(last);
      expect(at(5)).toBeGreaterThan(at(1));
      last = at(5);
    }
    expect(String(vtt?.bytes)).toMatch(/^WEBVTT\n\n00:00:00\.000 --> 00:00:01\.200\nChào cả nhà\./);
    expect(String(txt?.bytes)).toContain('[0:00] Chào cả nhà.');
    // The file shows in the thread, as a message of the app.
    expect(h.slack.thread(channel, ts).some((m) => (m.files ?? []).length > 0)).toBe(true);
  });

  it('timed words count toward the caps: 4,000 words on a one-letter text are dropped, and the .srt of what is kept stays small', async () => {
    h = await Harness.start({ timings: { quietMs: 200 } });
    const path = speech('wav');
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'họp nhóm.wav', mimetype: 'audio/wav', path })]);
    const upload = await uploaded(ts);
    const words = (n: number, from: number) =>
      Array.from({ length: n }, (_, i) => ({ word: 'x', start: from + i / 1000, end: from + (i + 1) / 1000 }));
    // A body of about 930 KB: its text one letter, its words four thousand.
    const flood = { tracking_id: upload.trackingId, from: 0, to: 2, text: 'x', word_alignment: words(4000, 0) };
    const body = JSON.stringify([flood]);
    expect(body.length).toBeGreaterThan(150_000);
    expect(JSON.parse((await h.callBack(body)).body)).toMatchObject({ accepted: 0, capped: 1 });
    // 1,000 words is the most one segment may carry; with the text, they stay within its 5,000 characters.
    const most = {
      tracking_id: upload.trackingId,
      from: 2,
      to: durationOf(path),
      text: 'x',
      word_alignment: words(1000, 2),
    };
    expect(JSON.parse((await h.callBack([most])).body)).toMatchObject({ accepted: 1, capped: 0 });
    await waitFor(() => buttonsOf(replyOf(channel, ts)).length === 3, 5000, 'the buttons');
    const posted = replyOf(channel, ts);
    if (!posted) throw new Error('no reply');
    await press(channel, posted, 'srt', 'words-srt');
    const [srt] = await waitFor(() => (h.slack.uploadedFiles.length === 1 ? h.slack.uploadedFiles : undefined), 5000);
    // Every cue is a run of the kept words: their characters, plus at most one cue header per word.
    expect(String(srt?.bytes).length).toBeLessThan(1000 * 40);
  });

  it('before it is complete, asking for the memo offers the text so far as files', async () => {
    h = await Harness.start();
    const file = h.slack.addFile({ name: 'dài.mp3', mimetype: 'audio/mpeg', path: speech('mp3') });
    const { channel, ts } = await h.share([file]);
    const upload = await uploaded(ts);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'phần đầu' });
    await waitFor(() => replyOf(channel, ts)?.text.includes('phần đầu'), 3000);
    await postShortcut(h.url, { channel: channel, ts, files: [file], responseUrl: `${h.slack.url}/respond/so-far` });
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/so-far')), 5000);
    expect(answer.body.text).toMatch(/being transcribed already.*download what has arrived so far/);
    expect(JSON.stringify(answer.body)).toContain('export_transcript:srt');
  });

  it('without files:write, the button answers only the person who pressed it, naming the scope', async () => {
    h = await Harness.start({ timings: { quietMs: 200 } });
    const { channel, posted } = await complete();
    h.slack.scopes = h.slack.scopes.filter((s) => s !== 'files:write');
    await press(channel, posted, 'srt', 'no-scope');
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/no-scope')), 5000);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.text).toMatch(/`files:write`/);
    expect(h.slack.uploadedFiles).toEqual([]);
  });
});

describe('uploading a transcript file into a thread', () => {
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
