/**
 * The store unreachable while Slack sends a memo: the event is refused, so that Slack sends it again, and the retry is
 * transcribed once the store is back. An acknowledged event is never sent again, so a 200 without the memo stored
 * would lose it.
 */
import { afterEach, expect, it } from 'vitest';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { fileShareEvent, postEvent } from './helpers/slack-requests.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';

let h: Harness | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await h?.stop();
  await proxy?.cut().catch(() => undefined);
  h = proxy = undefined;
});

it('a memo shared while Redis is unreachable gets a 500, and Slack’s retry is transcribed once Redis is back', async () => {
  const target = new URL(REDIS_URL);
  proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
  h = await Harness.start({ env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}${target.pathname}` } });
  const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const ts = h.slack.nextTs();
  h.slack.addUserMessage({ channel: 'C0SALES01', ts, user: 'UALICE01', files: [file] });
  const event = fileShareEvent({ channel: 'C0SALES01', ts, files: [file] });

  await proxy.cut();
  const refused = await postEvent(h.url, event, { eventId: 'EvOutage' });
  expect(refused.status).toBe(500);
  expect(h.omicall.uploads).toHaveLength(0);

  await proxy.reopen();
  const app = h;
  await waitFor(
    async () => (await postEvent(app.url, event, { eventId: 'EvOutage', retryNum: 1 })).status === 200,
    10_000,
    'the retry accepted',
  );
  await waitFor(() => app.omicall.uploads.length === 1, 10_000, 'the upload');
  await waitFor(() => app.slack.thread('C0SALES01', ts).length === 1, 5000, 'the reply');
  expect(h.omicall.attempts).toBe(1);
}, 40_000);
