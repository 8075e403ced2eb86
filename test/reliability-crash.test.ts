/**
 * What survives a kill -9 of the app, on Redis and on the embedded store: memos being uploaded and queued (back in line
 * within 10 s), memos whose events Slack was or was not answered for, segments already answered 200, and asking again
 * for a memo whose process is gone.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { waitFor } from './helpers/harness.ts';
import { occurrences } from './helpers/memos.ts';
import { REDIS_URL, testPrefix } from './helpers/redis.ts';
import { fileShareEvent, postEvent, postShortcut } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';

// Crashes are real: the app runs as a process of its own and is killed with SIGKILL (an out-of-memory kill, a
// crashed dyno, a host that dies), so nothing of it can clean up. It restarts on the same real Redis, or SQLite file.
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

/** Where a restarted process finds the work of the one killed: the same Redis, or the same embedded store. */
type Store = 'redis' | 'sqlite';
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

function storeEnv(store: Store, extra: Record<string, string> = {}) {
  if (store === 'redis') return { REDIS_URL, REDIS_PREFIX: testPrefix('test-crash'), ...extra };
  const dir = mkdtempSync(join(tmpdir(), 'transcriber-crash-'));
  dataDirs.push(dir);
  return { DATA_DIR: dir, ...extra };
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

describe.each(['redis', 'sqlite'] as const)('after kill -9 and a restart on the same store (%s)', (store) => {
  it('the memo being uploaded and the memos queued behind it reach OMICall once each, within 10 s, in one reply each', async () => {
    // The queue's own backstop left at its default (30 s): what brings them back is the app's heartbeats.
    const env = storeEnv(store, { RELAY_CONCURRENCY: '2' });
    const first = await app(env);
    standIns.omicall.uploadDelayMs = 60_000;
    const memos: { ts: string; file: { id: string } }[] = [];
    for (const name of ['a.wav', 'b.wav', 'c.wav', 'd.wav']) memos.push(await share(first, name));
    await uploading(first, memos[0].ts);
    await waitFor(() => memos.every((m) => standIns.slack.thread(CHANNEL, m.ts).length === 1), 5000, 'four replies');

    await first.kill('SIGKILL');
    const killed = Date.now();
    standIns.omicall.uploadDelayMs = 0;
    const second = await app(env);

    for (const memo of memos) await waitFor(() => uploadsOf(memo.ts).length > 0, 15_000, `upload of ${memo.ts}`);
    expect(Date.now() - killed).toBeLessThan(10_000);
    await new Promise((r) => setTimeout(r, 2000));
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
    const env = storeEnv(store);
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
    await new Promise((r) => setTimeout(r, 7000));
    expect(uploadsOf(memo.ts)).toHaveLength(1);
    expect(standIns.slack.thread(CHANNEL, memo.ts)).toHaveLength(1);
  }, 30_000);

  it('memos Slack was told about, and memos it was not (it sends those again), each reach OMICall once', async () => {
    const env = storeEnv(store);
    const first = await app(env);
    const { slack } = standIns;
    // OMICall holds its answers until the process is dead: none of these memos is accepted yet. (A process killed
    // in the instant between OMICall's answer and its own record of it sends that memo again: it never learned that
    // OMICall had it.)
    standIns.omicall.uploadDelayMs = 60_000;
    // Each memo in a channel of its own: Slack takes about one message a second per channel, and what is tested here
    // is that none is lost or sent twice, not Slack's pace (rate-limits.test.ts).
    const shares = Array.from({ length: 20 }, (_, i) => {
      const channel = `C0CRASH${String(i).padStart(2, '0')}`;
      const file = slack.addFile({ name: `m${i}.wav`, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav') });
      const ts = slack.nextTs();
      slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file] });
      return { ts, channel, event: fileShareEvent({ channel, ts, files: [file] }), eventId: `Ev${randomUUID()}` };
    });
    // Twenty memos shared at once; the process is killed 10 ms after Slack's tenth answer, while the others wait.
    const answered = new Set<string>();
    let kill: Promise<unknown> | undefined;
    await Promise.all(
      shares.map(async (m) => {
        const res = await postEvent(first.url, m.event, { eventId: m.eventId }).catch(() => undefined);
        if (res?.status === 200) answered.add(m.ts);
        if (answered.size === 10 && !kill)
          kill = new Promise((r) => setTimeout(r, 10)).then(() => first.kill('SIGKILL'));
      }),
    );
    await kill;
    expect(answered.size).toBeGreaterThanOrEqual(10);
    standIns.omicall.uploadDelayMs = 0;

    const second = await app(env);
    // Slack sends again what it had no answer for, saying it is a retry.
    for (const m of shares.filter((x) => !answered.has(x.ts))) {
      const res = await postEvent(second.url, m.event, { eventId: m.eventId, retryNum: 1 });
      expect(res.status).toBe(200);
    }
    for (const m of shares) await waitFor(() => uploadsOf(m.ts).length > 0, 20_000, `upload of ${m.ts}`);
    for (const m of shares)
      await waitFor(() => standIns.slack.thread(m.channel, m.ts).length > 0, 30_000, `reply to ${m.ts}`);
    await new Promise((r) => setTimeout(r, 2000));
    for (const m of shares) {
      expect(uploadsOf(m.ts)).toHaveLength(1);
      expect(standIns.slack.thread(m.channel, m.ts)).toHaveLength(1);
    }
  }, 90_000);
});

