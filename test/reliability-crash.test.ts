/**
 * What survives a kill -9 of the app: memos being uploaded and queued, segments already answered 200, and asking again
 * for a memo whose worker is gone.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { REDIS_URL, waitFor } from './helpers/harness.ts';
import { occurrences } from './helpers/memos.ts';
import { fileShareEvent, postEvent, postShortcut } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';

// Crashes are real: the app runs as a process of its own and is killed with SIGKILL (an out-of-memory kill, a
// crashed dyno, a host that dies), so nothing of it can clean up. It restarts on the same real Redis.
let standIns: StandIns;
const running: AppProcess[] = [];
beforeAll(async () => {
  standIns = await startStandIns();
});
afterAll(() => standIns.close());
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill('SIGKILL')));
  standIns.omicall.uploadDelayMs = 0;
});

const CHANNEL = 'C0CRASH01';

async function app(env: Record<string, string>): Promise<AppProcess> {
  const started = await startAppProcess(standIns, env);
  running.push(started);
  return started;
}

function redisEnv(extra: Record<string, string> = {}) {
  return { REDIS_URL, REDIS_PREFIX: `test-crash-${randomUUID()}:`, JOB_LOCK_SECONDS: '2', ...extra };
}

async function share(target: AppProcess, name: string) {
  const { slack } = standIns;
  const file = slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
  const ts = slack.nextTs();
  slack.addUserMessage({ channel: CHANNEL, ts, user: 'UALICE01', files: [file] });
  const res = await postEvent(target.url, fileShareEvent({ channel: CHANNEL, ts, files: [file] }));
  expect(res.status).toBe(200);
  return { ts, file };
}

/** Waits until the process has begun uploading the memo (its download is open and streaming to OMICall). */
async function uploading(target: AppProcess, ts: string) {
  await waitFor(
    () => target.logs().some((l) => l.msg === 'downloaded' && String(l.trackingId).includes(ts)),
    10_000,
    `the upload of ${ts}`,
  );
  await new Promise((r) => setTimeout(r, 300));
}

/** The answered uploads of one memo. */
const uploadsOf = (ts: string) => standIns.omicall.uploads.filter((u) => u.trackingId?.includes(ts));

describe('after kill -9 and a restart on the same Redis', () => {
  it('the memo being uploaded and the memos queued behind it all reach OMICall once, each in one thread reply', async () => {
    const env = redisEnv({ RELAY_CONCURRENCY: '1' });
    const first = await app(env);
    standIns.omicall.uploadDelayMs = 60_000;
    const memos = [await share(first, 'a.wav'), await share(first, 'b.wav'), await share(first, 'c.wav')];
    await uploading(first, memos[0].ts);
    await waitFor(() => memos.every((m) => standIns.slack.thread(CHANNEL, m.ts).length === 1), 5000, 'three replies');

    await first.kill('SIGKILL');
    standIns.omicall.uploadDelayMs = 0;
    const second = await app(env);

    for (const memo of memos) await waitFor(() => uploadsOf(memo.ts).length > 0, 20_000, `upload of ${memo.ts}`);
    await new Promise((r) => setTimeout(r, 3000));
    for (const memo of memos) {
      expect(uploadsOf(memo.ts)).toHaveLength(1);
      const thread = standIns.slack.thread(CHANNEL, memo.ts);
      expect(thread).toHaveLength(1);
      expect(thread[0].text).toMatch(/was sent to OMICall/);
    }
    const [upload] = uploadsOf(memos[0].ts);
    await standIns.omicall.callBack(
      { tracking_id: upload.trackingId, from: 0, to: 2, text: 'sau khi khởi động lại' },
      second.webhookUrl,
    );
    await waitFor(
      () => standIns.slack.thread(CHANNEL, memos[0].ts)[0]?.text.includes('sau khi khởi động lại'),
      5000,
      'transcript',
    );
    expect(standIns.slack.thread(CHANNEL, memos[0].ts)).toHaveLength(1);
  }, 60_000);

  it('a memo OMICall accepted is not uploaded again', async () => {
    const env = redisEnv();
    const first = await app(env);
    const memo = await share(first, 'done.wav');
    await waitFor(() => uploadsOf(memo.ts).length === 1, 10_000, 'upload');
    await waitFor(
      () => standIns.slack.thread(CHANNEL, memo.ts)[0]?.text.includes('was sent to OMICall'),
      5000,
      'reply',
    );
    await first.kill('SIGKILL');
    await app(env);
    await new Promise((r) => setTimeout(r, 6000));
    expect(uploadsOf(memo.ts)).toHaveLength(1);
    expect(standIns.slack.thread(CHANNEL, memo.ts)).toHaveLength(1);
  }, 30_000);
});

