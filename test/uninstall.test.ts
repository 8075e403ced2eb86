/**
 * Uninstalling deletes the workspace's data: after `app_uninstalled` and `tokens_revoked` (in either order), no key
 * of the workspace is left in the store (scanned whole, on the embedded store and on Redis), nor any entry of it in
 * the app's own records (relays, deadlines, queue, lists of workspaces); the other workspace is untouched; and
 * installing again starts clean.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { entryId } from '../src/pipeline/queue/index.ts';
import { processKeys, workspaceKeys } from '../src/store/keys.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand } from './helpers/slack-requests.ts';
import {
  appUninstalled,
  IN_A,
  IN_B,
  install,
  PEOPLE,
  seatPeople,
  setKeyThroughModal,
  shareIn,
  tokensRevoked,
} from './helpers/workspaces.ts';
import { KEY_A, KEY_B, type ReceivedUpload } from './stand-ins/omicall.ts';
import { TEAM_A, TEAM_B } from './stand-ins/slack.ts';

const ALPHA = 'C0ALPHA01';
const BETA = 'C0BETA001';

/**
 * A workspace's keys that last: Slack's rate-limit windows (`slack-budget:`) come and go by themselves as their minute
 * passes, so they are no record of the workspace's to compare.
 */
async function lasting(store: { keysWith(prefix: string): Promise<string[]> }, workspace: string) {
  return (await store.keysWith(workspaceKeys(workspace).prefix)).filter((k) => !k.includes(':slack-budget:')).sort();
}