describe('two instances on one Redis', () => {
  it('when the one relaying a memo is killed, the other finishes it within 10 s, without a restart', async () => {
    const env = storeEnv('redis', { RELAY_CONCURRENCY: '1' });
    const a = await app(env);
    const b = await app(env);
    standIns.omicall.uploadDelayMs = 60_000;
    const memo = await share(a, 'shared.wav');
    const relaying = (p: AppProcess) =>
      p.logs().some((l) => l.msg === 'downloaded' && String(l.trackingId).includes(memo.ts));
    const victim = await waitFor(() => (relaying(a) ? a : relaying(b) ? b : undefined), 5000, 'the relaying instance');
    const survivor = victim === a ? b : a;
    await victim.kill('SIGKILL');
    const killed = Date.now();
    standIns.omicall.uploadDelayMs = 0;

    await waitFor(() => uploadsOf(memo.ts).length === 1, 15_000, 'the survivor uploads it');
    expect(Date.now() - killed).toBeLessThan(10_000);
    await waitFor(
      () => survivor.logs().some((l) => l.msg === 'uploaded' && String(l.trackingId).includes(memo.ts)),
      5000,
      "the survivor's log line",
    );
    expect(survivor.logs()).toContainEqual(
      expect.objectContaining({ msg: 'relay put back in line', was: 'sending', run: 2 }),
    );
    await waitFor(
      () => standIns.slack.thread(CHANNEL, memo.ts)[0]?.text.includes('was sent to OMICall'),
      5000,
      `the reply (it says: ${standIns.slack.thread(CHANNEL, memo.ts)[0]?.text})`,
    );
    expect(standIns.slack.thread(CHANNEL, memo.ts)).toHaveLength(1);
  }, 60_000);
});

describe('asking again', () => {
  it('is never refused for a memo whose worker is gone, and it is uploaded once', async () => {
    const env = storeEnv('redis');
    const first = await app(env);
    standIns.omicall.uploadDelayMs = 60_000;
    const memo = await share(first, 'stuck.wav');
    await uploading(first, memo.ts);
    await first.kill('SIGKILL');
    standIns.omicall.uploadDelayMs = 0;
    const second = await app(env);

    // Asked for while the dead process still looks alive (its heartbeat lasts 5 s), and again after.
    for (const when of ['at once', 'later']) {
      if (when === 'later') await new Promise((r) => setTimeout(r, 5500));
      const responseUrl = `${standIns.slack.url}/respond/crash-${memo.ts}-${when.replace(' ', '-')}`;
      const res = await postShortcut(second.url, { channel: CHANNEL, ts: memo.ts, files: [memo.file], responseUrl });
      expect(res.status).toBe(200);
      const answer = await waitFor(
        () => standIns.slack.responses.find((r) => r.path === new URL(responseUrl).pathname),
        5000,
      );
      expect(answer.body.text).toMatch(/had stopped; it is starting again|is being transcribed already/);
    }
    await waitFor(() => uploadsOf(memo.ts).length === 1, 10_000, 'the upload');
    await new Promise((r) => setTimeout(r, 1000));
    expect(uploadsOf(memo.ts)).toHaveLength(1);
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
    const env = storeEnv('redis');
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
    // The reply owed by the killed instance is written by the next one as it starts, with no callback needed.
    await waitFor(() => own && occurrences(own, channel, ts, 'đã lưu rồi') === 1, 10_000, 'the owed reply');
    // OMICall's next segment reaches the new instance: the reply shows both.
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
