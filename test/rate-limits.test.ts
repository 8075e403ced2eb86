/**
 * Slack's rate limits, enforced by the local Slack as Slack documents them (per method per workspace over a sliding
 * minute, chat.postMessage five per five seconds per channel, 429 with Retry-After): first replies come at once
 * whatever else is limited, every memo ends whole with ✅, instances share one budget, a 429 holds only its method,
 * and what is owed survives a restart. History reads keep working where Slack allows one a minute.
 */
import { Redis } from 'ioredis';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SLACK_RATES, type SlackRates } from '../src/limits.ts';
import { SlackBudget } from '../src/slack/budget.ts';
import { workspaceKeys } from '../src/store/keys.ts';
import { speech } from './helpers/audio.ts';
import { Harness, type HarnessOptions, WORKSPACE, waitFor } from './helpers/harness.ts';
import { repliedMemo, threadText } from './helpers/memos.ts';
import { REDIS_URL, testPrefix } from './helpers/redis.ts';
import { postCommand, postShortcut } from './helpers/slack-requests.ts';
import {
  type ApiCall,
  BOT_TOKEN,
  type EnforcedLimits,
  OUTSIDE_MARKETPLACE,
  SLACK_LIMITS,
  SlackStandIn,
} from './stand-ins/slack.ts';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

/** Memos complete one second after their last passage, not twenty. */
const QUICK = { quietMs: 1000 };

async function start(options: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.start({ slackPace: 'slack', ...options, timings: { ...QUICK, ...options.timings } });
  started.push(h);
  return h;
}

interface Shared {
  channel: string;
  ts: string;
  sharedAt: number;
}

/** Someone shares a voice memo (4 s of speech) in the channel. */
async function share(h: Harness, channel: string): Promise<Shared> {
  const file = h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const sharedAt = Date.now();
  const { ts, res } = await h.share([file], { channel });
  expect(res.status).toBe(200);
  return { channel, ts, sharedAt };
}

const passage = (m: Shared, i: number) => `${m.ts} phần ${i + 1}`;

/** OMICall's transcript of a memo once it has the file: three passages, one a second, ending at the audio's end. */
async function transcribe(hs: Harness[], m: Shared, i = 0): Promise<void> {
  const h = hs[i % hs.length];
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(m.ts)), 10_000, 'upload');
  for (const [n, [from, to]] of [
    [0, 1.3],
    [1.3, 2.7],
    [2.7, 4],
  ].entries()) {
    if (n > 0) await new Promise((r) => setTimeout(r, 1000));
    const res = await hs[(i + n) % hs.length].callBack({
      tracking_id: upload.trackingId,
      from,
      to,
      text: passage(m, n),
    });
    expect(res.status).toBe(200);
  }
}

/** What a person sees when the memo is done: one reply with all three passages, complete, and ✅ alone on the memo. */
function whole(h: Harness, m: Shared): boolean {
  const replies = h.slack.thread(m.channel, m.ts);
  return (
    replies.length === 1 &&
    [0, 1, 2].every((n) => replies[0].text.includes(passage(m, n))) &&
    JSON.stringify(replies[0].blocks).includes('Complete.') &&
    h.slack.reactionsOn(m.channel, m.ts).join() === 'white_check_mark'
  );
}

/** When each memo's first reply was posted, as Slack answered it. */
function firstReplies(h: Harness): Map<string, number> {
  const at = new Map<string, number>();
  h.slack.events.on('answered', (call: ApiCall) => {
    const thread = String(call.args.thread_ts ?? '');
    if (call.method === 'chat.postMessage' && call.status === 200 && !at.has(thread)) at.set(thread, Date.now());
  });
  return at;
}

