/**
 * The Transcribe message shortcut: what it transcribes, where the transcript goes, and what the person who used it is
 * told.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deletedFile, hiddenFile, messageShortcut } from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postInteraction } from './helpers/slack-requests.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
});
afterEach(async () => {
  await h.stop();
});

const CHANNEL = 'C0SALES01';
let responseSeq = 0;

/** A memo already in the channel's history, shared before the app was asked. */
function oldMemo(channel = CHANNEL, thread_ts?: string) {
  const file = h.slack.addFile({ name: 'old-memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
  const ts = h.slack.nextTs();
  h.slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file], ...(thread_ts ? { thread_ts } : {}) });
  return { file, ts };
}

describe('the Transcribe message shortcut', () => {
  const shortcut = (message: Record<string, unknown>) => {
    const responseUrl = `${h.slack.url}/respond/${++responseSeq}`;
    return postInteraction(h.url, {
      type: 'message_action',
      callback_id: 'transcribe_message',
      trigger_id: 't.1',
      action_ts: '1.2',
      message_ts: message.ts,
      response_url: responseUrl,
      token: 'legacy',
      team: { id: 'T0001', domain: 'acme' },
      user: { id: 'UALICE01', name: 'alice' },
      channel: { id: CHANNEL, name: 'sales' },
      message: { type: 'message', user: 'UALICE01', ...message },
    }).then(async (res) => {
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);
      const id = responseSeq;
      return (await waitFor(() => h.slack.responses.find((r) => r.path.endsWith(`/${id}`)))).body;
    });
  };

  it('transcribes the audio of a message in a thread into that thread', async () => {
    const memo = oldMemo(CHANNEL, '1699999999.000100');
    const answer = await shortcut({ ts: memo.ts, thread_ts: '1699999999.000100', files: [memo.file] });
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('Transcribing');
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await h.callBack({ tracking_id: upload.trackingId, from: 1, to: 2, text: 'xin chào' });
    await waitFor(() => h.slack.thread(CHANNEL, '1699999999.000100').find((m) => m.text.includes('xin chào')));
  });

  it('answers that there is nothing to transcribe on a message without audio', async () => {
    const pdf = h.slack.addFile({ name: 'report.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4') });
    const answer = await shortcut({ ts: h.slack.nextTs(), text: 'see attached', files: [pdf] });
    expect(answer.text).toMatch(/no audio/);
    expect(h.omicall.attempts).toBe(0);
  });

  it('on a memo transcribed automatically, does not upload it again', async () => {
    const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { ts } = await h.share([file]);
    await waitFor(() => h.omicall.uploads.length === 1);
    const answer = await shortcut({ ts, files: [file] });
    expect(answer.text).toMatch(/is being transcribed already/);
    expect(h.omicall.attempts).toBe(1);
  });

  it('the shortcut on a message whose files are hidden or deleted says there is no audio, and claims nothing', async () => {
    const ts = h.slack.nextTs();
    const message = { type: 'message' as const, user: 'UALICE01', ts, text: '', files: [hiddenFile(), deletedFile()] };
    const payload = messageShortcut({
      message: message as never,
      channel: { id: 'C0PAYLOAD1', name: 'payloads' },
      responseUrl: `${h.slack.url}/respond/hidden`,
    });
    h.slack.addUserMessage({ channel: 'C0PAYLOAD1', ts, user: 'UALICE01' });
    await postInteraction(h.url, payload as unknown as Record<string, unknown>);
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/hidden')), 5000);
    expect(answer.body.text).toMatch(/no audio/);
    expect(h.omicall.attempts).toBe(0);
    expect(h.slack.messages.filter((m) => m.bot_id && m.channel === 'C0PAYLOAD1')).toEqual([]);
  });
});
