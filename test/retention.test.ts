/**
 * Retention: a transcript's records (its job, segments, reply, claim, the lists that name it) are kept RETENTION_DAYS,
 * or the days the workspace's admins chose, counted from the memo, and no longer; settings are kept while the app is
 * installed.
 */
import { createClient } from '@keyv/redis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Channels } from '../src/records/channels.ts';
import { Jobs } from '../src/records/job.ts';
import { PersonJobs } from '../src/records/people.ts';
import { ACTIONS, SETTING_INPUT, VIEWS } from '../src/slack/ids.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../src/time.ts';
import { numberValue } from './fixtures/slack-payloads.ts';
import { transcribe } from './helpers/commands.ts';
import { Harness, type HarnessOptions, WORKSPACE, waitFor } from './helpers/harness.ts';
import { chooseSetting, openedModal, openHome, pressHomeButton, submitModal } from './helpers/home.ts';
import { signedTrackingId, uploadedMemo } from './helpers/memos.ts';
import { REDIS_URL } from './helpers/redis.ts';

const harnesses: Harness[] = [];
async function start(options: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.start(options);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  vi.restoreAllMocks();
  for (const h of harnesses.splice(0)) await h.stop();
});

/** A memo with its transcript in its thread, a segment of which came a while after the upload. */
async function transcribed(h: Harness) {
  const memo = await uploadedMemo(h, { name: 'lưu-giữ.wav' });
  await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'Đoạn đầu' });
  await new Promise((r) => setTimeout(r, 300));
  await h.callBack({ tracking_id: memo.trackingId, from: 1, to: 2, text: 'Đoạn sau' });
  await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('Đoạn sau'), 5000, 'the transcript');
  await h.app.pipeline.replies.idle();
  return memo;
}

/** The keys of a memo's records: every key naming its message or its file. */
async function memoKeys(h: Harness, memo: { ts: string; file: { id: string } }): Promise<string[]> {
  return (await h.app.store.keysWith(`ws:${WORKSPACE}:`)).filter(
    (k) => k.includes(memo.ts) || k.includes(memo.file.id),
  );
}

