import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import type { UploadAnswer } from './stand-ins/omicall.ts';

/**
 * OMICall's answers to an upload (README, step 6): its envelope (`status_code` 9999 / -9999, often with HTTP
 * 200), 5xx, 408 and 429 retried, other statuses from 300 up and -9999 refused with their error name, a 2xx
 * without an envelope taken as success. Seen as people see the thread and as OMICall counts the attempts.
 */

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ tuning: { retryDelaysMs: [30] } });
});
afterAll(async () => {
  await h.stop();
});

/** Shares a memo with OMICall answering `answers`; what its thread then says, and how many attempts it took. */
async function outcome(...answers: UploadAnswer[]) {
  h.omicall.answers.push(...answers);
  const before = h.omicall.attempts;
  const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file]);
  const text = await waitFor(
    () => {
      const t = h.slack.thread(channel, ts)[0]?.text ?? '';
      return /was sent to OMICall|Could not transcribe/.test(t) ? t : undefined;
    },
    8000,
    'the outcome',
  );
  return { text, attempts: h.omicall.attempts - before };
}

const SENT = /was sent to OMICall/;
const http = (status: number, body?: string): UploadAnswer => ({ kind: 'http', status, body });

describe("OMICall's answer to an upload", () => {
  it.each([
    ['an empty 200', http(200, '')],
    ['a 200 that is not JSON', http(200, 'OK')],
    ['a 200 with JSON null', http(200, 'null')],
    ['a 200 envelope of 9999', http(200, '{"status_code":9999,"payload":"queued"}')],
    ['a 299', http(299, '')],
  ])('%s is success, sent once', async (_, answer) => {
    const { text, attempts } = await outcome(answer);
    expect(text).toMatch(SENT);
    expect(attempts).toBe(1);
  });

  it.each([
    ['-9999 without an error name', http(200, '{"status_code":-9999,"payload":{}}'), 'unknown_error'],
    [
      '-9999 with an error that is not text',
      http(200, '{"status_code":-9999,"payload":{"error":42}}'),
      'unknown_error',
    ],
    ['-9999 as a string', http(200, '{"status_code":"-9999","payload":{"error":"quota_exceeded"}}'), 'quota_exceeded'],
    ['-9999 with a payload that is not an object', http(200, '{"status_code":-9999,"payload":"x"}'), 'unknown_error'],
    ['-9999 with a null payload', http(200, '{"status_code":-9999,"payload":null}'), 'unknown_error'],
    ['-9999 alone', http(200, '{"status_code":-9999}'), 'unknown_error'],
    ['a 300', http(300, ''), 'http_300'],
    ['a 404 page', http(404), 'http_404'],
    ['a 499', http(499, ''), 'http_499'],
    [
      'a 400 envelope naming its error',
      http(400, '{"status_code":-9999,"payload":{"error":"file_invalid"}}'),
      'file_invalid',
    ],
  ])('%s is refused at once, named in the thread', async (_, answer, name) => {
    const { text, attempts } = await outcome(answer);
    expect(text).toContain(`OMICall refused the audio (\`${name}\`)`);
    expect(attempts).toBe(1);
  });

  it.each([
    ['408', http(408, '')],
    ['429', http(429, '')],
    ['500', http(500, '')],
    ['599', http(599, '')],
  ])('a %s is tried again', async (_, answer) => {
    const { text, attempts } = await outcome(answer);
    expect(text).toMatch(SENT);
    expect(attempts).toBe(2);
  });

  it('an outage that names its error in the envelope is named when it lasts', async () => {
    const busy: UploadAnswer = { kind: 'fail', error: 'server_busy', http: 503 };
    const { text, attempts } = await outcome(busy, busy);
    expect(text).toContain('OMICall could not be reached after 2 attempts (`server_busy`)');
    expect(attempts).toBe(2);
    const bare = await outcome(http(502, ''), http(502, ''));
    expect(bare.text).toContain('after 2 attempts (`http_502`)');
  });
});
