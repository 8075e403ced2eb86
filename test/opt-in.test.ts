/**
 * Opt-in channels: with the workspace's automatic transcription off, memos are transcribed automatically only in
 * channels that ran `/transcribe on`, and on demand anywhere; `/transcribe status` says which rule applies.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { choiceValue } from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { transcribe } from './helpers/commands.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { chooseSetting } from './helpers/home.ts';
import { postShortcut } from './helpers/slack-requests.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const OPTED_IN = 'C0OPTIN01';
const NEVER_CHOSE = 'C0QUIET01';
const settle = (ms = 600) => new Promise((r) => setTimeout(r, ms));

function memoFile(name: string) {
  return h.slack.addFile({ name, mimetype: 'audio/wav', path: speech('wav') });
}

describe('with automatic transcription off for the workspace (opt-in)', () => {
  beforeEach(async () => {
    await chooseSetting(h, 'auto', choiceValue('radio_buttons', 'off'));
  });

  it('a memo shared in a channel that did not opt in is not transcribed; one in a channel that did is', async () => {
    expect(await transcribe(h, 'on', OPTED_IN)).toMatch(/now \*on\* in this channel/);

    const quiet = memoFile('không-chọn.wav');
    const ignored = await h.share([quiet], { channel: NEVER_CHOSE });
    expect(ignored.res.status).toBe(200);
    const opted = await h.share([memoFile('đã-chọn.wav')], { channel: OPTED_IN });

    await waitFor(() => h.omicall.uploads.some((u) => u.trackingId?.includes(opted.ts)), 8000, 'the opted-in upload');
    await waitFor(() => h.slack.thread(OPTED_IN, opted.ts).length === 1, 5000, 'its reply');
    await settle();
    expect(h.omicall.uploads.filter((u) => u.trackingId?.includes(ignored.ts))).toEqual([]);
    expect(h.slack.thread(NEVER_CHOSE, ignored.ts)).toEqual([]);
    expect(h.slack.reactionsOn(NEVER_CHOSE, ignored.ts)).toEqual([]);
    expect((await h.app.store.keysWith('')).filter((k) => k.includes(ignored.ts))).toEqual([]);

    // On demand, it is transcribed wherever it is.
    await postShortcut(h.url, {
      channel: NEVER_CHOSE,
      ts: ignored.ts,
      files: [quiet],
      responseUrl: `${h.slack.url}/respond/on-demand`,
    });
    await waitFor(
      () => h.omicall.uploads.some((u) => u.trackingId?.includes(ignored.ts)),
      8000,
      'the upload asked for',
    );
  });

  it('/transcribe status says which rule applies in each channel', async () => {
    await transcribe(h, 'on', OPTED_IN);
    await transcribe(h, 'off', 'C0CHOSEOFF');
    expect(await transcribe(h, 'status', NEVER_CHOSE)).toMatch(
      /^Automatic transcription is \*off\* in this channel: this workspace transcribes automatically only in channels that ran `\/transcribe on`\./,
    );
    expect(await transcribe(h, 'status', OPTED_IN)).toMatch(
      /^Automatic transcription is \*on\* in this channel: it ran `\/transcribe on`\./,
    );
    expect(await transcribe(h, 'status', 'C0CHOSEOFF')).toMatch(
      /^Automatic transcription is \*off\* in this channel \(/,
    );
  });

  it('switched back on, channels that never chose are transcribed again; one that chose off stays off', async () => {
    await transcribe(h, 'off', 'C0CHOSEOFF');
    await chooseSetting(h, 'auto', choiceValue('radio_buttons', 'on'));
    expect(await transcribe(h, 'status', NEVER_CHOSE)).toMatch(
      /^Automatic transcription is \*on\* in this channel, as in every channel that did not choose/,
    );
    const shared = await h.share([memoFile('lại-bật.wav')], { channel: NEVER_CHOSE });
    const off = await h.share([memoFile('vẫn-tắt.wav')], { channel: 'C0CHOSEOFF' });
    await waitFor(() => h.omicall.uploads.some((u) => u.trackingId?.includes(shared.ts)), 8000, 'the upload');
    await settle();
    expect(h.omicall.uploads.filter((u) => u.trackingId?.includes(off.ts))).toEqual([]);
  });
});

it('in Vietnamese, status names the opt-in rule too', async () => {
  await chooseSetting(h, 'auto', choiceValue('radio_buttons', 'off'));
  h.slack.userLocales.set('UALICE01', 'vi-VN');
  expect(await transcribe(h, 'status', NEVER_CHOSE)).toMatch(
    /^Chép lời tự động đang \*tắt\* trong kênh này: không gian làm việc này chỉ tự động chép lời/,
  );
});
