/**
 * One deployment, several workspaces: each memo is handled with its workspace's own Slack token and its own OMICall
 * key, and nothing that carries workspace A's memo (a callback, an export button, a `/transcribe` link) ever writes
 * into workspace B, or the other way round. A Slack Connect channel shared by both is served once, by the installation
 * Slack names in the event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_FORMATS } from '../src/outputs/index.ts';
import { ACTIONS } from '../src/slack/ids.ts';
import { speech } from './helpers/audio.ts';
import { permalinkOf } from './helpers/commands.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand, postInteraction } from './helpers/slack-requests.ts';
import {
  IN_A,
  IN_B,
  IN_ORG,
  install,
  PEOPLE,
  postedBy,
  seatPeople,
  setKeyThroughModal,
  shareIn,
} from './helpers/workspaces.ts';
import { KEY_A, KEY_B, type ReceivedUpload } from './stand-ins/omicall.ts';
import { ORG, ORG_TEAM_1, TEAM_A, TEAM_B } from './stand-ins/slack.ts';

const ALPHA = 'C0ALPHA01';
const BETA = 'C0BETA001';
const SHARED = 'C0SHARED1';
const GRID = 'C0GRID001';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ distribution: {} });
  seatPeople(h);
  h.slack.channelTeams.set(ALPHA, [TEAM_A]);
  h.slack.channelTeams.set(BETA, [TEAM_B]);
  h.slack.channelTeams.set(SHARED, [TEAM_A, TEAM_B]);
  h.slack.channelTeams.set(GRID, [ORG_TEAM_1]);
  for (const [team, user] of [
    [TEAM_A, PEOPLE.adminA],
    [TEAM_B, PEOPLE.adminB],
  ] as const) {
    expect((await install(h, { kind: 'approve', team, user })).status).toBe(200);
  }
  expect((await install(h, { kind: 'approve-org', org: ORG, user: PEOPLE.adminOrg })).status).toBe(200);
  expect((await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A)).body.response_action).toBe('update');
  expect((await setKeyThroughModal(h, IN_B, PEOPLE.adminB, KEY_B)).body.response_action).toBe('update');
});
afterAll(async () => {
  await h.stop();
});

const memo = (team: string, name: string) =>
  h.slack.addFile({ name, mimetype: 'audio/wav', filetype: 'wav', path: speech('wav'), team });
const uploadOf = (ts: string) =>
  waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'the upload');
const tokenOf = (team: string) => h.slack.tokenOf(team) ?? '';

/** What a callback for `upload` looks like: one segment. */
const segment = (upload: ReceivedUpload, text: string) => ({ tracking_id: upload.trackingId, from: 0, to: 2, text });

describe('events from two workspaces', () => {
  it('are each handled with their own token and their own OMICall key, and the results land in their own threads', async () => {
    const a = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'alpha.wav'));
    const b = await shareIn(h, IN_B, BETA, memo(TEAM_B, 'beta.wav'));
    const [upA, upB] = await Promise.all([uploadOf(a.ts), uploadOf(b.ts)]);
    expect(upA.headers.apikey).toBe(KEY_A);
    expect(upB.headers.apikey).toBe(KEY_B);
    expect(upA.trackingId).toMatch(new RegExp(`^${TEAM_A}_${ALPHA}_`));
    expect(upB.trackingId).toMatch(new RegExp(`^${TEAM_B}_${BETA}_`));
    // Each download went with its own workspace's token (the file host gives the sign-in page to any other).
    const downloads = h.slack.downloads.map((d) => d.authorization);
    expect(downloads).toContain(`Bearer ${tokenOf(TEAM_A)}`);
    expect(downloads).toContain(`Bearer ${tokenOf(TEAM_B)}`);

    // OMICall calls back each key's own webhook URL.
    expect((await h.callBackFor(upA, segment(upA, 'xin chào A'))).status).toBe(200);
    expect((await h.callBackFor(upB, segment(upB, 'xin chào B'))).status).toBe(200);
    await waitFor(() => h.slack.thread(ALPHA, a.ts).some((m) => m.text.includes('xin chào A')), 5000, "A's text");
    await waitFor(() => h.slack.thread(BETA, b.ts).some((m) => m.text.includes('xin chào B')), 5000, "B's text");
    expect(h.slack.thread(ALPHA, a.ts).every((m) => m.team === TEAM_A)).toBe(true);
    expect(h.slack.thread(BETA, b.ts).every((m) => m.team === TEAM_B)).toBe(true);
    expect(
      h.slack
        .thread(ALPHA, a.ts)
        .map((m) => m.text)
        .join(),
    ).not.toContain('xin chào B');
    for (const call of h.slack.calls.filter((c) => c.args.channel === ALPHA)) expect(call.workspace).toBe(TEAM_A);
    for (const call of h.slack.calls.filter((c) => c.args.channel === BETA)) expect(call.workspace).toBe(TEAM_B);
  });

  it("registered each workspace's key with that workspace's own webhook URL", () => {
    const urlA = h.omicall.webhooks.get(KEY_A) ?? '';
    const urlB = h.omicall.webhooks.get(KEY_B) ?? '';
    expect(urlA).toMatch(new RegExp(`^https://transcriber\\.test/omicall/webhook/${TEAM_A}/[\\w-]{32}$`));
    expect(urlB).toMatch(new RegExp(`^https://transcriber\\.test/omicall/webhook/${TEAM_B}/[\\w-]{32}$`));
    expect(urlA.split('/').at(-1)).not.toBe(urlB.split('/').at(-1));
  });

  it('an org-wide installation serves its workspaces’ memos with the org’s token (and, without a key, sends nothing)', async () => {
    const g = await shareIn(h, IN_ORG, GRID, memo(ORG_TEAM_1, 'grid.wav'));
    expect(g.res.status).toBe(200);
    const line = await waitFor(() => h.slack.thread(GRID, g.ts)[0], 5000, 'the line in the org’s thread');
    expect(line.team).toBe(ORG);
    expect(line.text).toContain('no OMICall key yet');
    expect(h.omicall.uploads.some((u) => u.trackingId?.includes(g.ts))).toBe(false);
  });
});