describe('retention', () => {
  it('on Redis, gives every record of a memo a TTL of RETENTION_DAYS from the memo, and settings none', async () => {
    const h = await start({ redis: true, env: { RETENTION_DAYS: '3' } });
    h.slack.admins.add('UADMIN01');
    await openHome(h, 'UALICE01');
    const memo = await transcribed(h);
    await transcribe(h, 'off', 'C0QUIET01');
    await h.app.store.update(`ws:${WORKSPACE}:settings`, { budgetMinutes: 100 });

    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      const ttl = async (key: string) => Number(await client.pTTL(`${h.prefix}${key}`));
      const keys = await memoKeys(h, memo);
      const named = keys.map((k) =>
        k.replace(memo.trackingId, '{T}').replace(`${memo.channel}:${memo.ts}:${memo.file.id}`, '{memo}'),
      );
      expect(named.sort()).toEqual(
        [
          `ws:${WORKSPACE}:characters:{T}`,
          `ws:${WORKSPACE}:file:${memo.file.id}:jobs`,
          `ws:${WORKSPACE}:job:{T}`,
          `ws:${WORKSPACE}:memo:{memo}`,
          `ws:${WORKSPACE}:reply:{memo}`,
          `ws:${WORKSPACE}:segments:{T}`,
        ].sort(),
      );
      for (const key of [
        ...keys,
        `ws:${WORKSPACE}:channel:${memo.channel}:jobs`,
        `ws:${WORKSPACE}:person:UALICE01:jobs`,
        `ws:${WORKSPACE}:person:UALICE01:home`,
      ]) {
        const left = await ttl(key);
        expect(left, key).toBeLessThanOrEqual(3 * DAY_MS);
        // Counted from the memo: a segment that came later does not keep its transcript longer.
        expect(left, key).toBeGreaterThan(3 * DAY_MS - MINUTE_MS);
      }
      // Settings are kept while the app is installed: no TTL (-1).
      expect(await ttl(`ws:${WORKSPACE}:settings`)).toBe(-1);
      expect(await ttl(`ws:${WORKSPACE}:channel:C0QUIET01:auto`)).toBe(-1);
    } finally {
      await client.close();
    }
  });

  it('follows the days the workspace’s admins chose', async () => {
    const h = await start({ redis: true, env: { RETENTION_DAYS: '30' } });
    h.slack.admins.add('UADMIN01');
    await openHome(h, 'UADMIN01');
    await pressHomeButton(h, 'UADMIN01', `${ACTIONS.settingPrefix}retention`);
    const modal = await openedModal(h, `${VIEWS.settingPrefix}retention`);
    const values = { [SETTING_INPUT.block]: { [SETTING_INPUT.action]: numberValue('2') } };
    expect(await submitModal(h, 'UADMIN01', modal, values)).toEqual({ status: 200, body: {} });
    const memo = await transcribed(h);
    const client = createClient({ url: REDIS_URL });
    await client.connect();
    try {
      for (const key of await memoKeys(h, memo)) {
        const left = Number(await client.pTTL(`${h.prefix}${key}`));
        expect(left, key).toBeLessThanOrEqual(2 * DAY_MS);
        expect(left, key).toBeGreaterThan(2 * DAY_MS - MINUTE_MS);
      }
    } finally {
      await client.close();
    }
  });

  it('on the embedded store, lets a memo’s records go once its retention has passed, keeps the settings, and drops a callback that comes later', async () => {
    const h = await start({ env: { RETENTION_DAYS: '1' } });
    const memo = await transcribed(h);
    await transcribe(h, 'off', 'C0QUIET01');
    await h.app.store.update(`ws:${WORKSPACE}:settings`, { budgetMinutes: 100 });
    expect(await memoKeys(h, memo)).not.toEqual([]);

    const now = Date.now();
    vi.spyOn(Date, 'now').mockReturnValue(now + DAY_MS - HOUR_MS);
    expect((await memoKeys(h, memo)).length).toBeGreaterThan(0);
    vi.spyOn(Date, 'now').mockReturnValue(now + DAY_MS + MINUTE_MS);
    expect(await memoKeys(h, memo)).toEqual([]);
    expect(await h.app.store.record(`ws:${WORKSPACE}:channel:${memo.channel}:jobs`)).toBeUndefined();
    expect(await h.app.store.record(`ws:${WORKSPACE}:settings`)).toEqual({ budgetMinutes: 100 });
    expect(await h.app.store.get(`ws:${WORKSPACE}:channel:C0QUIET01:auto`)).toBe('off');

    // Within OMICall's 7 days, a callback for it is answered 200 and shows nothing.
    const updates = h.slack.callsOf('chat.update').length;
    const late = await h.callBack({ tracking_id: memo.trackingId, from: 2, to: 3, text: 'quá hạn' });
    expect(late.status).toBe(200);
    expect(JSON.parse(late.body)).toMatchObject({ accepted: 0, dropped: 1 });
    vi.restoreAllMocks();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsOf('chat.update')).toHaveLength(updates);
  });

  it('shortened by the admins, applies at once to what is stored already, lists included', async () => {
    const h = await start({ env: { RETENTION_DAYS: '30' } });
    const jobs = new Jobs(h.app.store, async () => 30 * DAY_MS);
    const channels = new Channels(h.app.store);
    const people = new PersonJobs(h.app.store, 40);
    const plant = async (daysAgo: number, fileId: string) => {
      const ref = { workspace: WORKSPACE, channel: 'C0OLD0001', ts: h.slack.nextTs(), fileId };
      const trackingId = signedTrackingId(ref);
      const since = Date.now() - daysAgo * DAY_MS;
      await jobs.claim(ref, trackingId);
      await jobs.create({
        ...ref,
        trackingId,
        fileName: `${fileId}.wav`,
        state: 'complete',
        createdAt: since,
        user: 'UALICE01',
        run: 1,
        unsure: false,
        lookUp: false,
        file: { id: fileId, name: `${fileId}.wav` },
      });
      await h.app.store.addField(
        `ws:${WORKSPACE}:segments:${trackingId}`,
        '0|1',
        { from: 0, to: 1, text: 'cũ' },
        DAY_MS,
      );
      await h.app.store.set(`ws:${WORKSPACE}:reply:${ref.channel}:${ref.ts}:${fileId}`, { replyTs: [] }, DAY_MS);
      await channels.list(WORKSPACE, ref.channel, { trackingId, fileName: `${fileId}.wav`, since }, 30 * DAY_MS);
      const entry = { trackingId, channel: ref.channel, ts: ref.ts, fileId, fileName: `${fileId}.wav`, since };
      await people.list(WORKSPACE, 'UALICE01', entry, 30 * DAY_MS);
      return { ...ref, trackingId };
    };
    await h.app.store.update('workspaces', { [WORKSPACE]: Date.now() });
    const old = await plant(5, 'F0OLD0001');
    const recent = await plant(0.5, 'F0NEW0001');

    await chooseSetting(h, 'retention', numberValue('2'));
    const left = async (memo: { ts: string; fileId: string }) =>
      (await h.app.store.keysWith(`ws:${WORKSPACE}:`)).filter((k) => k.includes(memo.ts) || k.includes(memo.fileId));
    await waitFor(async () => (await left(old)).length === 0, 5000, 'the old memo’s records gone');
    expect((await left(recent)).length).toBeGreaterThanOrEqual(4);
    expect(Object.keys((await h.app.store.record(`ws:${WORKSPACE}:channel:C0OLD0001:jobs`)) ?? {})).toEqual([
      recent.trackingId,
    ]);
    expect(Object.keys((await h.app.store.record(`ws:${WORKSPACE}:person:UALICE01:jobs`)) ?? {})).toEqual([
      recent.trackingId,
    ]);
    expect(h.logged('retention: records past their time deleted')).toHaveLength(1);
  });
});
