/**
 * "Add to Slack" over real HTTP, as a browser goes through it: the install page and its state cookie, Slack's approval
 * page, the redirect back with a code, the code exchanged with `oauth.v2.access`, the installation stored (per team,
 * or per Enterprise Grid org), and the page that says what to do next. A denied, forged, expired or reused state, or
 * a code Slack refuses, ends on a plain page with nothing stored.
 */
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAuthStateError } from '../src/errors.ts';
import { workspaceKeys } from '../src/store/keys.ts';
import { memoryStore } from '../src/store/memory.ts';
import { OAuthStates } from '../src/workspaces/oauth-state.ts';
import { ENCRYPTION_KEY, Harness, waitFor } from './helpers/harness.ts';
import { arrive, IN_B, IN_ORG, install, PEOPLE, postEventIn, shareIn } from './helpers/workspaces.ts';
import { CLIENT_ID, ORG, TEAM_B } from './stand-ins/slack.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start({ distribution: { defaultKey: true } });
});
afterEach(async () => {
  await h.stop();
});

/** Every key the store holds under a workspace. */
const keysOf = (workspace: string) => h.app.store.keysWith(workspaceKeys(workspace).prefix);
const installed = async () => Object.keys((await h.app.store.record('installations')) ?? {});

describe('the install page', () => {
  it('shows the Add to Slack link to Slack, with the app, its scopes, the redirect URL and a state, and sets the state cookie', async () => {
    const res = await request(`${h.url}/slack/install`);
    const text = await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(text).toContain('Add to Slack');
    const link = new URL(/href="([^"]+)"/.exec(text)?.[1]?.replaceAll('&amp;', '&') ?? '');
    expect(link.origin + link.pathname).toBe(`${h.slack.url}/oauth/v2/authorize`);
    expect(link.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(link.searchParams.get('redirect_uri')).toBe('https://transcriber.test/slack/oauth_redirect');
    expect(link.searchParams.get('scope')?.split(',')).toContain('files:read');
    const state = link.searchParams.get('state') ?? '';
    expect(state.length).toBeGreaterThan(20);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toContain(`slack-app-oauth-state=${state}`);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    // Issuing a state stores nothing: anyone may load this page.
    expect(await h.app.store.keysWith('oauth-state:')).toEqual([]);
  });

  it('with SLACK_INSTALL_DIRECT=true, sends the browser straight to Slack', async () => {
    const direct = await Harness.start({
      distribution: { defaultKey: true },
      env: { SLACK_INSTALL_DIRECT: 'true' },
    });
    try {
      const res = await request(`${direct.url}/slack/install`);
      await res.body.text();
      expect(res.statusCode).toBe(302);
      expect(String(res.headers.location)).toMatch(/\/oauth\/v2\/authorize\?.*state=/);
      expect(String(res.headers['set-cookie'])).toContain('slack-app-oauth-state=');
    } finally {
      await direct.stop();
    }
  });
});

describe('installing', () => {
  it('exchanges the code, stores the installation of the team, and says what to do next', async () => {
    const run = await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
    expect(run.status).toBe(200);
    expect(run.text).toContain('The app is installed');
    expect(run.text).toContain('Beta Co');
    expect(run.text).toContain('/invite @Transcriber');
    expect(run.text).toContain('Home tab');
    const exchange = h.slack.callsOf('oauth.v2.access');
    expect(exchange).toHaveLength(1);
    expect(exchange[0].args.code).toBe(run.redirect?.searchParams.get('code'));
    expect(exchange[0].args.redirect_uri).toBe('https://transcriber.test/slack/oauth_redirect');
    expect(await installed()).toEqual([TEAM_B]);
    const stored = await h.app.store.get<Record<string, unknown>>(workspaceKeys(TEAM_B).installation());
    expect(stored).toMatchObject({
      workspace: TEAM_B,
      teamId: TEAM_B,
      isEnterpriseInstall: false,
      botUserId: 'UBOT0002',
      botId: 'BBOT0002',
      installer: PEOPLE.adminB,
    });
    // The token is sealed: it is not in the store as it is.
    const token = h.slack.tokenOf(TEAM_B) ?? '';
    expect(token).toMatch(/^xoxb-/);
    expect(JSON.stringify(stored)).not.toContain(token);
    expect(String(stored?.token)).toMatch(/^v1\./);
  });

  it('serves the installed team from then on with its own token', async () => {
    await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
    const file = h.slack.addFile({ name: 'b.wav', mimetype: 'audio/wav', bytes: Buffer.from('RIFF'), team: TEAM_B });
    h.slack.channelTeams.set('C0BETA01', [TEAM_B]);
    const { ts, res } = await shareIn(h, IN_B, 'C0BETA01', file);
    expect(res.status).toBe(200);
    await waitFor(() => h.slack.thread('C0BETA01', ts).length > 0, 5000, 'a reply in B');
    const tokens = new Set(h.slack.calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.token));
    expect([...tokens]).toEqual([h.slack.tokenOf(TEAM_B)]);
  });

  it('an org-wide installation is stored under the org (team: null), and serves the org’s workspaces', async () => {
    const run = await install(h, { kind: 'approve-org', org: ORG, user: PEOPLE.adminOrg });
    expect(run.status).toBe(200);
    expect(run.text).toContain('Grid Corp');
    expect(run.text).toContain('Enterprise Grid');
    expect(await installed()).toEqual([ORG]);
    const stored = await h.app.store.get<Record<string, unknown>>(workspaceKeys(ORG).installation());
    expect(stored).toMatchObject({ workspace: ORG, enterpriseId: ORG, isEnterpriseInstall: true });
    expect(stored?.teamId).toBeUndefined();
    // An event of one of its workspaces is authorized by the org's installation.
    const res = await postEventIn(h, IN_ORG, {
      type: 'message',
      channel: 'C0ORG001',
      user: PEOPLE.memberOrg,
      text: 'hello',
      ts: '1.000001',
    });
    expect(res.status).toBe(200);
    expect(h.logs.some((l) => l.includes('Authorization of incoming event did not succeed'))).toBe(false);
  });

  it('refuses an event from a workspace that never installed the app, without an error', async () => {
    const res = await postEventIn(h, IN_B, { type: 'message', channel: 'C0BETA01', user: 'U1', text: 'x', ts: '1.1' });
    expect(res.status).toBe(200);
    expect(h.logged('a request from a workspace without an installation, ignored')).toHaveLength(1);
  });
});

