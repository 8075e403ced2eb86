/**
 * `npm run doctor`: each of its checks and what it says to fix, how it proves PUBLIC_URL reaches this app over https,
 * and manifest.yml against the app.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledFfmpeg, ffmpegVersion, findFfmpeg, isOutdated } from '../src/audio/ffmpeg.ts';
import { deriveSecret } from '../src/config.ts';
import { messages } from '../src/i18n/index.ts';
import { SUBCOMMANDS, usage, usageHint } from '../src/listeners/commands/subcommands.ts';
import { type CheckResult, checkManifest, formatResults, runDoctor, summarise } from '../src/ops/doctor.ts';
import { REQUIRED_SCOPES } from '../src/slack/scopes.ts';
import { ENCRYPTION_KEY, Harness, STATE_SECRET } from './helpers/harness.ts';
import { freePort, runNode } from './helpers/process.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { TEST_CERT_PATH, TlsProxy } from './helpers/tls-proxy.ts';
import { IN_A, install, PEOPLE, seatPeople, setKeyThroughModal } from './helpers/workspaces.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';
import { API_KEY, KEY_A, type OmicallStandIn } from './stand-ins/omicall.ts';
import {
  ALL_SCOPES,
  BOT_TOKEN,
  CLIENT_ID,
  CLIENT_SECRET,
  type SlackStandIn,
  TEAM_A,
  TEAM_B,
} from './stand-ins/slack.ts';

let standIns: StandIns;
let slack: SlackStandIn;
let omicall: OmicallStandIn;
beforeAll(async () => {
  standIns = await startStandIns();
  ({ slack, omicall } = standIns);
});
afterAll(() => standIns.close());

/** A good configuration, except that nothing answers at PUBLIC_URL (`.test` never resolves). */
const env = () => ({
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  OMICALL_API_KEY: API_KEY,
  SLACK_API_URL: slack.apiUrl,
  OMICALL_API_URL: omicall.apiUrl,
  PUBLIC_URL: 'https://transcriber.test',
  REDIS_URL,
});

const check = (results: CheckResult[], name: string) => {
  const found = results.find((r) => r.name === name);
  if (!found) throw new Error(`no ${name} check in ${formatResults(results)}`);
  return found;
};
const fixOf = (result: CheckResult) => (result.status === 'pass' ? '' : result.fix);

/** Whether the ffmpeg the app finds here is old enough for doctor to warn about it. */
const OLD_FFMPEG = (() => {
  const version = ffmpegVersion(findFfmpeg().path);
  return version.ok && version.year !== undefined && isOutdated(version.year);
})();

