import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const wav = (name = 'memo.wav') =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
const failureReply = (channel: string, ts: string) =>
  waitFor(
    () => h.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
    8000,
    'failure reply',
  );

describe('OMICall outages', () => {
  it('retries 5xx with backoff and uploads once', async () => {
    h = await Harness.start();
    h.omicall.answers.push({ kind: 'http', status: 503 }, { kind: 'http', status: 502 });
    const { channel, ts } = await h.share([wav()]);
    const upload = await waitFor(() => h.omicall.uploads[0]);
    expect(h.omicall.attempts).toBe(3);
    expect(h.omicall.uploads).toHaveLength(1);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'cuối cùng cũng được' });
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('cuối cùng cũng được'));
  });

  it('retries a timeout and a reset connection', async () => {
    h = await Harness.start({ tuning: { omicallTimeoutMs: 300 } });
    h.omicall.answers.push({ kind: 'hang', ms: 1500 }, { kind: 'reset' });
    await h.share([wav()]);
    await waitFor(() => h.omicall.uploads[0]);
    expect(h.omicall.attempts).toBe(3);
  });

  it('gives up after a few attempts when OMICall cannot be reached, and says so in the thread', async () => {
    h = await Harness.start({ env: { OMICALL_API_URL: 'http://127.0.0.1:9/api/ai' } });
    const { channel, ts } = await h.share([wav()]);
    const reply = await failureReply(channel, ts);
    expect(reply.text).toMatch(/OMICall could not be reached after 4 attempts \(`connection_refused`/);
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'warning reaction');
  });

  it.each([
    [
      { kind: 'fail', error: 'api_key_invalid', message: 'API key is invalid' },
      /OMICall refused the audio \(`api_key_invalid`\)/,
    ],
    [{ kind: 'fail', error: 'data_is_required', http: 400 }, /OMICall refused the audio \(`data_is_required`\)/],
    [{ kind: 'http', status: 413 }, /OMICall refused the audio \(`http_413`\)/],
  ] as const)('does not retry a refusal (%o) and names it in the thread', async (answer, words) => {
    h = await Harness.start();
    h.omicall.answers.push(answer);
    const { channel, ts } = await h.share([wav()]);
    const reply = await failureReply(channel, ts);
    expect(reply.text).toMatch(words);
    expect(h.omicall.attempts).toBe(1);
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'warning reaction');
  });
});

describe("Slack's file host", () => {
  it('a sign-in page instead of audio is never uploaded; the thread names files:read', async () => {
    h = await Harness.start();
    h.slack.scopes = h.slack.scopes.filter((s) => s !== 'files:read');
    const { channel, ts } = await h.share([wav()]);
    const reply = await failureReply(channel, ts);
    expect(reply.text).toMatch(/sign-in page.*`files:read`.*reinstall/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('a Slack Connect stub is looked up with files.info, then transcribed', async () => {
    h = await Harness.start();
    const real = wav('connect.wav');
    const { ts } = await h.share([{ id: real.id, mode: 'file_access', file_access: 'check_file_info' } as never]);
    const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
    expect(h.slack.callsOf('files.info').map((c) => c.args.file)).toContain(real.id);
    expect(upload.trackingId).toContain(real.id);
  });

  it('a stub that files.info will not describe is told in the thread, not dropped silently', async () => {
    h = await Harness.start();
    h.slack.refuse('files.info', 'file_not_found');
    const { channel, ts } = await h.share([
      { id: 'F0GONE001', mode: 'file_access', file_access: 'check_file_info' } as never,
    ]);
    const notice = await waitFor(() => h.slack.thread(channel, ts)[0]);
    expect(notice.text).toMatch(/could not look at a file shared here \(Slack answered `file_not_found`\).*Transcribe/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('a file over MAX_AUDIO_MB is not downloaded; the thread gives the limit', async () => {
    h = await Harness.start({ env: { MAX_AUDIO_MB: '1' } });
    const big = h.slack.addFile({
      name: 'long-meeting.wav',
      mimetype: 'audio/wav',
      path: speech('wav'),
      size: 2 * 1024 * 1024 + 5,
    });
    const { channel, ts } = await h.share([big]);
    const reply = await failureReply(channel, ts);
    expect(reply.text).toMatch(/2 MB and the limit is 1 MB/);
    expect(h.slack.downloads).toEqual([]);
  });
});

describe('temporary files', () => {
  it('streamed audio never touches the disk; an MP4 waits in a private 0600 file, removed after, also after a failure', async () => {
    const base = mkdtempSync(join(tmpdir(), 'transcriber-tmp-'));
    h = await Harness.start({ tuning: { tmpBase: base } });
    const [folder] = readdirSync(base);
    const dir = join(base, folder);
    expect(folder).toMatch(/^omicall-transcriber-\d+-/);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    h.omicall.uploadDelayMs = 300;

    let seen = 0;
    const watch = setInterval(() => {
      seen += readdirSync(dir).length;
    }, 5);
    const clip = h.slack.addFile({ name: 'clip.webm', mimetype: 'audio/webm', path: speech('webm') });
    await h.share([clip]);
    await waitFor(() => h.omicall.uploads.length === 1, 10_000, 'the WebM upload');
    clearInterval(watch);
    expect(seen).toBe(0);

    const video = h.slack.addFile({ name: 'clip.mp4', mimetype: 'video/mp4', path: speech('mp4') });
    await h.share([video]);
    const mode = await waitFor(
      () => {
        const [file] = readdirSync(dir);
        return file ? statSync(join(dir, file)).mode & 0o777 : undefined;
      },
      5000,
      'the MP4 on disk',
    );
    expect(mode).toBe(0o600);
    await waitFor(() => h.omicall.uploads.length === 2, 10_000, 'the MP4 upload');
    await waitFor(() => readdirSync(dir).length === 0, 3000, 'temp file removed');

    const broken = h.slack.addFile({
      name: 'broken.mp4',
      mimetype: 'video/mp4',
      bytes: Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42\0\0\0\0mp42isom', 'latin1'), Buffer.alloc(5000, 7)]),
    });
    const { channel, ts } = await h.share([broken]);
    const reply = await failureReply(channel, ts);
    expect(reply.text).toMatch(/not audio OMICall can take, and it could not be converted/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('stopping with work unfinished', () => {
  it('tells the thread of a file still in flight at the deadline that it must be asked again', async () => {
    h = await Harness.start({ tuning: { drainMs: 300 } });
    h.omicall.uploadDelayMs = 5000;
    const { channel, ts } = await h.share([wav()]);
    await waitFor(() => h.omicall.inFlight > 0);
    await h.app.stop();
    const reply = h.slack.thread(channel, ts).at(-1);
    expect(reply?.text).toMatch(/the app restarted before the file reached OMICall.*Transcribe shortcut/);
    expect(h.slack.reactionsOn(channel, ts)).toEqual(['warning']);
  });
});

it('a memo shared while the app is stopping is told to be asked again', async () => {
  h = await Harness.start();
  h.app.pipeline.intake.stop();
  const { channel, ts } = await h.share([wav('late.wav')]);
  const notice = await waitFor(() => h.slack.thread(channel, ts)[0]);
  expect(notice.text).toMatch(/restarting when \*late\.wav\* was shared.*Transcribe/);
  expect(h.omicall.attempts).toBe(0);
});