describe("A's memo never writes into B", () => {
  it("a callback with A's tracking_id on B's webhook URL, or on the shared URL, is refused and posts nothing", async () => {
    const a = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'secret-a.wav'));
    const upA = await uploadOf(a.ts);
    await waitFor(() => h.slack.thread(ALPHA, a.ts)[0]?.text.includes('was sent'), 5000, 'the first reply');
    await h.app.pipeline.replies.idle();
    const before = h.slack.calls.length;
    const urlB = h.omicall.webhooks.get(KEY_B) ?? '';
    const local = (url: string) => h.local(url);
    const onB = await h.omicall.callBack(segment(upA, 'leaked into B'), local(urlB));
    expect(onB.status).toBe(403);
    const shared = await h.omicall.callBack(segment(upA, 'leaked on the shared URL'), h.webhookUrl);
    expect(shared.status).toBe(403);
    // B's URL with A's workspace in it, and A's URL with B's secret: not a URL of the app.
    const mixed = local(urlB).replace(`/${TEAM_B}/`, `/${TEAM_A}/`);
    expect((await h.omicall.callBack(segment(upA, 'mixed'), mixed)).status).toBe(403);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.calls.slice(before).filter((c) => c.method.startsWith('chat.'))).toEqual([]);
    expect(h.slack.messages.some((m) => /leaked|mixed/.test(m.text))).toBe(false);
  });

  it("an export button carrying A's memo, pressed in B, uploads nothing anywhere", async () => {
    const a = await shareIn(h, IN_A, ALPHA, memo(TEAM_A, 'export-a.wav'));
    const upA = await uploadOf(a.ts);
    await h.callBackFor(upA, segment(upA, 'words of A'));
    await waitFor(() => h.slack.thread(ALPHA, a.ts).some((m) => m.text.includes('words of A')), 5000, 'the text');
    const uploadsBefore = h.slack.uploadedFiles.length;
    const responseUrl = `${h.slack.url}/respond/export-in-b`;
    const res = await postInteraction(h.url, {
      type: 'block_actions',
      user: { id: PEOPLE.memberB, username: 'memb', name: 'memb', team_id: TEAM_B },
      api_app_id: 'A0001',
      token: 'legacy',
      container: { type: 'message', message_ts: '1.1', channel_id: BETA, is_ephemeral: false },
      trigger_id: '1.2.3',
      team: { id: TEAM_B, domain: 'beta' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: BETA, name: 'beta' },
      message: { type: 'message', ts: '1.1', text: 'x', user: 'UBOT0002' },
      state: { values: {} },
      response_url: responseUrl,
      actions: [
        {
          action_id: `${ACTIONS.exportPrefix}${OUTPUT_FORMATS[0].id}`,
          block_id: 'export',
          text: { type: 'plain_text', text: '.txt' },
          value: upA.trackingId,
          type: 'button',
          action_ts: '1.3',
        },
      ],
    });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/export-in-b')), 5000);
    expect(answer.body.text).toContain('no transcript');
    expect(h.slack.uploadedFiles.length).toBe(uploadsBefore);
  });

  it("a /transcribe link to A's memo, asked in B, transcribes nothing and tells nothing about A's channel", async () => {
    const file = memo(TEAM_A, 'linked-a.wav');
    const ts = h.slack.nextTs();
    h.slack.addUserMessage({ channel: ALPHA, ts, user: PEOPLE.memberA, files: [file] });
    const uploads = h.omicall.uploads.length;
    const responseUrl = `${h.slack.url}/respond/link-in-b`;
    const res = await postCommand(h.url, {
      team_id: TEAM_B,
      team_domain: 'beta',
      user_id: PEOPLE.memberB,
      channel_id: BETA,
      text: permalinkOf(ALPHA, ts),
      response_url: responseUrl,
    });
    expect(res.status).toBe(200);
    const answer = await waitFor(() => h.slack.responses.find((r) => r.path.endsWith('/link-in-b')), 5000);
    expect(answer.body.text).toContain('could not find that message');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.omicall.uploads.length).toBe(uploads);
    expect(postedBy(h, TEAM_B).some((m) => m.channel === ALPHA)).toBe(false);
  });
});

describe('a Slack Connect channel shared by A and B, both installed', () => {
  it('transcribes a memo once, with the token and key of the installation Slack names in the event', async () => {
    // Slack delivers an event of a shared channel once per app, naming one installation that can see it (here B's,
    // though the memo's author is in A).
    const file = memo(TEAM_B, 'shared.wav');
    const s = await shareIn(h, IN_B, SHARED, file, { user: PEOPLE.memberA, shared: true });
    const up = await uploadOf(s.ts);
    expect(up.headers.apikey).toBe(KEY_B);
    expect(up.trackingId).toMatch(new RegExp(`^${TEAM_B}_${SHARED}_`));
    await h.callBackFor(up, segment(up, 'one transcript'));
    await waitFor(() => h.slack.thread(SHARED, s.ts).some((m) => m.text.includes('one transcript')), 5000);
    await h.app.pipeline.replies.idle();
    const replies = h.slack.thread(SHARED, s.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0].team).toBe(TEAM_B);
    expect(h.omicall.uploads.filter((u) => u.trackingId?.includes(s.ts))).toHaveLength(1);
  });
});