describe('npm run doctor, check by check', () => {
  it('registers the webhook under PUBLIC_URL, and checks every part in order', async () => {
    slack.scopes = [...ALL_SCOPES];
    const results = await runDoctor(env());
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['configuration', 'pass'],
      ['PUBLIC_URL', 'fail'],
      ['manifest.yml', 'warn'],
      ['Slack token', 'pass'],
      ['Slack scopes', 'pass'],
      ['OMICall key', 'pass'],
      // A warning with the 2018 build npm brings, where the system has no ffmpeg.
      ['ffmpeg', OLD_FFMPEG ? 'warn' : 'pass'],
      ['Redis', 'pass'],
    ]);
    expect(omicall.registrations.at(-1)?.url).toMatch(/^https:\/\/transcriber\.test\/omicall\/webhook\/[\w-]+$/);
  });

  it('says the OMICall key is wrong when OMICall refuses it', async () => {
    const omi = check(await runDoctor({ ...env(), OMICALL_API_KEY: 'wrong-key' }), 'OMICall key');
    expect(omi.status).toBe('fail');
    expect(omi.detail).toContain('api_key_invalid (API key is invalid)');
    expect(fixOf(omi)).toMatch(/key is wrong.*OMICALL_API_KEY/);
  });

  it("prints none of the secrets a refusal quotes: the webhook URL's secret and the API key show as [redacted]", async () => {
    omicall.registrationRefusal = 'invalid_webhook';
    try {
      for (const extra of [{}, { OMICALL_WEBHOOK_SECRET: 'my-own-webhook-secret-0123456789' }]) {
        const run = await runNode(['src/doctor.ts'], { ...env(), ...extra });
        const printed = `${run.stdout}${run.stderr}`;
        expect(run.status).toBe(1);
        expect(run.stdout).toContain(
          '✗ OMICall key: OMICall answered invalid_webhook (cannot reach https://transcriber.test/omicall/webhook/[redacted] with apiKey [redacted])',
        );
        const webhookSecret = extra.OMICALL_WEBHOOK_SECRET ?? deriveSecret(SIGNING_SECRET, 'omicall-webhook');
        for (const secret of [webhookSecret, API_KEY, BOT_TOKEN, SIGNING_SECRET]) {
          expect(printed).not.toContain(secret);
        }
      }
      // What runDoctor returns is scrubbed too, for whoever calls it.
      const omi = check(await runDoctor(env()), 'OMICall key');
      expect(omi.detail).not.toContain(deriveSecret(SIGNING_SECRET, 'omicall-webhook'));
      expect(omi.detail).toContain('[redacted]');
    } finally {
      omicall.registrationRefusal = undefined;
    }
  });

  it('says the OMICall host is wrong when nothing answers there', async () => {
    const omi = check(await runDoctor({ ...env(), OMICALL_API_URL: 'http://127.0.0.1:9/api/ai' }), 'OMICall key');
    expect(fixOf(omi)).toMatch(/host looks wrong.*OMICALL_API_URL/);
  });

  it('names each missing scope, e.g. files:read', async () => {
    slack.scopes = ALL_SCOPES.filter((s) => s !== 'files:read' && s !== 'reactions:write');
    try {
      const scopes = check(await runDoctor(env()), 'Slack scopes');
      expect(scopes.status).toBe('fail');
      expect(scopes.detail).toBe('missing files:read, reactions:write');
      expect(fixOf(scopes)).toMatch(/reinstall/);
    } finally {
      slack.scopes = [...ALL_SCOPES];
    }
  });

  it('says when the token is refused, when PUBLIC_URL is not https, and when Redis does not answer', async () => {
    expect(check(await runDoctor({ ...env(), SLACK_BOT_TOKEN: 'xoxb-revoked' }), 'Slack token').detail).toContain(
      'invalid_auth',
    );
    const [https] = await runDoctor({ ...env(), PUBLIC_URL: 'http://transcriber.test' });
    expect(https).toMatchObject({ name: 'configuration', status: 'fail' });
    expect(https.detail).toMatch(/^PUBLIC_URL must be an https URL/);
    const redis = check(await runDoctor({ ...env(), REDIS_URL: 'redis://127.0.0.1:9' }), 'Redis');
    expect(redis.status).toBe('fail');
    expect(fixOf(redis)).toMatch(/REDIS_URL/);
  });

  it('refuses a documentation address (example.com) as PUBLIC_URL, naming it', async () => {
    const results = await runDoctor({ ...env(), PUBLIC_URL: 'https://transcriber.example.com' });
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ name: 'configuration', status: 'fail' });
    expect(results[0].detail).toMatch(/^PUBLIC_URL is a documentation address/);
    expect(fixOf(results[0])).toMatch(/^set PUBLIC_URL /);
  });

  it('checks the ffmpeg FFMPEG_PATH names', async () => {
    const ffmpeg = check(await runDoctor({ ...env(), FFMPEG_PATH: '/nonexistent/ffmpeg' }), 'ffmpeg');
    expect(ffmpeg.status).toBe('fail');
    expect(fixOf(ffmpeg)).toMatch(/FFMPEG_PATH/);
  });

  it('prints the ffmpeg version and where it comes from, and warns (not fails) when it is old', async () => {
    const current = (await runDoctor(env())).find((r) => r.name === 'ffmpeg');
    expect(current?.status).not.toBe('fail');
    expect(current?.detail).toMatch(/^ffmpeg version .* \((system|npm): \/.+\)/);
    const npm = bundledFfmpeg();
    if (!npm) return;
    const old = (await runDoctor({ ...env(), FFMPEG_PATH: npm })).find((r) => r.name === 'ffmpeg');
    expect(old?.status).toBe('warn');
    expect(old?.detail).toMatch(/\(FFMPEG_PATH: .*\): built in 2018, over three years old/);
  });

  it('marks passes ✓, warnings ⚠ and failures ✗, with the fix under warnings and failures only', () => {
    const results: CheckResult[] = [
      { name: 'ffmpeg', status: 'pass', detail: 'ffmpeg version 7' },
      { name: 'manifest.yml', status: 'warn', detail: 'template', fix: 'edit it' },
      { name: 'Redis', status: 'fail', detail: 'down', fix: 'start it' },
    ];
    expect(formatResults(results)).toBe(
      '✓ ffmpeg: ffmpeg version 7\n⚠ manifest.yml: template\n    fix: edit it\n✗ Redis: down\n    fix: start it',
    );
    expect(summarise(results)).toEqual({ line: '1 check(s) failed. 1 warning(s) to look at.', exitCode: 1 });
    expect(summarise(results.slice(0, 2))).toEqual({
      line: 'All checks passed. 1 warning(s) to look at.',
      exitCode: 0,
    });
  });
});

