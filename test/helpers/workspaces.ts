/**
 * Several workspaces, as Slack sends their requests to a distributed app: "Add to Slack" through a browser, events in
 * envelopes whose `authorizations` name the installation, Home-tab buttons and modal submissions of a team (or of an
 * Enterprise Grid org's workspace, for an org-wide installation).
 */
import { request } from 'undici';
import { ACTIONS, KEY_INPUT, VIEWS } from '../../src/slack/ids.ts';
import { APP_ID, type Approval, ORG, ORG_TEAM_1, type PostedMessage, TEAM_A, TEAM_B } from '../stand-ins/slack.ts';
import type { Harness } from './harness.ts';
import { postInteraction, postSigned, type SlackPost } from './slack-requests.ts';

/** Where a request comes from: the workspace the person is in, and the installation that serves it. */
export interface Where {
  /** The team the person and the message are in. */
  team: string;
  /** The org of an org-wide installation (the installation is the org's, `is_enterprise_install`). */
  org?: string;
  /** The bot user of the installation. */
  botUser: string;
}

export const IN_A: Where = { team: TEAM_A, botUser: 'UBOT0001' };
export const IN_B: Where = { team: TEAM_B, botUser: 'UBOT0002' };
/** A workspace of the org, served by the org-wide installation. */
export const IN_ORG: Where = { team: ORG_TEAM_1, org: ORG, botUser: 'UBOTORG1' };

/** People: an admin and a member in each workspace (the stand-in's users.info says who is an admin). */
export const PEOPLE = {
  adminA: 'UADMINA01',
  memberA: 'UALICE01',
  adminB: 'UADMINB01',
  memberB: 'UMEMBB01',
  adminOrg: 'UADMINO01',
  memberOrg: 'UMEMBO01',
} as const;

/** Puts the people in their workspaces, and makes the admins admins. */
export function seatPeople(h: Harness): void {
  const { slack } = h;
  slack.userTeams.set(PEOPLE.adminA, TEAM_A);
  slack.userTeams.set(PEOPLE.memberA, TEAM_A);
  slack.userTeams.set(PEOPLE.adminB, TEAM_B);
  slack.userTeams.set(PEOPLE.memberB, TEAM_B);
  slack.userTeams.set(PEOPLE.adminOrg, ORG_TEAM_1);
  slack.userTeams.set(PEOPLE.memberOrg, ORG_TEAM_1);
  for (const admin of [PEOPLE.adminA, PEOPLE.adminB, PEOPLE.adminOrg]) slack.admins.add(admin);
}

export interface InstallRun {
  /** The install page as the browser got it. */
  page: { status: number; text: string; headers: Record<string, string | string[] | undefined> };
  /** Where Slack sent the browser back (the app's redirect URL, with its code and state). */
  redirect?: URL;
  /** The state cookie the install page set. */
  cookie?: string;
  /** The app's answer to the redirect: the success or the failure page. */
  status: number;
  text: string;
}

/**
 * "Add to Slack" in a browser: the install page (its Add to Slack link and state cookie), Slack's approval page (the
 * stand-in's, where `approval` happens), back to the app's redirect URL with the cookie.
 */
export async function install(h: Harness, approval: Approval, o: { cookie?: string } = {}): Promise<InstallRun> {
  const pageRes = await request(`${h.url}/slack/install`);
  const text = await pageRes.body.text();
  const page = { status: pageRes.statusCode, text, headers: pageRes.headers };
  const cookie = cookieOf(pageRes.headers['set-cookie']);
  const link = /href="([^"]+oauth\/v2\/authorize[^"]*)"/.exec(text)?.[1]?.replaceAll('&amp;', '&');
  if (!link) throw new Error(`no Add to Slack link on the install page (${page.status}): ${text.slice(0, 300)}`);
  h.slack.approvals.push(approval);
  const slack = await request(link);
  await slack.body.text();
  const location = String(slack.headers.location ?? '');
  if (slack.statusCode !== 302 || !location) throw new Error(`Slack's approval page answered ${slack.statusCode}`);
  const redirect = new URL(location);
  const back = await arrive(h, redirect, o.cookie ?? cookie);
  return { page, redirect, cookie, ...back };
}