describe('an installation that does not complete stores nothing', () => {
  const nothingStored = async () => {
    expect(await installed()).toEqual([]);
    expect(await keysOf(TEAM_B)).toEqual([]);
  };

  it('cancelled on Slack’s page', async () => {
    const run = await install(h, { kind: 'deny' });
    expect(run.status).toBe(400);
    expect(run.text).toContain('cancelled');
    expect(h.slack.callsOf('oauth.v2.access')).toHaveLength(0);
    await nothingStored();
  });

  it('a state that was not given to this browser (no cookie, or another one)', async () => {
    const run = await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB }, { cookie: 'someone-else' });
    expect(run.status).toBe(400);
    expect(run.text).toContain('not started in this browser');
    expect(h.slack.callsOf('oauth.v2.access')).toHaveLength(0);
    await nothingStored();
  });

  it('a forged state, even with a matching cookie', async () => {
    const run = await install(h, { kind: 'deny' }).catch(() => undefined);
    expect(run?.redirect).toBeDefined();
    const forged = new URL(
      'https://transcriber.test/slack/oauth_redirect?code=1.2.3&state=AAAAAAAAAAAAAAAAAAAAAAAA.zzzz.forged',
    );
    const back = await arrive(h, forged, 'AAAAAAAAAAAAAAAAAAAAAAAA.zzzz.forged');
    expect(back.status).toBe(400);
    expect(back.text).toContain('not one of this app’s');
    expect(h.slack.callsOf('oauth.v2.access')).toHaveLength(0);
    await nothingStored();
  });

  it('a state used once already (the redirect replayed, with its cookie)', async () => {
    const first = await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
    expect(first.status).toBe(200);
    const stored = await h.app.store.get(workspaceKeys(TEAM_B).installation());
    const replay = await arrive(h, first.redirect as URL, first.cookie);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('used already');
    // Refused before the exchange: the installation is the first one, untouched.
    expect(h.slack.callsOf('oauth.v2.access')).toHaveLength(1);
    expect(await h.app.store.get(workspaceKeys(TEAM_B).installation())).toEqual(stored);
  });

  it('an expired state', async () => {
    const quick = await Harness.start({ distribution: { defaultKey: true }, timings: { oauthStateMs: 300 } });
    try {
      h.slack.approvals.length = 0;
      const page = await request(`${quick.url}/slack/install`);
      const text = await page.body.text();
      const link = new URL(/href="([^"]+)"/.exec(text)?.[1]?.replaceAll('&amp;', '&') ?? '');
      const state = link.searchParams.get('state') ?? '';
      await new Promise((r) => setTimeout(r, 400));
      const back = await arrive(
        quick,
        new URL(`https://transcriber.test/slack/oauth_redirect?code=1.2.3&state=${state}`),
        state,
      );
      expect(back.status).toBe(400);
      expect(back.text).toContain('too old');
      expect(quick.slack.callsOf('oauth.v2.access')).toHaveLength(0);
      expect(Object.keys((await quick.app.store.record('installations')) ?? {})).toEqual([]);
    } finally {
      await quick.stop();
    }
  });

  it('a code Slack refuses (too old)', async () => {
    h.slack.codeLifetimeMs = -1;
    const run = await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
    expect(run.status).toBe(400);
    expect(run.text).toContain('too old');
    expect(h.slack.callsOf('oauth.v2.access')).toHaveLength(1);
    await nothingStored();
  });

  it('a Slack app with token rotation on: refused with the reason, and the token given back', async () => {
    const run = await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB, rotation: true });
    expect(run.status).toBe(400);
    expect(run.text).toContain('token rotation');
    expect(h.slack.callsOf('auth.revoke')).toHaveLength(1);
    await nothingStored();
  });
});

