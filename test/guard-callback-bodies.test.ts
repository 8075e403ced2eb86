import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';

/**
 * The bodies OMICall's webhook accepts (README, "The OMICall webhook"): one segment or an array, `from`/`to` in
 * seconds as numbers or numeric strings; anything else in the body is counted as ignored, and nothing of it is
 * shown. Seen as OMICall sees the answer, and as people see the thread.
 */

let h: Harness;
let memo: { trackingId: string; channel: string; ts: string };
beforeAll(async () => {
  h = await Harness.start();
  const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file]);
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'upload');
  memo = { trackingId: upload.trackingId as string, channel, ts };
});
afterAll(async () => {
  await h.stop();
});

const answer = async (body: unknown) => {
  const res = await h.callBack(body);
  return { status: res.status, body: JSON.parse(res.body) as Record<string, unknown> };
};

describe('callback bodies', () => {
  it('an empty body and one that is not JSON are 400, each with its reason', async () => {
    for (const body of ['', '  \n ']) {
      expect(await answer(body)).toEqual({ status: 400, body: { ok: false, error: 'empty body' } });
    }
    for (const body of ['{"tracking_id":', 'tracking_id=1', '<xml/>']) {
      expect(await answer(body)).toEqual({ status: 400, body: { ok: false, error: 'body is not JSON' } });
    }
  });

  it('items that are not segments are ignored, counted, and show nothing', async () => {
    const id = memo.trackingId;
    const notSegments = [
      null,
      3,
      'text',
      [],
      { tracking_id: 5, from: 0, to: 1, text: 'số' },
      { tracking_id: id, from: 0, to: 1, text: 7 },
      { tracking_id: id, to: 1, text: 'không có from' },
      { tracking_id: id, from: '', to: 1, text: 'from rỗng' },
      { tracking_id: id, from: '  ', to: 1, text: 'from trắng' },
      { tracking_id: id, from: 'abc', to: 1, text: 'from chữ' },
      { tracking_id: id, from: -1, to: 1, text: 'from âm' },
      { tracking_id: id, from: '-0.5', to: 1, text: 'from âm chuỗi' },
      { tracking_id: id, from: 'Infinity', to: 1, text: 'from vô cực' },
      { tracking_id: id, from: true, to: 1, text: 'from đúng' },
      { tracking_id: id, from: null, to: 1, text: 'from null' },
    ];
    expect(await answer(notSegments)).toEqual({ status: 200, body: { ok: true, accepted: 0, ignored: 15 } });
    expect(await answer(null)).toEqual({ status: 200, body: { ok: true, accepted: 0, ignored: 1 } });
    await new Promise((r) => setTimeout(r, 300));
    const text = h.slack.thread(memo.channel, memo.ts)[0]?.text ?? '';
    expect(text).not.toMatch(/\] /);
  });

  it('reads times from numbers and numeric strings; a missing or earlier `to` is the start; text is trimmed', async () => {
    const id = memo.trackingId;
    const seg = (from: unknown, to: unknown, text: string) => ({ tracking_id: id, from, to, text });
    expect((await answer(seg(0, 0, 'ở không'))).body).toMatchObject({ accepted: 1 });
    expect((await answer(seg(' 7 ', '8', '  khoảng trắng  '))).body).toMatchObject({ accepted: 1 });
    // (7, 8) again, written otherwise: the same segment.
    expect((await answer(seg(7, 8.0, 'lặp'))).body).toMatchObject({ accepted: 0, repeated: 1 });
    // `to` missing, not a time, or before `from`: the segment is (from, from).
    expect((await answer(seg(20, 15, 'ngược'))).body).toMatchObject({ accepted: 1 });
    for (const to of [undefined, 'x', -3, '20']) {
      expect((await answer(seg(20, to, 'lại'))).body, `to ${String(to)}`).toMatchObject({ accepted: 0, repeated: 1 });
    }
    // `to` equal to `from` is kept as it is.
    expect((await answer(seg(30, 30, 'bằng'))).body).toMatchObject({ accepted: 1 });
    expect((await answer(seg(30, undefined, 'bằng'))).body).toMatchObject({ repeated: 1 });
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('bằng'), 5000, 'the transcript');
    await h.app.replies.idle();
    expect(h.slack.thread(memo.channel, memo.ts)[0].text).toBe(
      'Transcript of memo.wav · 0:03\n[0:00] ở không\n[0:07] khoảng trắng\n[0:20] ngược\n[0:30] bằng',
    );
  });
});
