/**
 * Several instances of the app on one Redis: the same event or callback reaching either, restarts, and web and worker
 * processes apart.
 */
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { REDIS_URL, testPrefix } from './helpers/redis.ts';
import { fileShareEvent, postEvent } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';

const running: Harness[] = [];
async function start(options: Parameters<typeof Harness.start>[0] = {}) {
  const h = await Harness.start(options);
  running.push(h);
  return h;
}
afterEach(async () => {
  // Instances sharing stand-ins stop first; the one that owns them last.
  for (const h of running.splice(0).reverse()) await h.stop();
});

const wavOn = (h: Harness) =>
  h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });

describe('the same event more than once', () => {
  it('a Slack retry of an event uploads the file once', async () => {
    const h = await start();
    const file = wavOn(h);
    const ts = h.slack.nextTs();
    const event = fileShareEvent({ channel: 'C0SALES01', ts, files: [file] });
    expect((await postEvent(h.url, event, { eventId: 'Ev1' })).status).toBe(200);
    expect((await postEvent(h.url, event, { eventId: 'Ev1', retryNum: 1 })).status).toBe(200);
    expect((await postEvent(h.url, event, { eventId: 'Ev1', retryNum: 2 })).status).toBe(200);
    await waitFor(() => h.omicall.uploads.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.attempts).toBe(1);
    expect(h.slack.thread('C0SALES01', ts)).toHaveLength(1);
  });

  it('the same event reaching two instances on one Redis, at the same moment, uploads once', async () => {
    const a = await start({ redis: true });
    const b = await start({ redis: true, with: a });
    for (let i = 0; i < 5; i++) {
      const file = wavOn(a);
      const ts = a.slack.nextTs();
      const event = fileShareEvent({ channel: 'C0SALES01', ts, files: [file] });
      await Promise.all([
        postEvent(a.url, event, { eventId: `EvTwo${i}` }),
        postEvent(b.url, event, { eventId: `EvTwo${i}` }),
      ]);
    }
    await waitFor(() => a.omicall.uploads.length === 5);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.omicall.attempts).toBe(5);
    expect(new Set(a.omicall.uploads.map((u) => u.trackingId)).size).toBe(5);
  });
});

describe('two instances, one Redis', () => {
  it('a callback reaching the instance that did not upload updates the same reply', async () => {
    const a = await start({ redis: true });
    const b = await start({ redis: true, with: a });
    const { channel, ts } = await a.share([wavOn(a)]);
    const upload = await waitFor(() => a.omicall.uploads[0]);
    const first = await waitFor(() => a.slack.thread(channel, ts)[0]);
    expect((await b.callBack({ tracking_id: upload.trackingId, from: 0, to: 2, text: 'từ máy thứ hai' })).status).toBe(
      200,
    );
    expect((await a.callBack({ tracking_id: upload.trackingId, from: 2, to: 4, text: 'từ máy thứ nhất' })).status).toBe(
      200,
    );
    await waitFor(
      () =>
        a.slack.thread(channel, ts)[0]?.text.includes('từ máy thứ hai') &&
        a.slack.thread(channel, ts)[0].text.includes('từ máy thứ nhất'),
    );
    expect(a.slack.thread(channel, ts).map((m) => m.ts)).toEqual([first.ts]);
  });
});

describe('restarts', () => {
  it('with the embedded store, a memo in a thread gets its transcript after a restart, in the same reply', async () => {
    const before = await start();
    const threadTs = before.slack.nextTs();
    const { channel } = await before.share([wavOn(before)], { thread_ts: threadTs });
    const upload = await waitFor(() => before.omicall.uploads[0]);
    await waitFor(
      () => before.slack.thread(channel, threadTs)[0]?.text.includes('was sent to OMICall'),
      3000,
      'waiting reply',
    );
    await before.app.stop();

    const after = await start({ with: before });
    await after.callBack({ tracking_id: upload.trackingId, from: 0, to: 3, text: 'sau khi khởi động lại' });
    await waitFor(
      () => after.slack.thread(channel, threadTs).find((m) => m.text.includes('sau khi khởi động lại')),
      3000,
      'transcript after restart',
    );
    expect(after.slack.thread(channel, threadTs).map((m) => m.text)).toEqual([
      'Transcript of memo.wav · 0:04\n[0:00] sau khi khởi động lại',
    ]);
  });

  it('with Redis, the reply started before the restart is updated, not a second one posted', async () => {
    const before = await start({ redis: true });
    const { channel, ts } = await before.share([wavOn(before)]);
    const upload = await waitFor(() => before.omicall.uploads[0]);
    await before.callBack({ tracking_id: upload.trackingId, from: 0, to: 2, text: 'trước' });
    await waitFor(() => before.slack.thread(channel, ts)[0]?.text.includes('trước'));
    await before.app.stop();

    const after = await start({ redis: true, with: before });
    await after.callBack({ tracking_id: upload.trackingId, from: 2, to: 4, text: 'sau' });
    await waitFor(() => after.slack.thread(channel, ts)[0]?.text.includes('sau'));
    const replies = after.slack.thread(channel, ts);
    expect(replies).toHaveLength(1);
    expect(replies[0].text).toBe('Transcript of memo.wav · 0:04\n[0:00] trước\n[0:02] sau');
  });
});

describe('web and worker processes apart (ROLE)', () => {
  let standIns: StandIns;
  const processes: AppProcess[] = [];
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGTERM')));
    await standIns.close();
  });

  it('the web process takes Slack and OMICall; the worker relays; neither needs the other to be the same process', async () => {
    const env = { REDIS_URL, REDIS_PREFIX: testPrefix('test-roles') };
    const web = await startAppProcess(standIns, { ...env, ROLE: 'web' });
    const worker = await startAppProcess(standIns, { ...env, ROLE: 'worker' });
    processes.push(web, worker);
    const { slack, omicall } = standIns;
    const file = slack.addFile({ name: 'roles.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = slack.nextTs();
    expect((await postEvent(web.url, fileShareEvent({ channel: 'C0ROLES01', ts, files: [file] }))).status).toBe(200);
    const upload = await waitFor(() => omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);
    await waitFor(() => worker.logs().some((l) => l.msg === 'uploaded'), 5000, "the worker's upload");
    expect(web.logs().some((l) => l.msg === 'downloaded')).toBe(false);

    await omicall.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'tách vai trò' }, web.webhookUrl);
    await waitFor(() => slack.thread('C0ROLES01', ts)[0]?.text.includes('tách vai trò'), 5000, 'the transcript');

    // A worker takes no Slack requests and no callbacks; it still answers /healthz.
    expect(
      (await postEvent(worker.url, fileShareEvent({ channel: 'C0ROLES01', ts: slack.nextTs(), files: [file] }))).status,
    ).toBe(404);
    expect((await request(`${worker.url}/healthz`)).statusCode).toBe(200);
  }, 40_000);
});