describe('a burst of memos in a busy workspace', () => {
  it('gets every first reply within 5 s while edits are rate limited, and every memo ends whole with ✅', async () => {
    const h = await start();
    h.slack.enforce();
    // The workspace's edits are spent for the next 5 s (Slack answers chat.update with 429 until then).
    h.slack.exhaust('chat.update', 5000);
    const posted = firstReplies(h);
    const channels = ['C0RATE001', 'C0RATE002', 'C0RATE003'];
    const memos = await Promise.all(Array.from({ length: 6 }, (_, i) => share(h, channels[i % channels.length])));
    await waitFor(() => memos.every((m) => posted.has(m.ts)), 6000, 'every first reply');
    for (const m of memos) expect(posted.get(m.ts)).toBeLessThan(m.sharedAt + 5000);
    expect(h.slack.countsOf('chat.update').limited).toBeGreaterThan(0);

    await Promise.all(memos.map((m) => transcribe([h], m)));
    await waitFor(() => memos.every((m) => whole(h, m)), 30_000, 'every memo whole, with ✅');
    for (const m of memos) expect(h.slack.thread(m.channel, m.ts)).toHaveLength(1);
  }, 50_000);
});

describe('a 429 holds back only its method', () => {
  it('while chat.update waits for its Retry-After, posts and reactions go on at once', async () => {
    const h = await start();
    h.slack.enforce();
    const first = await repliedMemo(h, { channel: 'C0RATE010' });
    h.slack.exhaust('chat.update', 8000);
    await h.callBack({ tracking_id: first.trackingId, from: 0, to: 1.3, text: 'đang chờ sửa' });
    await waitFor(() => h.slack.countsOf('chat.update').limited > 0, 3000, 'a 429 on chat.update');
    const limitedAt = Date.now();

    // The memo's reaction says text has come, though its text waits for the edit.
    await waitFor(() => h.slack.reactionsOn(first.channel, first.ts).join() === 'memo', 2000, 'the 📝 reaction');
    // A memo shared now, in the same channel, gets its reply and its ⏳ at once.
    const second = await share(h, first.channel);
    await waitFor(() => h.slack.thread(second.channel, second.ts).length === 1, 2000, 'the second first reply');
    await waitFor(
      () => h.slack.reactionsOn(second.channel, second.ts).includes('hourglass_flowing_sand'),
      2000,
      'the ⏳ reaction',
    );
    expect(Date.now() - limitedAt).toBeLessThan(4000);
    expect(threadText(h, first.channel, first.ts)).not.toContain('đang chờ sửa');

    // Once Slack's Retry-After has passed, the edit lands; Slack was asked again no more than once or twice.
    await waitFor(() => threadText(h, first.channel, first.ts).includes('đang chờ sửa'), 15_000, 'the edit');
    expect(h.slack.countsOf('chat.update').limited).toBeLessThanOrEqual(2);
    expect(h.slack.countsOf('chat.postMessage').limited + h.slack.countsOf('reactions.add').limited).toBe(0);
  }, 30_000);
});

/**
 * A Slack whose Tier 3 "minute" lasts 3 s (10 calls), and the app's budget for it: 1 a second and bursts of 2 per
 * 3 s, at most 8 calls in any 3 s. The same shapes as Slack's and the app's own, on a clock twenty times faster.
 */
const FAST_SLACK: EnforcedLimits = {
  ...SLACK_LIMITS,
  perWindow: { 'chat.update': 10, 'reactions.add': 10, 'reactions.remove': 10 },
  windowMs: 3000,
};
const FAST_RATES: Partial<SlackRates> = { tier3: { calls: 1, seconds: 1, burst: { calls: 2, seconds: 3 } } };

/** The most calls of a method Slack let through in any window of `ms`. */
function busiestWindow(calls: ApiCall[], method: string, ms: number): number {
  const times = calls.filter((c) => c.method === method && c.status === 200).map((c) => c.at);
  return Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + ms).length));
}

