import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('a voice memo shared in a channel', () => {
  it('goes to OMICall byte for byte and its transcript appears in the thread, in spoken order', async () => {
    const wav = speech('wav');
    const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: wav });
    const { channel, ts, res } = await h.share([file]);
    expect(res.status).toBe(200);

    const upload = await waitFor(() => h.omicall.uploads[0], 5000, 'upload');
    expect(upload.sha256).toBe(sha(wav));
    expect(upload.fileName).toMatch(/\.wav$/);
    expect(upload.headers.apikey).toBe('omi-test-key-123456');

    await waitFor(
      () => /Transcribing|was sent to OMICall/.test(h.slack.thread(channel, ts)[0]?.text ?? ''),
      3000,
      'working reply',
    );
    await waitFor(
      () => h.slack.reactionsOn(channel, ts).includes('hourglass_flowing_sand'),
      2000,
      'hourglass reaction',
    );

    const cb = await h.callBack({
      tracking_id: upload.trackingId,
      from: '12.5',
      to: '20',
      text: 'phần hai',
      word_alignment: '[]',
    });
    expect(cb.status).toBe(200);
    await h.callBack([{ tracking_id: upload.trackingId, from: 0, to: 12.5, text: 'Xin chào các bạn' }]);

    const reply = await waitFor(
      () => {
        const r = h.slack.thread(channel, ts);
        return r.length === 1 && r[0].text.includes('phần hai') && r[0].text.includes('Xin chào') ? r[0] : undefined;
      },
      3000,
      'transcript',
    );
    expect(reply.text).toBe('Transcript of memo.wav · 0:03\n[0:00] Xin chào các bạn\n[0:12] phần hai');
    await waitFor(
      () => h.slack.reactionsOn(channel, ts).join() === 'memo',
      2000,
      'the memo reaction instead of the hourglass',
    );
  });
});