describe('PUBLIC_URL: doctor proves it reaches this app, over https', () => {
  let app: Harness;
  let otherDeployment: Harness;
  let proxy: TlsProxy;
  let otherServer: Server;
  let otherPort: number;
  beforeAll(async () => {
    app = await Harness.start();
    otherDeployment = await Harness.start({ env: { SLACK_SIGNING_SECRET: randomBytes(16).toString('hex') } });
    proxy = await TlsProxy.start(app.app.port);
    otherServer = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>There is nothing here</h1>');
    });
    await new Promise<void>((resolve) => otherServer.listen(0, '127.0.0.1', resolve));
    otherPort = (otherServer.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => otherServer.close(resolve));
    await app.stop();
    await otherDeployment.stop();
  });

  /** `npm run doctor` as an admin runs it, trusting the test certificate as if a public CA had issued it. */
  const doctor = () =>
    runNode(['src/doctor.ts'], {
      ...env(),
      SLACK_API_URL: app.slack.apiUrl,
      OMICALL_API_URL: app.omicall.apiUrl,
      PUBLIC_URL: `${proxy.url}/`,
      NODE_EXTRA_CA_CERTS: TEST_CERT_PATH,
    });

  it('passes when PUBLIC_URL (with a trailing slash) reaches the running app through an https proxy', async () => {
    proxy.forwardTo(app.app.port);
    const run = await doctor();
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`✓ PUBLIC_URL: ${proxy.url} reaches this app over https (it answered a fresh proof)`);
    // The repository's manifest.yml is a template: a warning, which leaves the exit code 0.
    expect(run.stdout).toMatch(
      /^⚠ manifest\.yml: 3 of its 3 request URLs are not https:\/\/127\.0\.0\.1:\d+\/slack\/events: https:\/\/transcriber\.example\.com\/slack\/events is the template's placeholder/m,
    );
    expect(run.stdout.split('\n').filter((l) => /^[✓⚠✗] /.test(l))).toHaveLength(8);
    expect(run.stdout).not.toMatch(/^✗/m);
    expect(run.stdout).toContain(`All checks passed. ${OLD_FFMPEG ? 2 : 1} warning(s) to look at.`);
    expect(run.status).toBe(0);
  });

  it('fails naming PUBLIC_URL when the proxy forwards to another server', async () => {
    proxy.forwardTo(otherPort);
    const run = await doctor();
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `✗ PUBLIC_URL: ${proxy.url} does not reach this app: another server answers there (HTTP 404, text/html: the wrong address, or the app is not deployed there)`,
    );
    expect(run.stdout).toMatch(/^✗ PUBLIC_URL: .*\n {4}fix: set PUBLIC_URL to the https address where this app runs/m);
    expect(run.stdout).toContain('1 check(s) failed.');
  });

  it('fails naming PUBLIC_URL when nothing answers behind the proxy (a tunnel whose app is not running)', async () => {
    proxy.forwardTo(await freePort());
    const run = await doctor();
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `✗ PUBLIC_URL: ${proxy.url} does not reach this app: another server answers there (HTTP 502, text/plain: a proxy or tunnel whose app is not running?)`,
    );
  });

  it('fails naming PUBLIC_URL when it reaches this app deployed with another signing secret', async () => {
    proxy.forwardTo(otherDeployment.app.port);
    const run = await doctor();
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `✗ PUBLIC_URL: ${proxy.url} reaches an instance of this app that holds another SLACK_SIGNING_SECRET`,
    );
  });

  it('says when nothing listens at PUBLIC_URL, when it speaks http instead of https, and when its certificate is not trusted', async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const nothing = check(await runDoctor({ ...env(), PUBLIC_URL: closed }), 'PUBLIC_URL');
    expect(nothing).toMatchObject({ status: 'fail' });
    expect(nothing.detail).toMatch(/^https:\/\/127\.0\.0\.1:\d+: nothing answers: nothing listens at 127\.0\.0\.1:\d+/);

    const plain = `https://127.0.0.1:${app.app.port}`;
    const http = check(await runDoctor({ ...env(), PUBLIC_URL: plain }), 'PUBLIC_URL');
    expect(http.detail).toBe(
      `${plain}: 127.0.0.1:${app.app.port} speaks plain http, not https: the app must be reached through https (a tunnel or proxy that holds a certificate, in front of the app's http port)`,
    );

    // This process was not started with NODE_EXTRA_CA_CERTS: to it, the test certificate is anyone's.
    proxy.forwardTo(app.app.port);
    const untrusted = check(await runDoctor({ ...env(), PUBLIC_URL: proxy.url }), 'PUBLIC_URL');
    expect(untrusted.detail).toMatch(/https certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
  });
});