describe('two instances on one Redis', () => {
  it('when the one relaying a memo is killed, the other finishes it without a restart', async () => {
    const env = redisEnv({ RELAY_CONCURRENCY: '1' });
    const a = await app(env);
    const b = await app(env);
    standIns.omicall.uploadDelayMs = 60_000;
    const memo = await share(a, 'shared.wav');
    const relaying = (p: AppProcess) =>
      p.logs().some((l) => l.msg === 'downloaded' && String(l.trackingId).includes(memo.ts));
    const victim = await waitFor(() => (relaying(a) ? a : relaying(b) ? b : undefined), 5000, 'the relaying instance');
    const survivor = victim === a ? b : a;
    await victim.kill('SIGKILL');
    standIns.omicall.uploadDelayMs = 0;

    await waitFor(() => uploadsOf(memo.ts).length === 1, 20_000, 'the survivor uploads it');
    await waitFor(
      () => survivor.logs().some((l) => l.msg === 'uploaded' && String(l.trackingId).includes(memo.ts)),
      5000,
      "the survivor's log line",
    );
    await waitFor(
      () => standIns.slack.thread(CHANNEL, memo.ts)[0]?.text.includes('was sent to OMICall'),
      5000,
      'reply',
    );
    expect(standIns.slack.thread(CHANNEL, memo.ts)).toHaveLength(1);
  }, 60_000);
});

describe('asking again', () => {
  it('is never refused for a memo whose worker is gone: it is re-queued at once', async () => {
    // A long lock: BullMQ alone would wait 60 s before taking the job over.
    const env = redisEnv({ JOB_LOCK_SECONDS: '60' });
    const first = await app(env);
    standIns.omicall.uploadDelayMs = 60_000;
    const memo = await share(first, 'stuck.wav');
    await uploading(first, memo.ts);
    await first.kill('SIGKILL');
    standIns.omicall.uploadDelayMs = 0;
    const second = await app(env);
    // The dead worker's heartbeat lasts 5 s.
    await new Promise((r) => setTimeout(r, 5500));

    const responseUrl = `${standIns.slack.url}/respond/crash-${memo.ts}`;
    const asked = Date.now();
    const res = await postShortcut(second.url, {
      channel: CHANNEL,
      ts: memo.ts,
      files: [memo.file],
      responseUrl: responseUrl,
    });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => standIns.slack.responses.find((r) => r.path.endsWith(`crash-${memo.ts}`)), 5000);
    expect(answer.body.text).toMatch(/had stopped; it is starting again/);
    await waitFor(() => uploadsOf(memo.ts).length === 1, 15_000, 'the re-queued upload');
    expect(Date.now() - asked).toBeLessThan(15_000);
    expect(standIns.slack.thread(CHANNEL, memo.ts)).toHaveLength(1);
  }, 60_000);
});

describe('a segment the webhook answered 200 for', () => {
  // Stand-ins of its own: Slack holds an edit of the reply for ever, as the killed instance leaves it.
  let own: StandIns | undefined;
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.kill('SIGKILL')));
    await own?.close();
    own = undefined;
  });

  it('a 200 is durable: the instance killed before showing the segment, the next instance on the same Redis shows it', async () => {
    own = await startStandIns();
    const { slack, omicall } = own;
    const env = { REDIS_URL, REDIS_PREFIX: `test-durable-${randomUUID()}:`, JOB_LOCK_SECONDS: '2' };
    const first = await startAppProcess(own, env);
    running.push(first);
    const channel = 'C0DURABLE1';
    const file = slack.addFile({ name: 'bền.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = slack.nextTs();
    slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file] });
    expect((await postEvent(first.url, fileShareEvent({ channel, ts, files: [file] }))).status).toBe(200);
    const upload = await waitFor(() => omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'upload');
    await waitFor(() => slack.thread(channel, ts)[0]?.text.includes('was sent to OMICall'), 5000, 'sent');
    await new Promise((r) => setTimeout(r, 500));

    // Slack holds the next edit of the reply: the first instance cannot show the segment before it dies.
    let held = false;
    slack.override((call) => {
      if (call.method !== 'chat.update') return false;
      held = true;
      return true;
    });
    const answer = await omicall.callBack(
      { tracking_id: upload.trackingId, from: 0, to: 1.5, text: 'đã lưu rồi' },
      first.webhookUrl,
    );
    expect(answer.status).toBe(200);
    await waitFor(() => held, 5000, 'the held edit');
    await first.kill('SIGKILL');
    expect(occurrences(own, channel, ts, 'đã lưu rồi')).toBe(0);

    const second = await startAppProcess(own, env);
    running.push(second);
    // OMICall's next segment reaches the new instance: the reply shows both, the first one included.
    expect(
      (
        await omicall.callBack(
          { tracking_id: upload.trackingId, from: 1.5, to: 2.5, text: 'đoạn sau' },
          second.webhookUrl,
        )
      ).status,
    ).toBe(200);
    await waitFor(
      () => {
        const text = slack.thread(channel, ts)[0]?.text ?? '';
        return text.includes('đã lưu rồi') && text.includes('đoạn sau');
      },
      20_000,
      'both segments in the reply',
    );
    expect(slack.thread(channel, ts)[0].text).toMatch(/\[0:00\] đã lưu rồi\n\[0:01\] đoạn sau/);
    expect(slack.thread(channel, ts)).toHaveLength(1);
  }, 60_000);
});