it('a restart keeps every installation; another ENCRYPTION_KEY opens none of them, and the app says so', async () => {
  await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
  await install(h, { kind: 'approve-org', org: ORG, user: PEOPLE.adminOrg });
  await h.app.stop();
  const restarted = await Harness.start({ with: h, distribution: { defaultKey: true } });
  try {
    expect(Object.keys((await restarted.app.store.record('installations')) ?? {}).sort()).toEqual([ORG, TEAM_B]);
    expect(restarted.logged('distribution mode')[0]).toMatchObject({ installations: 2 });
  } finally {
    await restarted.stop();
  }
  const wrong = Buffer.alloc(32, 9).toString('base64');
  expect(wrong).not.toBe(ENCRYPTION_KEY);
  await expect(
    Harness.start({ with: h, distribution: { defaultKey: true }, env: { ENCRYPTION_KEY: wrong } }),
  ).rejects.toThrow(/ENCRYPTION_KEY opens none of the 2 stored installations/);
});

it('/metrics counts the installed workspaces, and never names one', async () => {
  expect(await h.metric('transcriber_workspaces_installed')).toBe(0);
  await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
  await install(h, { kind: 'approve-org', org: ORG, user: PEOPLE.adminOrg });
  expect(await h.metric('transcriber_workspaces_installed')).toBe(2);
  const text = await (await request(`${h.url}/metrics`)).body.text();
  for (const name of [TEAM_B, ORG, 'Beta Co', 'Grid Corp']) expect(text).not.toContain(name);
});

describe('the OAuth state, called directly', () => {
  const options = { scopes: ['files:read'], redirectUri: 'https://transcriber.test/slack/oauth_redirect' };
  const states = (secret = 'state-secret', store = memoryStore()) =>
    new OAuthStates({ secret, store, lifetimeMs: 600_000, options: () => options });
  const reason = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err: unknown) => (err instanceof OAuthStateError ? err.reason : `other: ${String(err)}`),
    );
  const t0 = new Date('2026-12-02T10:00:00Z');

  it('is nonce.expiry.signature; verified within its lifetime it gives back the install options, once', async () => {
    const s = states();
    const state = await s.generateStateParam(options, t0);
    const [nonce, expiry, signature, ...rest] = state.split('.');
    expect(rest).toEqual([]);
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(Number.parseInt(expiry, 36)).toBe(t0.getTime() + 600_000);
    expect(signature).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await s.generateStateParam(options, t0)).not.toBe(state);
    // The nonce is kept for what is left of the state's lifetime (here about 599 s), so the second try is refused.
    expect(await s.verifyStateParam(new Date(t0.getTime() + 1000), state)).toEqual(options);
    expect(await reason(s.verifyStateParam(new Date(t0.getTime() + 599_999), state))).toBe('reused');
  });

  it('refuses a state past its lifetime, signed with another secret, or changed in any part', async () => {
    const s = states();
    const state = await s.generateStateParam(options, t0);
    expect(await reason(s.verifyStateParam(new Date(t0.getTime() + 600_000), state))).toBe('expired');
    const other = await states('another-secret').generateStateParam(options, t0);
    expect(await reason(s.verifyStateParam(t0, other))).toBe('forged');
    const [nonce, expiry, signature] = state.split('.');
    const later = (Number.parseInt(expiry, 36) + 1).toString(36);
    for (const changed of [
      `${nonce}.${later}.${signature}`,
      `${nonce.slice(1)}A.${expiry}.${signature}`,
      `${nonce}.${expiry}.${signature.slice(0, -1)}`,
      `${nonce}.${expiry}.${signature}A`,
      `${nonce}.${expiry}`,
      `${state}.x`,
      `x${state}`,
      '',
    ])
      expect(await reason(s.verifyStateParam(t0, changed)), changed).toBe('forged');
    // None of those refusals spent the state: the real one still works, once.
    expect(await s.verifyStateParam(t0, state)).toEqual(options);
  });

  it('once used on one instance, refused on another that shares the store', async () => {
    const store = memoryStore();
    const state = await states('s', store).generateStateParam(options, t0);
    expect(await states('s', store).verifyStateParam(t0, state)).toEqual(options);
    expect(await reason(states('s', store).verifyStateParam(t0, state))).toBe('reused');
  });
});