describe('manifest.yml: its request URLs against PUBLIC_URL (a warning, never a failure)', () => {
  const publicUrl = 'https://transcriber-1234567890ab.herokuapp.com';
  const withUrl = (url: string) =>
    readFileSync('manifest.yml', 'utf8').replaceAll('https://transcriber.example.com/slack/events', url);

  it('passes when the three URLs are {PUBLIC_URL}/slack/events, in YAML or JSON', () => {
    expect(checkManifest(withUrl(`${publicUrl}/slack/events`), publicUrl)).toEqual({
      name: 'manifest.yml',
      status: 'pass',
      detail: `its 3 request URLs are ${publicUrl}/slack/events`,
    });
    const json = JSON.stringify(
      {
        features: { slash_commands: [{ command: '/transcribe', url: `${publicUrl}/slack/events` }] },
        settings: { event_subscriptions: { request_url: `${publicUrl}/slack/events` } },
      },
      null,
      2,
    );
    expect(checkManifest(json, publicUrl).status).toBe('pass');
  });

  it('names "//" as the fault when PUBLIC_URL was pasted with its trailing slash', () => {
    const result = checkManifest(withUrl(`${publicUrl}//slack/events`), publicUrl);
    expect(result.status).toBe('warn');
    expect(result.detail).toBe(
      `3 of its 3 request URLs are not ${publicUrl}/slack/events: ${publicUrl}//slack/events has "//" in its path (PUBLIC_URL pasted with its trailing slash): the app reads "//slack/events" as another address and answers 404`,
    );
    expect(fixOf(result)).toContain(`App Manifest" page`);
  });

  it('names a trailing slash as the fault', () => {
    const result = checkManifest(withUrl(`${publicUrl}/slack/events/`), publicUrl);
    expect(result.detail).toContain(`${publicUrl}/slack/events/ ends with a trailing slash`);
  });

  it('names another host, and the template placeholder', () => {
    const other = checkManifest(withUrl('https://old-app.herokuapp.com/slack/events'), publicUrl);
    expect(other.detail).toContain(`points at https://old-app.herokuapp.com, not at PUBLIC_URL (${publicUrl})`);
    const template = checkManifest(readFileSync('manifest.yml', 'utf8'), publicUrl);
    expect(template).toMatchObject({ status: 'warn' });
    expect(template.detail).toContain("is the template's placeholder");
  });

  it('is read from the working directory, and only there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'doctor-'));
    try {
      writeFileSync(join(dir, 'manifest.yml'), withUrl('https://transcriber.test//slack/events'));
      const found = check(await runDoctor(env(), { cwd: dir }), 'manifest.yml');
      expect(found).toMatchObject({ status: 'warn' });
      expect(found.detail).toContain('has "//" in its path');
      rmSync(join(dir, 'manifest.yml'));
      expect((await runDoctor(env(), { cwd: dir })).map((r) => r.name)).not.toContain('manifest.yml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

it('manifest.yml asks for exactly the scopes the app needs, has the Home tab, and lets people DM the bot', () => {
  const manifest = readFileSync('manifest.yml', 'utf8');
  const bot = /\n {4}bot:\n((?: {6}- .+\n)+)/.exec(manifest)?.[1] ?? '';
  const declared = bot
    .split('\n')
    .map((l) => l.replace(/^\s*- /, '').trim())
    .filter(Boolean);
  expect(declared.sort()).toEqual([...REQUIRED_SCOPES].sort());
  for (const event of [
    'message.channels',
    'message.groups',
    'message.im',
    'message.mpim',
    'app_home_opened',
    'file_deleted',
    'app_uninstalled',
    'tokens_revoked',
  ])
    expect(manifest).toContain(`- ${event}`);
  // "Add to Slack": the redirect URL, org-wide installations, no token rotation (the app refuses it).
  expect(manifest).toMatch(/\n {2}redirect_urls:\n {4}- https:\/\/transcriber\.example\.com\/slack\/oauth_redirect\n/);
  expect(manifest).toContain('org_deploy_enabled: true');
  expect(manifest).toContain('token_rotation_enabled: false');
  expect(manifest).toContain('callback_id: transcribe_message');
  expect(manifest).toContain('command: /transcribe');
  // The Home tab is on; without the Messages tab, Slack shows "Sending messages to this app has been turned off" in
  // the bot's DM.
  expect(manifest).toMatch(
    /\n {2}app_home:\n {4}home_tab_enabled: true\n {4}messages_tab_enabled: true\n {4}messages_tab_read_only_enabled: false\n/,
  );
});

it("manifest.yml's usage hint for /transcribe is the one the table of subcommands makes", () => {
  const hint = /usage_hint: "(.*)"/.exec(readFileSync('manifest.yml', 'utf8'))?.[1] ?? '';
  expect(hint).toBe(usageHint());
  expect(hint).toBe('[message link] | on | off | status | language vi|en|auto | help');
  // Every subcommand the table has is in the help, in both languages.
  for (const lang of ['en', 'vi'] as const) {
    const help = usage(messages(lang)).split('\n');
    expect(help).toHaveLength(SUBCOMMANDS.length + 2);
  }
});

describe('npm run doctor in distribution mode ("Add to Slack")', () => {
  let h: Harness;
  let proxy: TlsProxy;
  beforeAll(async () => {
    // The app behind an https proxy whose address is PUBLIC_URL, as in production.
    proxy = await TlsProxy.start();
    h = await Harness.start({ redis: true, distribution: {}, env: { PUBLIC_URL: proxy.url } });
    proxy.forwardTo(h.app.port);
    seatPeople(h);
    await install(h, { kind: 'approve', team: TEAM_A, user: PEOPLE.adminA });
    await install(h, { kind: 'approve', team: TEAM_B, user: PEOPLE.adminB });
    await setKeyThroughModal(h, IN_A, PEOPLE.adminA, KEY_A);
  });
  afterAll(async () => {
    await h.stop();
    await proxy.close();
  });

  const distributionEnv = (more: Record<string, string> = {}) => ({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_CLIENT_ID: CLIENT_ID,
    SLACK_CLIENT_SECRET: CLIENT_SECRET,
    SLACK_STATE_SECRET: STATE_SECRET,
    ENCRYPTION_KEY,
    SLACK_API_URL: h.slack.apiUrl,
    OMICALL_API_URL: h.omicall.apiUrl,
    PUBLIC_URL: proxy.url,
    REDIS_URL,
    REDIS_PREFIX: h.prefix,
    NODE_EXTRA_CA_CERTS: TEST_CERT_PATH,
    ...more,
  });
  const lines = (stdout: string) => stdout.split('\n').filter((l) => /^[✓⚠✗] /.test(l));

  it('checks the client id and secret, the redirect URL under PUBLIC_URL, the store, the key, and each workspace', async () => {
    const run = await runNode(['src/doctor.ts'], distributionEnv());
    expect(run.stderr).toBe('');
    const out = lines(run.stdout);
    expect(out).toContain(`✓ Slack app credentials: SLACK_CLIENT_ID ${CLIENT_ID} and its secret are Slack's`);
    expect(out).toContain(
      `✓ redirect URL: ${proxy.url}/slack/oauth_redirect (the install page at ${proxy.url}/slack/install sends it)`,
    );
    expect(out).toContain(
      '✓ OMICall key: no default key (OMICALL_API_KEY): each workspace sets its own in the Home tab',
    );
    expect(out).toContain(`✓ Redis: ${REDIS_URL} answers`);
    expect(out).toContain('✓ installations: 2 workspace(s)');
    expect(out).toContain('✓ ENCRYPTION_KEY: opens the 2 installations checked');
    expect(out).toContain(`✓ workspace ${TEAM_A}: "Acme": all ${REQUIRED_SCOPES.length} scopes, its own key (…7a1f)`);
    expect(out).toContain(`⚠ workspace ${TEAM_B}: "Beta Co": all ${REQUIRED_SCOPES.length} scopes, no key`);
    expect(run.stdout).toContain("fix: an admin of that workspace sets the OMICall key in the app's Home tab");
    // The repository's manifest is a template: its redirect URL is the placeholder's.
    expect(out.find((l) => l.startsWith('⚠ manifest.yml (distribution)'))).toContain('/slack/oauth_redirect');
    // No token, secret or key in what doctor prints.
    for (const secret of [CLIENT_SECRET, STATE_SECRET, ENCRYPTION_KEY, KEY_A, h.slack.tokenOf(TEAM_A) ?? 'x'])
      expect(run.stdout).not.toContain(secret);
    expect(run.status).toBe(0);
  });

  it('names the wrong client secret, a workspace without a scope, and an ENCRYPTION_KEY that opens nothing', async () => {
    const tokenB = h.slack.tokenOf(TEAM_B) ?? '';
    const info = h.slack.tokens.get(tokenB);
    if (info) info.scopes = REQUIRED_SCOPES.filter((s) => s !== 'files:write');
    try {
      const secret = await runNode(['src/doctor.ts'], distributionEnv({ SLACK_CLIENT_SECRET: 'f'.repeat(32) }));
      expect(secret.stdout).toContain('✗ Slack app credentials: Slack refused them (bad_client_secret)');
      expect(secret.stdout).toContain('fix: copy SLACK_CLIENT_SECRET again');
      expect(lines(secret.stdout)).toContain(`✗ workspace ${TEAM_B}: "Beta Co": missing files:write, no key`);
      expect(secret.status).toBe(1);
      const wrong = await runNode(
        ['src/doctor.ts'],
        distributionEnv({ ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64') }),
      );
      expect(lines(wrong.stdout)).toContain('✗ ENCRYPTION_KEY: opens 0 of the 2 installations checked');
    } finally {
      if (info) delete info.scopes;
    }
  });
});