/** The browser arrives at the app's redirect URL (PUBLIC_URL's path and query, on the app's local port). */
export async function arrive(h: Harness, redirect: URL, cookie?: string): Promise<{ status: number; text: string }> {
  const res = await request(`${h.url}${redirect.pathname}${redirect.search}`, {
    headers: cookie ? { cookie: `slack-app-oauth-state=${cookie}` } : {},
  });
  return { status: res.statusCode, text: await res.body.text() };
}

function cookieOf(header: string | string[] | undefined): string | undefined {
  const all = Array.isArray(header) ? header : header ? [header] : [];
  for (const c of all) {
    const m = /slack-app-oauth-state=([^;]*)/.exec(c);
    if (m?.[1]) return m[1];
  }
  return undefined;
}

let seq = 0;

/** An Events API envelope for an event in `where`, as Slack sends it to a distributed app. */
export function envelopeIn(where: Where, event: Record<string, unknown>, o: { shared?: boolean } = {}): string {
  seq += 1;
  const org = where.org;
  return JSON.stringify({
    token: 'legacy',
    team_id: where.team,
    context_team_id: where.team,
    context_enterprise_id: org ?? null,
    ...(org ? { enterprise_id: org } : {}),
    api_app_id: APP_ID,
    event,
    type: 'event_callback',
    event_id: `Ev0DIST${Date.now()}${seq}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: org ?? null,
        team_id: org ? null : where.team,
        user_id: where.botUser,
        is_bot: true,
        is_enterprise_install: org !== undefined,
      },
    ],
    is_ext_shared_channel: o.shared ?? false,
  });
}

/** Posts an event in `where`, signed as Slack signs it. */
export function postEventIn(h: Harness, where: Where, event: Record<string, unknown>, o: { shared?: boolean } = {}) {
  return postSigned(h.url, envelopeIn(where, event, o), 'application/json');
}

/**
 * Someone in `where` shares a memo in `channel` (a file hosted in their workspace): the message in the channel's
 * history, and Slack's `message`/`file_share` event.
 */
export async function shareIn(
  h: Harness,
  where: Where,
  channel: string,
  file: { id: string },
  o: { user?: string; shared?: boolean } = {},
): Promise<{ ts: string; res: SlackPost }> {
  const ts = h.slack.nextTs();
  const user = o.user ?? (where === IN_B ? PEOPLE.memberB : where.org ? PEOPLE.memberOrg : PEOPLE.memberA);
  h.slack.addUserMessage({ channel, ts, user, files: [file] });
  const event = {
    type: 'message',
    subtype: 'file_share',
    text: '',
    user,
    channel,
    channel_type: 'channel',
    ts,
    event_ts: ts,
    files: [file],
    upload: false,
    display_as_bot: false,
  };
  const res = await postEventIn(h, where, event, o);
  return { ts, res };
}

/** `app_uninstalled`, as Slack sends it when an admin removes the app. */
export function appUninstalled(h: Harness, where: Where) {
  return postEventIn(h, where, { type: 'app_uninstalled', event_ts: `${Math.floor(Date.now() / 1000)}.000100` });
}

/** `tokens_revoked` for the installation's bot (and maybe people's tokens). */
export function tokensRevoked(h: Harness, where: Where, o: { bot?: boolean; users?: string[] } = {}) {
  return postEventIn(h, where, {
    type: 'tokens_revoked',
    tokens: { ...(o.users ? { oauth: o.users } : {}), ...(o.bot === false ? {} : { bot: [where.botUser] }) },
    event_ts: `${Math.floor(Date.now() / 1000)}.000200`,
  });
}

/** The team and enterprise parts of an interaction payload in `where`. */
function interactionParties(where: Where, user: string) {
  return {
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: where.team },
    team: { id: where.team, domain: where.team.toLowerCase(), ...(where.org ? { enterprise_id: where.org } : {}) },
    enterprise: where.org ? { id: where.org, name: 'Grid Corp' } : null,
    is_enterprise_install: where.org !== undefined,
  };
}

/**
 * Someone presses the Home tab's "set the key" button (`ACTIONS.setOmicallKey`): `block_actions` from a `home` view, as
 * Slack sends it; its `trigger_id` opens the modal.
 */
export function pressKeyButton(h: Harness, where: Where, user: string) {
  seq += 1;
  const viewId = `VHOME${seq}`;
  const triggerId = `${seq}.${Date.now()}.trigger${seq}`;
  const installedTeam = where.org ?? where.team;
  return {
    triggerId,
    res: postInteraction(h.url, {
      type: 'block_actions',
      ...interactionParties(where, user),
      api_app_id: APP_ID,
      token: 'legacy',
      container: { type: 'view', view_id: viewId },
      trigger_id: triggerId,
      view: {
        id: viewId,
        team_id: where.team,
        type: 'home',
        blocks: [
          {
            type: 'actions',
            block_id: 'home_key',
            elements: [
              { type: 'button', action_id: ACTIONS.setOmicallKey, text: { type: 'plain_text', text: 'Set the key' } },
            ],
          },
        ],
        private_metadata: '',
        callback_id: '',
        state: { values: {} },
        hash: `${seq}.hash`,
        title: { type: 'plain_text', text: 'Home' },
        clear_on_close: false,
        notify_on_close: false,
        close: null,
        submit: null,
        previous_view_id: null,
        root_view_id: viewId,
        app_id: APP_ID,
        external_id: '',
        app_installed_team_id: installedTeam,
        bot_id: 'B',
      },
      actions: [
        {
          action_id: ACTIONS.setOmicallKey,
          block_id: 'home_key',
          text: { type: 'plain_text', text: 'Set the key', emoji: true },
          type: 'button',
          action_ts: `${Math.floor(Date.now() / 1000)}.000300`,
        },
      ],
    }),
  };
}

/**
 * The key modal submitted (`view_submission`), as Slack sends it: the view the app opened (its blocks and
 * callback_id), with `state.values[block][action]` holding what was typed.
 */
export function submitKey(h: Harness, where: Where, user: string, view: Record<string, unknown>, value: string) {
  seq += 1;
  const viewId = `VMODAL${seq}`;
  return postInteraction(h.url, {
    type: 'view_submission',
    ...interactionParties(where, user),
    api_app_id: APP_ID,
    token: 'legacy',
    trigger_id: `${seq}.${Date.now()}.submit${seq}`,
    view: {
      id: viewId,
      team_id: where.team,
      type: 'modal',
      blocks: view.blocks,
      private_metadata: view.private_metadata ?? '',
      callback_id: view.callback_id ?? VIEWS.omicallKey,
      state: {
        values: { [KEY_INPUT.block]: { [KEY_INPUT.action]: { type: 'plain_text_input', value } } },
      },
      hash: `${seq}.hash`,
      title: view.title,
      clear_on_close: false,
      notify_on_close: false,
      close: view.close ?? null,
      submit: view.submit ?? null,
      previous_view_id: null,
      root_view_id: viewId,
      app_id: APP_ID,
      external_id: '',
      app_installed_team_id: where.org ?? where.team,
      bot_id: 'B',
    },
    response_urls: [],
  });
}

/** Opens the key modal in `where` (the button pressed) and submits `value` in it; Slack's answer to the submission. */
export async function setKeyThroughModal(h: Harness, where: Where, user: string, value: string) {
  const before = h.slack.modals.length;
  const { triggerId, res } = pressKeyButton(h, where, user);
  if ((await res).status !== 200) throw new Error('the button press was not acknowledged');
  const opened = await waitForModal(h, before, triggerId);
  const answer = await submitKey(h, where, user, opened.view, value);
  return { opened, answer, body: answer.body ? (JSON.parse(answer.body) as Record<string, unknown>) : {} };
}

async function waitForModal(h: Harness, before: number, triggerId: string) {
  const until = Date.now() + 5000;
  for (;;) {
    const found = h.slack.modals.slice(before).find((m) => m.triggerId === triggerId);
    if (found) return found;
    if (Date.now() > until) throw new Error('no modal opened');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The bot messages a workspace's token posted anywhere. */
export function postedBy(h: Harness, workspace: string): PostedMessage[] {
  return h.slack.messages.filter((m) => m.bot_id !== undefined && m.team === workspace);
}