describe('instances share one budget', () => {
  /** Eight memos in four channels, shared and transcribed across the instances; Slack's 429s meanwhile. */
  async function busyDay(instances: number): Promise<{ limited: number; hs: Harness[] }> {
    const options = { redis: true, overrides: { slackRates: FAST_RATES } };
    const first = await start(options);
    const hs = [first];
    for (let i = 1; i < instances; i++) hs.push(await start({ ...options, with: first }));
    first.slack.enforce(FAST_SLACK);
    const channels = ['C0SHARE01', 'C0SHARE02', 'C0SHARE03', 'C0SHARE04'];
    const memos = await Promise.all(
      Array.from({ length: 8 }, (_, i) => share(hs[i % hs.length], channels[i % channels.length])),
    );
    await Promise.all(memos.map((m, i) => transcribe(hs, m, i)));
    await waitFor(() => memos.every((m) => whole(first, m)), 40_000, 'every memo whole, with ✅');
    return { limited: first.slack.limited, hs };
  }

  it('two instances together get no more 429s than one alone, and never pass one budget', async () => {
    const alone = await busyDay(1);
    for (const h of started.splice(0).reverse()) await h.stop();
    const two = await busyDay(2);
    expect(two.limited).toBeLessThanOrEqual(alone.limited);
    // Both wrote replies, and together never more than one budget allows: 8 calls in any 3 s.
    for (const h of two.hs) expect(h.logged('posted').length).toBeGreaterThan(0);
    for (const method of ['chat.update', 'reactions.add', 'reactions.remove']) {
      expect(busiestWindow(two.hs[0].slack.calls, method, 3000)).toBeLessThanOrEqual(8);
    }
  }, 100_000);
});

describe('a write Slack does not answer', () => {
  it('is made again, 1 s later then twice as long each time, until Slack takes it: never given up', async () => {
    const h = await start();
    const memo = await repliedMemo(h, { channel: 'C0RATE020' });
    // Slack's servers fail three edits in a row (HTTP 503), then come back.
    let failed = 0;
    for (let i = 0; i < 3; i++)
      h.slack.override((call, res) => {
        if (call.method !== 'chat.update') return false;
        failed += 1;
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('service unavailable');
        return true;
      });
    const sent = Date.now();
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 1.3, text: 'sau ba lần' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('sau ba lần'), 15_000, 'the edit, at last');
    expect(failed).toBe(3);
    // 1 s, 2 s and 4 s between the four tries.
    expect(Date.now() - sent).toBeGreaterThan(6000);
    const tries = h.slack.callsOf('chat.update').filter((c) => c.at >= sent);
    expect(tries).toHaveLength(4);
    expect(h.logged('Slack did not take a thread reply; trying again')).not.toEqual([]);
  }, 30_000);
});

describe('a restart in the middle', () => {
  it('loses no pending write: edits Slack held back are made by the next process', async () => {
    const before = await start();
    before.slack.enforce();
    const memos = await Promise.all(['C0RESTART1', 'C0RESTART2', 'C0RESTART3'].map((c) => share(before, c)));
    await waitFor(() => memos.every((m) => before.slack.thread(m.channel, m.ts).length === 1), 5000, 'first replies');
    before.slack.exhaust('chat.update', 10_000);
    await Promise.all(memos.map((m) => transcribe([before], m)));
    // Complete in the store, their whole text waiting for Slack's edits.
    await waitFor(
      async () =>
        (await Promise.all(memos.map((m) => before.app.pipeline.status(WORKSPACE, m.channel)))).every(
          (entries) => entries[0]?.state === 'complete',
        ),
      10_000,
      'every memo complete',
    );
    expect(memos.some((m) => whole(before, m))).toBe(false);
    const owed = await before.app.store.record(workspaceKeys(WORKSPACE).repliesOwed());
    expect(Object.keys(owed ?? {})).toHaveLength(3);
    await before.app.stop();

    const after = await start({ with: before });
    await waitFor(() => memos.every((m) => whole(after, m)), 20_000, 'every memo whole after the restart');
    for (const m of memos) expect(after.slack.thread(m.channel, m.ts)).toHaveLength(1);
    // The debt is struck off once Slack has answered the edit, a moment after the stand-in shows it.
    await waitFor(
      async () => (await after.app.store.record(workspaceKeys(WORKSPACE).repliesOwed())) === undefined,
      2000,
      'no reply owed',
    );
  }, 40_000);
});

