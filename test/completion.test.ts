/**
 * When a transcript is complete (its end reached, then a quiet moment), and what the thread says when OMICall sends
 * none in time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { check, reachesEnd } from '../src/pipeline/completion.ts';
import type { JobRecord } from '../src/records/job.ts';
import { iosVoiceClip } from './fixtures/slack-payloads.ts';
import { durationOf, speech } from './helpers/audio.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { buttonsOf } from './helpers/memos.ts';
import { postShortcut } from './helpers/slack-requests.ts';
import type { PostedMessage } from './stand-ins/slack.ts';

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

const SHORT = 'Xin chào.';

describe('no callback, no silence', () => {
  it('says so in the thread once the time-out passes, and a late callback still lands and replaces the warning', async () => {
    h = await Harness.start({ env: { CALLBACK_TIMEOUT_S: '1' } });
    const path = speech('wav', SHORT);
    const seconds = durationOf(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'quiet.wav', mimetype: 'audio/wav', path })]);
    const upload = await uploaded(ts);
    const started = Date.now();
    const warning = await waitFor(
      () => (replyOf(channel, ts)?.text.includes('has sent no transcript') ? replyOf(channel, ts) : undefined),
      15_000,
      'the time-out warning',
    );
    // CALLBACK_TIMEOUT_S plus twice the audio's length.
    expect(Date.now() - started).toBeGreaterThan(1000 + 2 * seconds * 1000 - 500);
    expect(warning.text).toMatch(/OMICall has sent no transcript of quiet\.wav after \d+ minutes?.*Transcribe/);
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'warning', 2000, 'the warning reaction');

    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'đến muộn' });
    await waitFor(() => replyOf(channel, ts)?.text.includes('đến muộn'), 3000, 'the late transcript');
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() !== 'warning', 2000, 'the warning gone');
    expect(h.slack.thread(channel, ts)).toHaveLength(1);
  }, 30_000);

  it('lets the memo be asked for again after the time-out: a new attempt, a new tracking ID', async () => {
    h = await Harness.start({ env: { CALLBACK_TIMEOUT_S: '1' } });
    const file = h.slack.addFile({ name: 'again.wav', mimetype: 'audio/wav', path: speech('wav', SHORT) });
    const { channel, ts } = await h.share([file]);
    const first = await uploaded(ts);
    await waitFor(() => replyOf(channel, ts)?.text.includes('has sent no transcript'), 15_000, 'the time-out');
    const res = await postShortcut(h.url, {
      channel: channel,
      ts,
      files: [file],
      responseUrl: `${h.slack.url}/respond/again`,
    });
    expect(res.status).toBe(200);
    const second = await waitFor(
      () => h.omicall.uploads.find((u) => u.trackingId?.includes(ts) && u !== first),
      10_000,
    );
    expect(second.trackingId).not.toBe(first.trackingId);
    expect(h.slack.thread(channel, ts)).toHaveLength(1);
    // The first attempt, late, is now refused (409): the thread belongs to the new one.
    const late = await h.callBack({ tracking_id: first.trackingId, from: 0, to: 1, text: 'lần trước' });
    expect(late.status).toBe(409);
    await h.app.pipeline.replies.idle();
    expect(
      h.slack
        .thread(channel, ts)
        .map((m) => m.text)
        .join('\n'),
    ).not.toContain('lần trước');
  }, 30_000);
});

describe('a transcript that finishes', () => {
  it("is complete once the segments reach the end of Slack's duration_ms and a quiet moment passes", async () => {
    h = await Harness.start({ timings: { quietMs: 300 } });
    const path = speech('m4a');
    const ms = Math.round(durationOf(path) * 1000);
    const clip = host(h, iosVoiceClip(h.slack.url, { duration_ms: ms }), { path });
    const { channel, ts } = await h.share([clip]);
    const upload = await uploaded(ts);
    expect(upload.fileName).toMatch(/\.m4a$/);

    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1.5, text: 'đoạn đầu' });
    await waitFor(() => replyOf(channel, ts)?.text.includes('đoạn đầu'), 3000);
    await new Promise((r) => setTimeout(r, 600));
    expect(h.slack.reactionsOn(channel, ts)).toEqual(['memo']);
    expect(buttonsOf(replyOf(channel, ts))).toEqual([]);

    await h.callBack({ tracking_id: upload.trackingId, from: 1.5, to: ms / 1000, text: 'đoạn cuối' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 3000, 'the check mark');
    const reply = replyOf(channel, ts);
    expect(reply?.text.split('\n')[0]).toBe(`Transcript of audio_message.m4a · 0:0${Math.floor(ms / 1000)}`);
    expect(JSON.stringify(reply?.blocks)).toContain('Complete');
    expect(buttonsOf(reply)).toEqual(['export_transcript:txt', 'export_transcript:srt', 'export_transcript:vtt']);

    await h.callBack({ tracking_id: upload.trackingId, from: 5, to: 6, text: 'thêm nữa' });
    await waitFor(() => replyOf(channel, ts)?.text.includes('thêm nữa'), 3000, 'a later segment');
    expect(h.slack.reactionsOn(channel, ts)).toEqual(['white_check_mark']);
  });

  it("is complete from the audio's own length when Slack gives none (the WAV header)", async () => {
    h = await Harness.start({ timings: { quietMs: 300 } });
    const path = speech('wav');
    const seconds = durationOf(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path })]);
    const upload = await uploaded(ts);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: seconds - 0.2, text: 'trọn vẹn' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 3000, 'the check mark');
    expect(replyOf(channel, ts)?.text.split('\n')[0]).toBe('Transcript of memo.wav · 0:04');
  });

  it('of a 3.5 s memo is not complete after a first passage that ends at 1.5 s, and is after its last', async () => {
    h = await Harness.start({ timings: { quietMs: 300 } });
    const path = speech('m4a');
    const clip = host(h, iosVoiceClip(h.slack.url, { duration_ms: 3500 }), { path });
    const { channel, ts } = await h.share([clip]);
    const upload = await uploaded(ts);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1.5, text: 'nửa đầu' });
    await waitFor(() => replyOf(channel, ts)?.text.includes('nửa đầu'), 3000);
    await new Promise((r) => setTimeout(r, 900));
    expect(h.slack.reactionsOn(channel, ts)).toEqual(['memo']);
    expect(buttonsOf(replyOf(channel, ts))).toEqual([]);
    // 3.2 s is outside a tenth of 3.5 s; 3.2–3.4 ends within it.
    await h.callBack({ tracking_id: upload.trackingId, from: 1.5, to: 3.1, text: 'gần hết' });
    await new Promise((r) => setTimeout(r, 900));
    expect(h.slack.reactionsOn(channel, ts)).toEqual(['memo']);
    await h.callBack({ tracking_id: upload.trackingId, from: 3.1, to: 3.4, text: 'hết' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 3000, 'the check mark');
  });

  it('whose text never reaches the end is complete once it stayed quiet long enough', async () => {
    h = await Harness.start({ timings: { quietMs: 300, longQuietMs: 1500 } });
    const path = speech('m4a');
    const clip = host(h, iosVoiceClip(h.slack.url, { duration_ms: 60_000 }), { path });
    const { channel, ts } = await h.share([clip]);
    const upload = await uploaded(ts);
    const sent = Date.now();
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 10, text: 'chỉ có đầu' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 5000, 'the check mark');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1400);
  });

  it('of a converted file, is complete from the length ffmpeg reports', async () => {
    h = await Harness.start({ timings: { quietMs: 300 } });
    const path = speech('ogg');
    const seconds = durationOf(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'memo.ogg', mimetype: 'audio/ogg', path })]);
    const upload = await uploaded(ts);
    expect(upload.fileName).toMatch(/\.mp3$/);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: seconds, text: 'đã chuyển đổi' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 3000, 'the check mark');
  });
});

describe('the completion rule', () => {
  const rules = { quietMs: 20_000, longQuietMs: 600_000, callbackTimeoutMs: 900_000 };
  const job = (o: Partial<JobRecord>): JobRecord =>
    ({ state: 'receiving', lastSegmentAt: 0, durationSeconds: 3.5, ...o }) as JobRecord;

  it('the end is reached within 2 s, or a tenth of the audio when that is less, never in its first half', () => {
    expect(reachesEnd([{ to: 1.5 }], 3.5)).toBe(false);
    expect(reachesEnd([{ to: 3.14 }], 3.5)).toBe(false);
    expect(reachesEnd([{ to: 3.16 }], 3.5)).toBe(true);
    expect(reachesEnd([{ to: 58 }], 60)).toBe(true);
    expect(reachesEnd([{ to: 57.9 }], 60)).toBe(false);
    expect(reachesEnd([{ to: 1.4 }], 1.5)).toBe(true);
    expect(reachesEnd([{ to: 1.3 }], 1.5)).toBe(false);
    expect(reachesEnd([{ to: 0.75 }], 1.5)).toBe(false);
    expect(reachesEnd([], 1)).toBe(false);
  });

  it('complete after the quiet once the end is reached, after the long quiet whatever the text, else later', () => {
    const ended = [{ from: 0, to: 3.4, text: 'x' }];
    const half = [{ from: 0, to: 1.5, text: 'x' }];
    expect(check(job({}), ended, 19_999, rules)).toEqual({ kind: 'later', at: 20_000 });
    expect(check(job({}), ended, 20_000, rules)).toEqual({ kind: 'complete' });
    expect(check(job({}), half, 20_000, rules)).toEqual({ kind: 'later', at: 600_000 });
    expect(check(job({}), half, 600_000, rules)).toEqual({ kind: 'complete' });
    expect(check(job({ durationSeconds: undefined }), ended, 20_000, rules)).toEqual({ kind: 'later', at: 600_000 });
  });

  it('a job the provider has and that got no text times out after the time-out and twice its length', () => {
    const waiting = job({ state: 'waiting', acceptedAt: 1000, durationSeconds: 10 });
    expect(check(waiting, [], 1000 + 900_000 + 19_999, rules)).toEqual({ kind: 'later', at: 1000 + 920_000 });
    expect(check(waiting, [], 1000 + 920_000, rules)).toEqual({ kind: 'time-out' });
    expect(check(job({ state: 'complete' }), [], 0, rules)).toEqual({ kind: 'done' });
  });
});
