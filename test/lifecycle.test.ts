import type { types } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import { botReply, buttonPress, iosVoiceClip } from './fixtures/slack-payloads.ts';
import { durationOf, speech } from './helpers/audio.ts';
import { Harness, host, waitFor } from './helpers/harness.ts';
import { postInteraction, postShortcut } from './helpers/slack-requests.ts';
import type { PostedMessage } from './stand-ins/slack.ts';

let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const SHORT = 'Xin chào.';

async function uploaded(ts: string) {
  return waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'upload');
}

function replyOf(channel: string, ts: string): PostedMessage | undefined {
  return h.slack.thread(channel, ts)[0];
}

function buttonsOf(message: PostedMessage | undefined): string[] {
  const blocks = (message?.blocks ?? []) as types.KnownBlock[];
  return blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.map((e) => ('action_id' in e ? String(e.action_id) : '')) : [],
  );
}

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
    await h.app.replies.idle();
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
    h = await Harness.start({ tuning: { quietMs: 300 } });
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
    h = await Harness.start({ tuning: { quietMs: 300 } });
    const path = speech('wav');
    const seconds = durationOf(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path })]);
    const upload = await uploaded(ts);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: seconds - 1, text: 'trọn vẹn' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 3000, 'the check mark');
    expect(replyOf(channel, ts)?.text.split('\n')[0]).toBe('Transcript of memo.wav · 0:03');
  });

  it('of a converted file, is complete from the length ffmpeg reports', async () => {
    h = await Harness.start({ tuning: { quietMs: 300 } });
    const path = speech('ogg');
    const seconds = durationOf(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'memo.ogg', mimetype: 'audio/ogg', path })]);
    const upload = await uploaded(ts);
    expect(upload.fileName).toMatch(/\.mp3$/);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: seconds, text: 'đã chuyển đổi' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 3000, 'the check mark');
  });
});

describe('a finished transcript can be taken away', () => {
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
    h = await Harness.start({ tuning: { quietMs: 200 } });
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
    h = await Harness.start({ tuning: { quietMs: 200 } });
    const { channel, posted } = await complete();
    h.slack.scopes = h.slack.scopes.filter((s) => s !== 'files:write');
    await press(channel, posted, 'srt', 'no-scope');
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/no-scope')), 5000);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.text).toMatch(/`files:write`/);
    expect(h.slack.uploadedFiles).toEqual([]);
  });
});