describe('reading history where Slack allows one read a minute', () => {
  /** Slack's rule for apps outside the Marketplace, on a 3 s "minute"; the app keeps a second's margin, as it does 61 s. */
  const LIMITED: EnforcedLimits = {
    ...OUTSIDE_MARKETPLACE,
    perWindow: {
      ...OUTSIDE_MARKETPLACE.perWindow,
      'conversations.history': { calls: 1, windowMs: 3000 },
      'conversations.replies': { calls: 1, windowMs: 3000 },
    },
  };
  const historyLimited = { calls: 1, seconds: 4 };

  it('bare /transcribe reads 15 messages, says when it must wait, and answers; the shortcut reads no history', async () => {
    const h = await start({
      env: { SLACK_HISTORY_LIMITED: 'true' },
      overrides: { slackRates: { historyLimited } },
    });
    h.slack.enforce(LIMITED);
    const channel = 'C0HISTORY1';
    // A memo, then twenty messages of talk after it: it is not among the latest 15.
    const old = h.slack.addFile({ name: 'old.wav', mimetype: 'audio/wav', path: speech('wav') });
    const oldTs = h.slack.nextTs();
    h.slack.addUserMessage({ channel, ts: oldTs, user: 'UALICE01', files: [old] });
    for (let i = 0; i < 20; i++)
      h.slack.addUserMessage({ channel, ts: h.slack.nextTs(), user: 'UBOB0001', text: `${i}` });
    const answers = (id: string) => h.slack.responses.filter((r) => r.path.endsWith(`/${id}`)).map((r) => r.body.text);

    await postCommand(h.url, { text: '', channel_id: channel, response_url: `${h.slack.url}/respond/first` });
    await waitFor(() => answers('first').length > 0, 5000, 'the first answer');
    expect(answers('first')).toEqual([expect.stringContaining('among the last 15 messages')]);
    expect(h.slack.callsOf('conversations.history').map((c) => Number(c.args.limit))).toEqual([15]);

    // A memo shared now is the newest: asked for at once, the read waits for Slack's next minute, and says so.
    const file = h.slack.addFile({ name: 'new.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = h.slack.nextTs();
    h.slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file] });
    await postCommand(h.url, { text: '', channel_id: channel, response_url: `${h.slack.url}/respond/second` });
    await waitFor(() => answers('second').length === 2, 8000, 'the note, then the answer');
    expect(answers('second')[0]).toMatch(/only so often\. I will look in about \d s/);
    expect(answers('second')[1]).toContain(`p${ts.replace('.', '')}`);
    await waitFor(() => h.omicall.uploads.some((u) => u.trackingId?.includes(ts)), 10_000, 'the upload');
    expect(h.slack.countsOf('conversations.history').limited).toBe(0);

    // The Transcribe shortcut on the old memo, at once: it brings the message, so no history is read.
    const reads = h.slack.callsOf('conversations.history').length + h.slack.callsOf('conversations.replies').length;
    await postShortcut(h.url, { channel, ts: oldTs, files: [old], responseUrl: `${h.slack.url}/respond/shortcut` });
    await waitFor(() => answers('shortcut').length > 0, 3000, 'the shortcut answer');
    expect(answers('shortcut')[0]).toContain('Transcribing');
    expect(h.slack.callsOf('conversations.history').length + h.slack.callsOf('conversations.replies').length).toBe(
      reads,
    );
  }, 30_000);
});