describe.each([
  ['the embedded store', false],
  ['Redis', true],
])('uninstalling, on %s', (_name, redis) => {
  let h: Harness;
  beforeEach(async () => {
    h = await Harness.start({
      redis,
      distribution: {},
      // Relays that fail wait long before their next attempt: they are still queued when the app is uninstalled.
      timings: { uninstallSweepMs: 100, uninstallSettleMs: 600, retryDelaysMs: [60_000, 60_000] },
    });
    seatPeople(h);
    h.slack.channelTeams.set(ALPHA, [TEAM_A]);
    h.slack.channelTeams.set(BETA, [TEAM_B]);
    await install(h, { kind: 'approve', team: TEAM_A, user: PEOPLE.adminA });
    await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
    await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A);
    await setKeyThroughModal(h, IN_B, PEOPLE.adminB, KEY_B);
  });
  afterEach(async () => {
    await h.stop();
  });

  const memo = (team: string, name: string) =>
    h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav'), team });
  const uploadOf = (ts: string) =>
    waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'the upload');
  const everyKey = () => h.app.store.keysWith('');
  const fieldsOf = async (key: string) => Object.keys((await h.app.store.record(key)) ?? {});

  /** Workspace A with something of every kind: a transcript, a memo waiting, a relay queued, settings, a language. */
  async function busyA() {
    const done = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'done.wav'));
    const upDone = await uploadOf(done.ts);
    await h.callBackFor(upDone, { tracking_id: upDone.trackingId, from: 0, to: 1, text: 'của A' });
    await waitFor(() => h.slack.thread(ALPHA, done.ts).some((m) => m.text.includes('của A')), 5000);
    const waiting = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'waiting.wav'));
    const upWaiting = await uploadOf(waiting.ts);
    // OMICall down for the next upload: its relay waits in the queue for its next attempt.
    h.omicall.answers.push({ kind: 'http', status: 503 });
    const queued = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'queued.wav'));
    await waitFor(() => h.omicall.attempts >= 3, 8000, 'the refused upload');
    for (const [text, channel] of [
      ['language vi', ALPHA],
      ['off', ALPHA],
    ])
      await postCommand(h.url, { team_id: TEAM_A, user_id: PEOPLE.memberA, channel_id: channel, text });
    await h.app.pipeline.replies.idle();
    const queuedId = (await h.app.store.keysWith(workspaceKeys(TEAM_A).prefix))
      .map((k) => /job:(.+)$/.exec(k)?.[1])
      .find((id) => id?.includes(queued.ts));
    expect(queuedId).toBeDefined();
    expect(await h.app.queue.stateOf(entryId(queuedId ?? '', 1))).toBe('delayed');
    expect(
      await h.app.store.dueAt(processKeys.deadlines(), workspaceKeys(TEAM_A).job(upWaiting.trackingId ?? '')),
    ).toBeDefined();
    return { upWaiting, queuedId: queuedId ?? '' };
  }

  /** B with a transcript of its own. */
  async function busyB(): Promise<ReceivedUpload> {
    const b = await shareIn(h, IN_B, BETA, memo(TEAM_B, 'beta.wav'));
    const up = await uploadOf(b.ts);
    await h.callBackFor(up, { tracking_id: up.trackingId, from: 0, to: 1, text: 'của B' });
    await waitFor(() => h.slack.thread(BETA, b.ts).some((m) => m.text.includes('của B')), 5000);
    await h.app.pipeline.replies.idle();
    return up;
  }

  /** Nothing of A anywhere: no key, no field of the app's own records, no queue entry, no deadline. */
  async function nothingOfA(upWaiting: ReceivedUpload, queuedId: string) {
    await waitFor(async () => (await fieldsOf(processKeys.uninstalls())).length === 0, 5000, 'the uninstallation done');
    const left = (await everyKey()).filter((k) => k.includes(TEAM_A));
    expect(left).toEqual([]);
    for (const record of ['relays', 'workspaces', 'installations', 'provider-keys', 'uninstalls']) {
      expect(
        (await fieldsOf(record)).filter((f) => f.includes(TEAM_A)),
        record,
      ).toEqual([]);
    }
    expect(
      await h.app.store.dueAt(processKeys.deadlines(), workspaceKeys(TEAM_A).job(upWaiting.trackingId ?? '')),
    ).toBe(undefined);
    expect(await h.app.queue.stateOf(entryId(queuedId, 1))).toBeUndefined();
  }

  it('app_uninstalled then tokens_revoked: nothing of A is left, B is untouched', async () => {
    const { upWaiting, queuedId } = await busyA();
    const upB = await busyB();
    const bBefore = await lasting(h.app.store, TEAM_B);
    h.slack.uninstall(TEAM_A);
    expect((await appUninstalled(h, IN_A)).status).toBe(200);
    expect((await tokensRevoked(h, IN_A)).status).toBe(200);
    await nothingOfA(upWaiting, queuedId);
    // A late callback of A's memo finds nothing and posts nothing.
    const before = h.slack.messages.length;
    const late = await h.omicall.callBack(
      { tracking_id: upWaiting.trackingId, from: 0, to: 1, text: 'quá muộn' },
      h.local(h.omicall.webhooks.get(KEY_A) ?? ''),
    );
    // Answered, so that OMICall does not send it again, and dropped: a memo with no record is gone (src/pipeline/results.ts).
    expect(late.status).toBe(200);
    expect(JSON.parse(late.body)).toMatchObject({ ok: true, accepted: 0 });
    expect(h.slack.messages.length).toBe(before);
    // B: every key as it was, and it still works.
    expect(await lasting(h.app.store, TEAM_B)).toEqual(bBefore);
    expect(await fieldsOf('installations')).toEqual([TEAM_B]);
    const again = await h.callBackFor(upB, { tracking_id: upB.trackingId, from: 1, to: 2, text: 'vẫn chạy' });
    expect(again.status).toBe(200);
  });

  it('tokens_revoked then app_uninstalled (and each twice): the same', async () => {
    const { upWaiting, queuedId } = await busyA();
    await busyB();
    h.slack.uninstall(TEAM_A);
    expect((await tokensRevoked(h, IN_A)).status).toBe(200);
    expect((await tokensRevoked(h, IN_A)).status).toBe(200);
    expect((await appUninstalled(h, IN_A)).status).toBe(200);
    await nothingOfA(upWaiting, queuedId);
    expect((await appUninstalled(h, IN_A)).status).toBe(200);
    await nothingOfA(upWaiting, queuedId);
    expect(await fieldsOf('installations')).toEqual([TEAM_B]);
  });

  it('tokens_revoked for people’s tokens only changes nothing', async () => {
    expect((await tokensRevoked(h, IN_A, { bot: false, users: [PEOPLE.memberA] })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await fieldsOf('installations')).sort()).toEqual([TEAM_A, TEAM_B]);
    expect(await h.app.store.get(workspaceKeys(TEAM_A).providerKey())).toBeDefined();
  });

  it('installing again afterwards starts clean: no key, no settings, and it works', async () => {
    await busyA();
    h.slack.uninstall(TEAM_A);
    await appUninstalled(h, IN_A);
    await waitFor(async () => (await fieldsOf(processKeys.uninstalls())).length === 0, 5000, 'the uninstallation done');
    const run = await install(h, { kind: 'approve', team: TEAM_A, user: PEOPLE.adminA });
    expect(run.status).toBe(200);
    expect((await h.app.store.keysWith(workspaceKeys(TEAM_A).prefix)).sort()).toEqual([
      workspaceKeys(TEAM_A).installation(),
    ]);
    // No key any more: the plain line; the channel is no longer "off", and the language choice is gone.
    const m = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'again.wav'));
    const line = await waitFor(() => h.slack.thread(ALPHA, m.ts)[0], 5000, 'the line');
    expect(line.text).toContain('no OMICall key yet');
    expect(line.team).toBe(TEAM_A);
    expect((await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A)).body.response_action).toBe('update');
    const next = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'works.wav'));
    expect((await uploadOf(next.ts)).headers.apikey).toBe(KEY_A);
  });

  it('reinstalled while the deletion is still under way: the deletion finishes first', async () => {
    await busyA();
    h.slack.uninstall(TEAM_A);
    await appUninstalled(h, IN_A);
    // At once: the uninstallation is noted and not yet settled.
    expect(await fieldsOf(processKeys.uninstalls())).toEqual([TEAM_A]);
    expect((await install(h, { kind: 'approve', team: TEAM_A, user: PEOPLE.adminA })).status).toBe(200);
    expect(await fieldsOf(processKeys.uninstalls())).toEqual([]);
    await new Promise((r) => setTimeout(r, 800));
    // The new installation survives the sweeps.
    expect((await h.app.store.keysWith(workspaceKeys(TEAM_A).prefix)).sort()).toEqual([
      workspaceKeys(TEAM_A).installation(),
    ]);
  });
});
