import { afterEach, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand } from './helpers/slack-requests.ts';

let h: Harness;
afterEach(async () => {
  await h.stop();
});

let seq = 0;
async function ask(text: string, user: string): Promise<string> {
  const id = `lang-${++seq}`;
  const res = await postCommand(h.url, {
    text,
    user_id: user,
    channel_id: 'C0SALES01',
    response_url: `${h.slack.url}/respond/${id}`,
  });
  if (res.body) return (JSON.parse(res.body) as { text: string }).text;
  return (await waitFor(() => h.slack.responses.find((r) => r.path.endsWith(`/${id}`)))).body.text ?? '';
}

describe("the team's language", () => {
  it('APP_LANGUAGE=vi gives Vietnamese thread replies, failures included', async () => {
    h = await Harness.start({ env: { APP_LANGUAGE: 'vi' } });
    const { channel, ts } = await h.share([
      h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') }),
    ]);
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.startsWith('Đã gửi memo.wav tới OMICall'), 3000);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xin chào' });
    await waitFor(
      () => h.slack.thread(channel, ts)[0]?.text.startsWith('Bản chép lời của memo.wav · 0:03\n[0:00] xin chào'),
      3000,
    );

    h.omicall.answers.push({ kind: 'fail', error: 'api_key_invalid' });
    const second = await h.share([h.slack.addFile({ name: 'b.wav', mimetype: 'audio/wav', path: speech('wav') })]);
    const failed = await waitFor(() =>
      h.slack.thread(second.channel, second.ts).find((m) => m.text.startsWith('Không thể chép lời')),
    );
    expect(failed.text).toBe('Không thể chép lời b.wav: OMICall đã từ chối tệp âm thanh (`api_key_invalid`).');
  });

  it("private answers follow each person's Slack locale: Vietnamese for vi-VN, English for en-US", async () => {
    h = await Harness.start();
    h.slack.userLocales.set('ULAN00001', 'vi-VN');
    h.slack.userLocales.set('UALICE01', 'en-US');
    expect(await ask('off', 'ULAN00001')).toMatch(/^Đã \*tắt\* chép lời tự động trong kênh này/);
    expect(await ask('on', 'UALICE01')).toMatch(/^Automatic transcription is now \*on\*/);
    expect(await ask('status', 'ULAN00001')).toMatch(/^Chép lời tự động đang \*bật\*|đang \*bật\*/);
    // The thread stays in the app's language (English by default) whoever asked.
    const users = h.slack.callsOf('users.info').map((c) => c.args);
    expect(users.every((a) => a.include_locale === true || a.include_locale === 'true')).toBe(true);
  });

  it('falls back to APP_LANGUAGE without users:read, and anyone can choose with /transcribe language', async () => {
    h = await Harness.start({ env: { APP_LANGUAGE: 'vi' } });
    h.slack.scopes = h.slack.scopes.filter((s) => s !== 'users:read');
    expect(await ask('help', 'UALICE01')).toMatch(/chuyển tin nhắn thoại thành văn bản/);
    expect(await ask('language en', 'UALICE01')).toMatch(/^From now on I answer you in English/);
    expect(await ask('help', 'UALICE01')).toMatch(/turns voice memos into text/);
    expect(await ask('language auto', 'UALICE01')).toMatch(/ngôn ngữ Slack của bạn/);
    expect(await ask('help', 'UBOB0001')).toMatch(/chuyển tin nhắn thoại thành văn bản/);
  });
});