describe('the budget itself', () => {
  it('spends the steady window, then the burst, then says how long to wait; a 429 holds that method alone', async () => {
    const budget = new SlackBudget({
      rates: { ...SLACK_RATES, tier3: { calls: 2, seconds: 4, burst: { calls: 3, seconds: 30 } } },
      historyLimited: false,
    }).of(WORKSPACE);
    const grants = [];
    for (let i = 0; i < 6; i++) grants.push(await budget.take('chat.update'));
    expect(grants.map((g) => g.ok)).toEqual([true, true, true, true, true, false]);
    const refused = grants[5];
    expect(!refused.ok && refused.retryInMs).toBeGreaterThan(3000);
    expect(!refused.ok && refused.retryInMs).toBeLessThanOrEqual(4000);
    // Other methods, and chat.postMessage in each channel, have budgets of their own.
    expect((await budget.take('reactions.add')).ok).toBe(true);
    expect((await budget.take('chat.postMessage', 'C0ONE')).ok).toBe(true);
    expect((await budget.take('chat.postMessage', 'C0ONE')).ok).toBe(false);
    expect((await budget.take('chat.postMessage', 'C0TWO')).ok).toBe(true);
    // Slack's Retry-After of 7 s holds reactions.add, and only it.
    await budget.pause('reactions.add', undefined, 7);
    const held = await budget.take('reactions.add');
    expect(!held.ok && held.retryInMs).toBeGreaterThan(6000);
    expect((await budget.take('reactions.remove')).ok).toBe(true);
  });

  it('on Redis, one budget for every instance, under the app’s key prefix and the workspace', async () => {
    const prefix = testPrefix('test-budget');
    const clients = [0, 1].map(() => new Redis(REDIS_URL, { maxRetriesPerRequest: 1 }));
    try {
      const [a, b] = clients.map((client) =>
        new SlackBudget({ rates: SLACK_RATES, historyLimited: false, redis: { client, prefix } }).of(WORKSPACE),
      );
      // Tier 3: 2 steady and 5 burst calls, whichever instance asks.
      const grants = [];
      for (let i = 0; i < 8; i++) grants.push((await (i % 2 ? b : a).take('chat.update')).ok);
      expect(grants).toEqual([true, true, true, true, true, true, true, false]);
      await a.pause('users.info', undefined, 5);
      expect((await b.take('users.info')).ok).toBe(false);
      const keys = await clients[0].keys(`${prefix}*`);
      expect(keys.sort()).toEqual(
        [
          `${prefix}${workspaceKeys(WORKSPACE).slackBudget('chat.update')}`,
          `${prefix}${workspaceKeys(WORKSPACE).slackBurst('chat.update')}`,
          `${prefix}${workspaceKeys(WORKSPACE).slackBudget('users.info')}`,
          `${prefix}${workspaceKeys(WORKSPACE).slackBurst('users.info')}`,
        ].sort(),
      );
      await clients[0].del(...keys);
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('the local Slack’s limits', () => {
  it('answer 429 with Retry-After once a method’s window is spent, per method and per channel for posts', async () => {
    const slack = await new SlackStandIn().start();
    try {
      slack.enforce({ ...SLACK_LIMITS, perWindow: { 'reactions.add': 2 }, windowMs: 60_000 });
      const call = async (method: string, args: Record<string, string>) => {
        const res = await request(`${slack.apiUrl}${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(args),
        });
        await res.body.dump();
        return { status: res.statusCode, retryAfter: res.headers['retry-after'] };
      };
      const react = (ts: string) => call('reactions.add', { channel: 'C0LIMIT1', timestamp: ts, name: 'memo' });
      expect((await react('1.1')).status).toBe(200);
      expect((await react('1.2')).status).toBe(200);
      expect(await react('1.3')).toEqual({ status: 429, retryAfter: '60' });
      expect((await call('reactions.remove', { channel: 'C0LIMIT1', timestamp: '1.1', name: 'memo' })).status).toBe(
        200,
      );
      const post = (channel: string) => call('chat.postMessage', { channel, text: 'x' });
      for (let i = 0; i < 5; i++) expect((await post('C0LIMIT1')).status).toBe(200);
      expect(await post('C0LIMIT1')).toEqual({ status: 429, retryAfter: '5' });
      expect((await post('C0LIMIT2')).status).toBe(200);
      expect(slack.countsOf('reactions.add')).toEqual({ calls: 2, limited: 1 });
      expect(slack.countsOf('chat.postMessage')).toEqual({ calls: 6, limited: 1 });
    } finally {
      await slack.close();
    }
  });
});
