/**
 * Each workspace's own OMICall key, set by an admin in the Home tab's modal: until there is one (and no default key),
 * memos get one plain line and nothing is uploaded, and the admins are told once; a key OMICall refuses is an inline
 * error with nothing stored; the right one is stored encrypted, shown only by its last four characters, and used for
 * that workspace's next memo while another workspace's memos keep their own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEY_INPUT, VIEWS } from '../src/slack/ids.ts';
import { workspaceKeys } from '../src/store/keys.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand } from './helpers/slack-requests.ts';
import {
  IN_A,
  IN_B,
  install,
  PEOPLE,
  pressKeyButton,
  seatPeople,
  setKeyThroughModal,
  shareIn,
  submitKey,
} from './helpers/workspaces.ts';
import { API_KEY, KEY_A, KEY_B } from './stand-ins/omicall.ts';
import { TEAM_A, TEAM_B } from './stand-ins/slack.ts';

const ALPHA = 'C0ALPHA01';
const BETA = 'C0BETA001';

let h: Harness;
async function start(options: { defaultKey?: boolean } = {}) {
  h = await Harness.start({ distribution: options });
  seatPeople(h);
  h.slack.channelTeams.set(ALPHA, [TEAM_A]);
  h.slack.channelTeams.set(BETA, [TEAM_B]);
  // A is installed by a member who is not a Slack admin: the installer may set the key too.
  await install(h, { kind: 'approve', team: TEAM_A, user: 'UINSTALLA' });
  h.slack.userTeams.set('UINSTALLA', TEAM_A);
  await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
}
afterEach(async () => {
  await h.stop();
});

const memo = (team: string, name = 'memo.wav') =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav'), team });
const settle = () => new Promise((r) => setTimeout(r, 300));
const dmsTo = (user: string) => h.slack.messages.filter((m) => m.channel === user && m.bot_id !== undefined);
const errorsOf = (body: Record<string, unknown>) => (body.errors ?? {}) as Record<string, string>;

describe('a workspace without a key (and no default key)', () => {
  beforeEach(() => start());

  it('gets one plain line in the memo’s thread, uploads nothing, and its admins are told once by DM', async () => {
    const first = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'first.wav'));
    expect(first.res.status).toBe(200);
    const line = await waitFor(() => h.slack.thread(ALPHA, first.ts)[0], 5000, 'the line');
    expect(line.text).toBe(
      "*first.wav* was not transcribed: this workspace has no OMICall key yet. A workspace admin can add it in the app's Home tab.",
    );
    expect(line.blocks).toBeUndefined();
    // Told to the installer and to the workspace's admin, not to anyone in B.
    await waitFor(() => dmsTo('UINSTALLA').length === 1 && dmsTo(PEOPLE.adminA).length === 1, 5000, 'the DMs');
    expect(dmsTo('UINSTALLA')[0].text).toContain('Home');
    expect(dmsTo(PEOPLE.adminB)).toEqual([]);
    expect(dmsTo(PEOPLE.memberA)).toEqual([]);

    // A second memo (and Slack's retry of the first): one more line for the new memo, no second DM.
    const second = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'second.wav'));
    await waitFor(() => h.slack.thread(ALPHA, second.ts).length === 1, 5000, 'the second line');
    await settle();
    expect(h.slack.thread(ALPHA, first.ts)).toHaveLength(1);
    expect(dmsTo('UINSTALLA')).toHaveLength(1);
    expect(dmsTo(PEOPLE.adminA)).toHaveLength(1);
    expect(h.omicall.attempts).toBe(0);
    expect(h.slack.downloads).toEqual([]);
  });

  it('answers someone who asks for a transcript that an admin must set the key', async () => {
    const file = memo(TEAM_A);
    const ts = h.slack.nextTs();
    h.slack.addUserMessage({ channel: ALPHA, ts, user: PEOPLE.memberA, files: [file] });
    const answer = await transcribeIn(h, TEAM_A, PEOPLE.memberA, ALPHA);
    expect(answer).toContain('no OMICall key yet');
    await settle();
    expect(h.omicall.attempts).toBe(0);
  });
});

describe('the key modal', () => {
  beforeEach(() => start());

  it('opens for an admin with the key field and what saving does to the key’s AI results', async () => {
    const { triggerId, res } = pressKeyButton(h, IN_A, PEOPLE.adminA);
    expect((await res).status).toBe(200);
    const opened = await waitFor(() => h.slack.modals.find((m) => m.triggerId === triggerId), 5000, 'the modal');
    expect(opened.workspace).toBe(TEAM_A);
    expect(opened.view.callback_id).toBe(VIEWS.omicallKey);
    const text = JSON.stringify(opened.view);
    expect(text).toContain('no OMICall key yet');
    expect(text).toContain(`"block_id":"${KEY_INPUT.block}"`);
    expect(text).toContain('"type":"plain_text_input"');
    expect(text).toContain('Voice Insights');
    expect(text).toContain('Saving the key points its AI results at this app');
  });

  it('says to a member that an admin must set the key, and shows no field', async () => {
    const { triggerId, res } = pressKeyButton(h, IN_A, PEOPLE.memberA);
    await res;
    const opened = await waitFor(() => h.slack.modals.find((m) => m.triggerId === triggerId), 5000, 'the modal');
    expect(JSON.stringify(opened.view)).toContain('Only a workspace admin or owner');
    expect(JSON.stringify(opened.view)).not.toContain('plain_text_input');
  });

  it('shows OMICall’s refusal of a wrong key under the field, and stores nothing', async () => {
    const { answer, body } = await setKeyThroughModal(h, IN_A, PEOPLE.adminA, 'omi-wrong-key-0000');
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(3000);
    expect(body.response_action).toBe('errors');
    expect(errorsOf(body)[KEY_INPUT.block]).toContain('OMICall refused this key (api_key_invalid)');
    expect(await h.app.store.get(workspaceKeys(TEAM_A).providerKey())).toBeUndefined();
    expect(await h.app.store.record('provider-keys')).toBeUndefined();
  });

  it('refuses a submission from someone who is not an admin, without asking OMICall', async () => {
    const opened = await setKeyThroughModal(h, IN_A, PEOPLE.adminA, 'omi-wrong-key-0000');
    const registrations = h.omicall.registrations.length;
    const answer = await submitKey(h, IN_A, PEOPLE.memberA, opened.opened.view, KEY_A);
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    expect(body.response_action).toBe('errors');
    expect(errorsOf(body)[KEY_INPUT.block]).toContain('Only a workspace admin or owner');
    expect(h.omicall.registrations.length).toBe(registrations);
    expect(await h.app.store.get(workspaceKeys(TEAM_A).providerKey())).toBeUndefined();
  });

  it('refuses what is not a key, the key of another workspace, and answers in time when OMICall is slow', async () => {
    const say = async (value: string, where = IN_A, user: string = PEOPLE.adminA) =>
      errorsOf((await setKeyThroughModal(h, where, user, value)).body)[KEY_INPUT.block];
    expect(await say('   ')).toContain('Paste the key');
    expect(await say('omi key with spaces')).toContain('no spaces');
    expect(await say('k'.repeat(201))).toContain('too long');
    expect((await setKeyThroughModal(h, IN_B, PEOPLE.adminB, KEY_B)).body.response_action).toBe('update');
    expect(await say(KEY_B)).toContain('already serves another Slack workspace');
    h.omicall.registerDelayMs = 2_500;
    const started = performance.now();
    const slow = await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(errorsOf(slow.body)[KEY_INPUT.block]).toContain('did not answer in time');
    expect(await h.app.store.get(workspaceKeys(TEAM_A).providerKey())).toBeUndefined();
  });

  it('saves the right key encrypted, shows only its last four characters, and A’s next memo goes with it while B’s go with B’s', async () => {
    const before = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'before.wav'));
    await waitFor(() => h.slack.thread(ALPHA, before.ts).length === 1, 5000, 'the line');

    // The installer, who is not a Slack admin, sets it.
    const { answer, body } = await setKeyThroughModal(h, IN_A, 'UINSTALLA', KEY_A);
    expect(answer.ms).toBeLessThan(3000);
    expect(body.response_action).toBe('update');
    const saved = JSON.stringify(body.view);
    expect(saved).toContain('…7a1f');
    expect(saved).not.toContain(KEY_A);
    expect(h.omicall.webhooks.get(KEY_A)).toMatch(new RegExp(`/omicall/webhook/${TEAM_A}/`));
    const stored = await h.app.store.get<Record<string, unknown>>(workspaceKeys(TEAM_A).providerKey());
    expect(stored).toMatchObject({ last4: '7a1f', setBy: 'UINSTALLA' });
    expect(JSON.stringify(stored)).not.toContain(KEY_A);

    // The modal opened again shows what is in use, never the key.
    const { triggerId, res } = pressKeyButton(h, IN_A, PEOPLE.adminA);
    await res;
    const reopened = await waitFor(() => h.slack.modals.find((m) => m.triggerId === triggerId), 5000);
    expect(JSON.stringify(reopened.view)).toContain('`…7a1f`');
    expect(JSON.stringify(reopened.view)).not.toContain(KEY_A);

    expect((await setKeyThroughModal(h, IN_B, PEOPLE.adminB, KEY_B)).body.response_action).toBe('update');
    const a = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'after.wav'));
    const b = await shareIn(h, IN_B, BETA, memo(TEAM_B, 'beta.wav'));
    const upA = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(a.ts)), 8000);
    const upB = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(b.ts)), 8000);
    expect(upA.headers.apikey).toBe(KEY_A);
    expect(upB.headers.apikey).toBe(KEY_B);
    await h.callBackFor(upA, { tracking_id: upA.trackingId, from: 0, to: 1, text: 'đã có khóa' });
    await waitFor(() => h.slack.thread(ALPHA, a.ts).some((m) => m.text.includes('đã có khóa')), 5000);
    // The memo shared before the key can now be asked for.
    expect(await transcribeIn(h, TEAM_A, PEOPLE.memberA, ALPHA)).toContain('Transcribing');
  });
});

describe('with a default key (OMICALL_API_KEY)', () => {
  beforeEach(() => start({ defaultKey: true }));

  it('workspaces without a key of their own use it until an admin sets theirs; the default key itself is refused', async () => {
    const a = await shareIn(h, IN_A, ALPHA, memo(TEAM_A));
    const up = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(a.ts)), 8000);
    expect(up.headers.apikey).toBe(API_KEY);
    // Its results come to the shared webhook, registered with the default key at start.
    expect(h.omicall.webhooks.get(API_KEY)).toMatch(/\/omicall\/webhook\/[\w-]+$/);
    expect((await h.callBackFor(up, { tracking_id: up.trackingId, from: 0, to: 1, text: 'mặc định' })).status).toBe(
      200,
    );
    const refused = await setKeyThroughModal(h, IN_A, PEOPLE.adminA, API_KEY);
    expect(errorsOf(refused.body)[KEY_INPUT.block]).toContain("the app's own default OMICall key");
    expect((await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A)).body.response_action).toBe('update');
    const next = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'own.wav'));
    const own = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(next.ts)), 8000);
    expect(own.headers.apikey).toBe(KEY_A);
    // A job of A's own key is never accepted on the shared URL.
    expect((await h.callBack({ tracking_id: own.trackingId, from: 0, to: 1, text: 'x' })).status).toBe(403);
  });
});

/** `/transcribe` with no argument, run by `user` in `channel` of `team`: what they are told. */
async function transcribeIn(harness: Harness, team: string, user: string, channel: string): Promise<string> {
  const id = `ask-${Math.random().toString(36).slice(2)}`;
  const res = await postCommand(harness.url, {
    team_id: team,
    user_id: user,
    channel_id: channel,
    text: '',
    response_url: `${harness.slack.url}/respond/${id}`,
  });
  expect(res.status).toBe(200);
  const answer = await waitFor(() => harness.slack.responses.find((r) => r.path.endsWith(`/${id}`)), 5000);
  return answer.body.text ?? '';
}

describe('a new PUBLIC_URL', () => {
  beforeEach(() => start());

  it("registers each workspace key's webhook again at its new address, once, at start", async () => {
    expect((await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A)).body.response_action).toBe('update');
    await h.app.stop();
    const moved = await Harness.start({ with: h, distribution: {}, env: { PUBLIC_URL: 'https://moved.test' } });
    try {
      expect(h.omicall.webhooks.get(KEY_A)).toMatch(new RegExp(`^https://moved\\.test/omicall/webhook/${TEAM_A}/`));
      expect(moved.logged("workspaces' webhooks registered at their new address")[0]).toMatchObject({
        registered: 1,
        failed: 0,
      });
      await moved.app.stop();
      const count = h.omicall.registrations.length;
      const again = await Harness.start({ with: h, distribution: {}, env: { PUBLIC_URL: 'https://moved.test' } });
      // Same address: not registered again (a company that pointed its key elsewhere since keeps it there).
      expect(h.omicall.registrations.length).toBe(count);
      await again.stop();
    } finally {
      await moved.stop();
    }
  });
});
