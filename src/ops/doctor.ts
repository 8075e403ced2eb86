import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { DATABASE_FILE } from '../assemble.ts';
import { type FoundFfmpeg, ffmpegVersion, findFfmpeg, isOutdated } from '../audio/ffmpeg.ts';
import {
  type Config,
  isDocumentationHost,
  loadConfig,
  oauthRedirectUrl,
  secretsOf,
  slackEventsUrl,
  webhookUrl,
  workspaceWebhookUrl,
} from '../config.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { healthProof, healthProofKey } from '../http/health.ts';
import { LIMITS } from '../limits.ts';
import { boltLogger, createLogger, scrubber } from '../log.ts';
import { REQUIRED_SCOPES } from '../slack/scopes.ts';
import { createStore, type Store } from '../store/index.ts';
import { Cipher } from '../workspaces/cipher.ts';
import { distributionWorkspaces } from '../workspaces/distribution.ts';

/**
 * One check's outcome. A warning is something to look at that may be right (the repository's manifest.yml may be
 * a template): it is shown with its fix, but only failures make `npm run doctor` exit 1.
 */
export type CheckResult =
  | { name: string; status: 'pass'; detail: string }
  | { name: string; status: 'warn' | 'fail'; detail: string; fix: string };

export interface DoctorOptions {
  /** Where manifest.yml is looked for (the working directory by default). */
  cwd?: string;
  /** How long the request to PUBLIC_URL may take, in ms. */
  timeoutMs?: number;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });

/** The variables whose values doctor never prints, as they are set (before the configuration is read, or if it fails). */
const SECRET_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'OMICALL_API_KEY',
  'OMICALL_WEBHOOK_SECRET',
  'METRICS_TOKEN',
] as const;

/**
 * What doctor prints goes through the logs' rule (`scrubber`, src/log.ts) with the configuration's secrets
 * (`secretsOf`: the derived webhook secret and Redis' password too): a service's answer quoted in a line (OMICall
 * echoing the webhook URL it was given, with its secret) shows `[redacted]` where a secret was.
 */
export function doctorScrubber(env: Record<string, string | undefined>): (text: string) => string {
  const given = SECRET_VARIABLES.map((name) => env[name]?.trim());
  let derived: string[] = [];
  try {
    derived = secretsOf(loadConfig(env));
  } catch {
    // A configuration that does not load has only the secrets as given.
  }
  return scrubber([...given, ...derived]);
}

/** Checks the configuration against the real services; one result per check, scrubbed of every secret. */
export async function runDoctor(
  env: Record<string, string | undefined>,
  options: DoctorOptions = {},
): Promise<CheckResult[]> {
  const scrub = doctorScrubber(env);
  const results = await checks(env, options);
  return results.map((r) =>
    r.status === 'pass' ? { ...r, detail: scrub(r.detail) } : { ...r, detail: scrub(r.detail), fix: scrub(r.fix) },
  );
}

async function checks(env: Record<string, string | undefined>, options: DoctorOptions): Promise<CheckResult[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((problem) =>
      fail('configuration', problem, `set ${problem.split(' ')[0]} in the environment or in .env (see .env.example)`),
    );
  }
  const results: CheckResult[] = [pass('configuration', 'every required variable is set and well formed')];
  results.push(await checkPublicUrl(config, options.timeoutMs ?? 10_000));
  const manifestPath = join(options.cwd ?? process.cwd(), 'manifest.yml');
  if (config.publicUrl && existsSync(manifestPath)) {
    const manifest = readFileSync(manifestPath, 'utf8');
    results.push(checkManifest(manifest, config.publicUrl));
    if (config.slack.mode === 'distribution') results.push(checkRedirectManifest(manifest, config.publicUrl));
  }
  if (config.slack.mode === 'single') results.push(...(await checkSlack(config, config.slack.botToken)));
  else results.push(await checkClient(config), await checkInstallPath(config, options.timeoutMs ?? 10_000));
  results.push(await checkProvider(config));
  results.push(checkFfmpeg(config));
  results.push(config.redisUrl ? await checkRedis(config) : await checkDataDir(config));
  if (config.slack.mode === 'distribution') results.push(...(await checkInstallations(config)));
  return results;
}

const PUBLIC_URL_FIX =
  'set PUBLIC_URL to the https address where this app runs (Heroku: the "Web URL" of heroku apps:info; on your machine: your https tunnel\'s address), and start the app there';

/**
 * Proves that PUBLIC_URL reaches this app, over https: a fresh nonce goes to `{PUBLIC_URL}/healthz?proof=`, and
 * only an app holding this configuration's signing secret answers it right. Anything else (nothing, another app,
 * plain http, a certificate nobody trusts) is said as what it is, because Slack and OMICall would meet the same.
 */
async function checkPublicUrl(config: Config, timeoutMs: number): Promise<CheckResult> {
  const name = 'PUBLIC_URL';
  const base = config.publicUrl;
  if (!base) return fail(name, 'not set: OMICall has no address to send transcripts to', PUBLIC_URL_FIX);
  const origin = new URL(base).origin;
  const nonce = randomBytes(24).toString('base64url');
  let status: number;
  let contentType: string;
  let location: string | undefined;
  let text: string;
  try {
    const res = await request(`${base}/healthz?proof=${nonce}`, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    contentType = String(res.headers['content-type'] ?? 'no content type').split(';')[0];
    const loc = res.headers.location;
    location = Array.isArray(loc) ? loc[0] : loc;
    text = (await res.body.text()).slice(0, 4096);
  } catch (err) {
    return fail(name, `${base}: ${unreachable(err, origin, timeoutMs)}`, PUBLIC_URL_FIX);
  }
  if (status >= 300 && status < 400) {
    return fail(
      name,
      `${base} redirects (HTTP ${status}${location ? ` to ${location}` : ''}) instead of reaching this app`,
      'set PUBLIC_URL to the address where the app answers itself, not one that redirects to it',
    );
  }
  const body = parseJson(text);
  const proof = body?.proof;
  if (typeof proof === 'string') {
    const expected = healthProof(healthProofKey(config.slackSigningSecret), nonce);
    if (!sameText(proof, expected)) {
      return fail(
        name,
        `${base} reaches an instance of this app that holds another SLACK_SIGNING_SECRET (another deployment, or a secret changed since it started)`,
        'point PUBLIC_URL at this deployment, or restart the app there with this configuration',
      );
    }
    if (status !== 200) {
      return warn(
        name,
        `${base} reaches this app over https, but it answers HTTP ${status} (store ${String(body?.store)})`,
        'see the Redis line below; a restarting app answers 503 for a moment',
      );
    }
    return pass(name, `${base} reaches this app over https (it answered a fresh proof)`);
  }
  const what =
    body && 'ok' in body
      ? 'a /healthz without the proof: another app, or this app in a version from before the proof'
      : `HTTP ${status}, ${contentType}${hint(status)}`;
  return fail(name, `${base} does not reach this app: another server answers there (${what})`, PUBLIC_URL_FIX);
}

/** What an error of the request to PUBLIC_URL means, in the words an admin needs. */
function unreachable(err: unknown, origin: string, timeoutMs: number): string {
  const code = errorCode(err);
  const host = new URL(origin).host;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `nothing answers: ${host} does not resolve (${code})`;
  if (code === 'ECONNREFUSED') return `nothing answers: nothing listens at ${host} (connection refused)`;
  if (code === 'ECONNRESET') return `the connection to ${host} was closed without an answer (ECONNRESET)`;
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' ||
    /wrong version number|packet length too long|http request/i.test(errorMessage(err))
  ) {
    return `${host} speaks plain http, not https: the app must be reached through https (a tunnel or proxy that holds a certificate, in front of the app's http port)`;
  }
  if (code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ALTNAME|ERR_TLS/.test(code)) {
    return `${host}'s https certificate is not trusted (${code}): Slack and OMICall would refuse it too`;
  }
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'ABORT_ERR' ||
    code === 'TimeoutError'
  ) {
    return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  return `no answer (${errorMessage(err)})`;
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ('code' in e && typeof e.code === 'string') return e.code;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return e.name === 'AbortError' ? 'ABORT_ERR' : e.name;
  }
  return undefined;
}

function hint(status: number): string {
  if (status === 404) return ': the wrong address, or the app is not deployed there';
  if (status === 502 || status === 503 || status === 504) return ': a proxy or tunnel whose app is not running?';
  return '';
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Compares the request URLs in a manifest (the slash command's `url`, and the `request_url` of event
 * subscriptions and interactivity) with `{PUBLIC_URL}/slack/events`. A warning, never a failure: the manifest in
 * the working directory may be the repository's template while Slack holds an edited copy. The URLs are read from
 * their lines (`url: …` or `"url": "…"`, YAML or JSON), which is all this check needs of the file.
 */
export function checkManifest(manifest: string, publicUrl: string): CheckResult {
  const name = 'manifest.yml';
  const expected = slackEventsUrl(publicUrl);
  const urls = [...manifest.matchAll(/^[ \t-]*["']?(?:request_url|url)["']?[ \t]*:[ \t]*["']?([^"'\s#,]+)/gm)].map(
    (m) => m[1],
  );
  const fix = `on the Slack app's "App Manifest" page (or in manifest.yml before you create the app), set the slash command's url and the request_url of event_subscriptions and interactivity to ${expected}; then verify the events URL there`;
  if (urls.length === 0) return warn(name, 'has no request URL (url:, request_url:)', fix);
  const faults = [...new Set(urls)]
    .map((url) => urlFault(url, expected))
    .filter((fault): fault is string => fault !== undefined);
  if (faults.length === 0) return pass(name, `its ${urls.length} request URLs are ${expected}`);
  const wrong = urls.filter((url) => url !== expected).length;
  return warn(name, `${wrong} of its ${urls.length} request URLs are not ${expected}: ${faults.join('; ')}`, fix);
}

function urlFault(url: string, expected: string): string | undefined {
  if (url === expected) return undefined;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL`;
  }
  const want = new URL(expected);
  if (isDocumentationHost(u.hostname)) {
    return `${url} is the template's placeholder (fine if Slack holds an edited copy)`;
  }
  if (u.pathname.includes('//')) {
    return `${url} has "//" in its path (PUBLIC_URL pasted with its trailing slash): the app reads "//slack/events" as another address and answers 404`;
  }
  if (u.origin !== want.origin) return `${url} points at ${u.origin}, not at PUBLIC_URL (${want.origin})`;
  if (u.pathname === `${want.pathname}/`) {
    return `${url} ends with a trailing slash: the app answers ${want.pathname} only, and 404 to ${u.pathname}`;
  }
  return `${url} has the path ${u.pathname}${u.search}, not ${want.pathname}`;
}

/** `auth.test` with a bot token: Slack's answer and the scopes the token has (its `x-oauth-scopes`). */
async function authTest(
  config: Config,
  token: string,
): Promise<{ body: { ok?: boolean; error?: string; team?: string; user?: string }; scopes: string[] }> {
  const res = await request(new URL('auth.test', config.slackApiUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
  const body = (await res.body.json()) as { ok?: boolean; error?: string; team?: string; user?: string };
  const scopes = String(res.headers['x-oauth-scopes'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return { body, scopes };
}

async function checkSlack(config: Config, token: string): Promise<CheckResult[]> {
  let body: { ok?: boolean; error?: string; team?: string; user?: string };
  let scopes: string[];
  try {
    ({ body, scopes } = await authTest(config, token));
  } catch (err) {
    return [
      fail(
        'Slack token',
        `cannot reach Slack at ${config.slackApiUrl} (${errorMessage(err)})`,
        'check the network, or SLACK_API_URL if you set it',
      ),
    ];
  }
  if (!body.ok) {
    return [
      fail(
        'Slack token',
        `Slack refused SLACK_BOT_TOKEN (${body.error})`,
        'copy the Bot User OAuth Token (xoxb-…) again from your Slack app\'s "OAuth & Permissions" page; install the app to the workspace if it is not',
      ),
    ];
  }
  const valid = pass('Slack token', `valid for workspace "${body.team}" as @${body.user}`);
  const missing = REQUIRED_SCOPES.filter((s) => !scopes.includes(s));
  const scopeResult =
    missing.length === 0
      ? pass('Slack scopes', `all ${REQUIRED_SCOPES.length} granted`)
      : fail(
          'Slack scopes',
          `missing ${missing.join(', ')}`,
          'add them under "OAuth & Permissions" > Bot Token Scopes (or update the app from manifest.yml), then reinstall the app to the workspace',
        );
  return [valid, scopeResult];
}

/**
 * Distribution mode: the Client ID and Secret, checked as Slack checks them, by exchanging a code that cannot be
 * right (`oauth.v2.access`): Slack answers `invalid_code` to a good pair, and names the part that is wrong otherwise.
 */
async function checkClient(config: Config): Promise<CheckResult> {
  const name = 'Slack app credentials';
  if (config.slack.mode !== 'distribution') return pass(name, 'single-workspace mode');
  const { clientId, clientSecret } = config.slack;
  let error: string | undefined;
  try {
    const res = await request(new URL('oauth.v2.access', config.slackApiUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, code: 'doctor-check' }).toString(),
    });
    error = ((await res.body.json()) as { error?: string }).error;
  } catch (err) {
    return fail(name, `cannot reach Slack at ${config.slackApiUrl} (${errorMessage(err)})`, 'check the network');
  }
  if (error === 'invalid_code') return pass(name, `SLACK_CLIENT_ID ${clientId} and its secret are Slack's`);
  const which =
    error === 'invalid_client_id'
      ? 'SLACK_CLIENT_ID'
      : error === 'bad_client_secret'
        ? 'SLACK_CLIENT_SECRET'
        : undefined;
  return fail(
    name,
    `Slack refused them (${error ?? 'no answer'})`,
    `copy ${which ?? 'SLACK_CLIENT_ID and SLACK_CLIENT_SECRET'} again from the Slack app's "Basic Information" page (App Credentials)`,
  );
}

/**
 * Distribution mode: `{PUBLIC_URL}/slack/install` reaches this app's install page, and its Add to Slack link sends
 * Slack's installers back to `{PUBLIC_URL}/slack/oauth_redirect`.
 */
async function checkInstallPath(config: Config, timeoutMs: number): Promise<CheckResult> {
  const name = 'redirect URL';
  const base = config.publicUrl;
  if (!base) return fail(name, 'PUBLIC_URL is not set', PUBLIC_URL_FIX);
  const expected = oauthRedirectUrl(base);
  const fix = `add ${expected} under "OAuth & Permissions" > Redirect URLs of the Slack app, and make sure ${base} reaches this app`;
  let text: string;
  let location: string | undefined;
  try {
    const res = await request(`${base}/slack/install`, {
      method: 'GET',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const loc = res.headers.location;
    location = Array.isArray(loc) ? loc[0] : loc;
    text = (await res.body.text()).slice(0, 65_536);
  } catch (err) {
    return fail(name, `${base}/slack/install: ${unreachable(err, new URL(base).origin, timeoutMs)}`, fix);
  }
  const link = location ?? /href="([^"]*oauth[^"]*)"/.exec(text)?.[1]?.replaceAll('&amp;', '&');
  const redirect = link ? safeUrl(link)?.searchParams.get('redirect_uri') : undefined;
  if (redirect === expected) return pass(name, `${expected} (the install page at ${base}/slack/install sends it)`);
  return fail(
    name,
    redirect
      ? `the install link sends installers back to ${redirect}, not ${expected}`
      : `${base}/slack/install does not serve this app's install page`,
    fix,
  );
}

function safeUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/** Distribution mode: the manifest's redirect URL and the two uninstall events. A warning, like the request URLs. */
export function checkRedirectManifest(manifest: string, publicUrl: string): CheckResult {
  const name = 'manifest.yml (distribution)';
  const expected = oauthRedirectUrl(publicUrl);
  const missing = [
    ...(manifest.includes(expected) ? [] : [`the redirect URL ${expected}`]),
    ...['app_uninstalled', 'tokens_revoked'].filter((e) => !new RegExp(`^\\s*- ${e}\\s*$`, 'm').test(manifest)),
  ];
  if (missing.length === 0) return pass(name, `redirect URL ${expected}; app_uninstalled and tokens_revoked`);
  return warn(
    name,
    `lacks ${missing.join(', ')}`,
    `set oauth_config.redirect_urls to ${expected} and subscribe to app_uninstalled and tokens_revoked (bot_events), on the Slack app's "App Manifest" page`,
  );
}

/**
 * Distribution mode: the installations in the store, opened with ENCRYPTION_KEY, and for each installed workspace
 * (the first `LIMITS.doctorWorkspaces`) its token's scopes and whether it has a provider key.
 */
async function checkInstallations(config: Config): Promise<CheckResult[]> {
  if (config.slack.mode !== 'distribution') return [];
  let store: Store;
  try {
    store = await Promise.race([
      config.redisUrl
        ? createStore({
            kind: 'redis',
            url: config.redisUrl,
            prefix: config.redisPrefix,
            tlsVerify: config.redisTlsVerify,
          })
        : createStore({ kind: 'sqlite', path: join(config.dataDir, DATABASE_FILE) }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref()),
    ]);
  } catch (err) {
    return [fail('installations', `the store cannot be read (${errorMessage(err)})`, 'see the store line above')];
  }
  const provider = config.provider.create({ timeoutMs: 15_000 });
  try {
    const workspaces = distributionWorkspaces({
      store,
      cipher: new Cipher(config.slack.encryptionKey, config.slack.previousEncryptionKey),
      defaultKey: config.provider.account?.apiKey,
      retentionMs: async () => config.retentionMs,
      clients: { slackApiUrl: config.slackApiUrl, logger: silentBolt() },
      provider,
      webhookUrlOf: (workspace) => workspaceWebhookUrl(config, workspace),
      fingerprintKey: '',
      log: createLogger({ level: 'error', format: 'json', write: () => {} }),
    });
    const installed = await workspaces.installed();
    if (installed.length === 0)
      return [pass('installations', `none yet: share ${config.publicUrl}/slack/install with the first workspace`)];
    const results: CheckResult[] = [];
    let opened = 0;
    const checked = installed.slice(0, LIMITS.doctorWorkspaces);
    for (const workspace of checked) {
      const slack = await workspaces.slack(workspace);
      if (!slack) continue;
      opened += 1;
      results.push(await checkWorkspace(config, workspace, slack.token, await workspaces.keyState(workspace)));
    }
    const key =
      opened === checked.length
        ? pass('ENCRYPTION_KEY', `opens the ${checked.length} installations checked`)
        : fail(
            'ENCRYPTION_KEY',
            `opens ${opened} of the ${checked.length} installations checked`,
            'set ENCRYPTION_KEY to the key they were sealed with (while changing keys, the old one as ENCRYPTION_KEY_PREVIOUS)',
          );
    const summary = pass(
      'installations',
      `${installed.length} workspace(s)${installed.length > checked.length ? `, the first ${checked.length} checked` : ''}`,
    );
    return [summary, key, ...results];
  } finally {
    await provider.close();
    await store.close();
  }
}

/** One installed workspace: its token, its scopes, and whether its memos can be transcribed (a provider key). */
async function checkWorkspace(
  config: Config,
  workspace: string,
  token: string,
  key: Awaited<ReturnType<ReturnType<typeof distributionWorkspaces>['keyState']>>,
): Promise<CheckResult> {
  const name = `workspace ${workspace}`;
  let answer: Awaited<ReturnType<typeof authTest>>;
  try {
    answer = await authTest(config, token);
  } catch (err) {
    return fail(name, `cannot reach Slack (${errorMessage(err)})`, 'check the network');
  }
  if (!answer.body.ok)
    return fail(
      name,
      `Slack refused its token (${answer.body.error})`,
      'it may have uninstalled the app without the app hearing of it: an admin installs it again from /slack/install',
    );
  const missing = REQUIRED_SCOPES.filter((s) => !answer.scopes.includes(s));
  const keyWords =
    key.kind === 'own' ? `its own key (…${key.last4})` : key.kind === 'default' ? 'the default key' : 'no key';
  const detail = `"${answer.body.team}": ${missing.length === 0 ? `all ${REQUIRED_SCOPES.length} scopes` : `missing ${missing.join(', ')}`}, ${keyWords}`;
  if (missing.length > 0)
    return fail(
      name,
      detail,
      'an admin of that workspace installs the app again from /slack/install (the Slack app asks for the scopes of manifest.yml)',
    );
  if (key.kind === 'none')
    return warn(name, detail, "an admin of that workspace sets the OMICall key in the app's Home tab");
  return pass(name, detail);
}

/** A Bolt logger that says nothing (doctor prints its own lines). */
function silentBolt() {
  return boltLogger(createLogger({ level: 'error', format: 'json', write: () => {} }), 'error');
}

/** The speech provider's key and host, checked as the app uses them: by registering the callback URL. */
async function checkProvider(config: Config): Promise<CheckResult> {
  const provider = config.provider.create({ timeoutMs: 15_000 });
  const name = `${provider.name} key`;
  const url = webhookUrl(config);
  if (config.slack.mode === 'distribution' && !config.provider.account) {
    await provider.close();
    return pass(name, 'no default key (OMICALL_API_KEY): each workspace sets its own in the Home tab');
  }
  try {
    if (provider.results.kind !== 'callback')
      return pass(name, 'answers each upload with its transcript: no webhook to register');
    if (!url) return fail(name, 'not checked: it needs PUBLIC_URL to register the webhook', 'set PUBLIC_URL');
    const account = { apiKey: config.provider.account?.apiKey ?? '', source: 'default' as const };
    const result = await provider.results.register(url, account);
    if (result.ok) return pass(name, `accepted; webhook registered at ${url.replace(config.webhookSecret, '…')}`);
    return fail(
      name,
      `${provider.name} answered ${result.error}${result.message ? ` (${result.message})` : ''} at ${config.provider.address}`,
      provider.diagnose(result),
    );
  } finally {
    await provider.close();
  }
}

/** The ffmpeg in use, its version and where it comes from; an outdated build is a warning, not a failure. */
function checkFfmpeg(config: Config): CheckResult {
  let found: FoundFfmpeg;
  try {
    found = findFfmpeg(config.ffmpegPath);
  } catch (err) {
    return fail('ffmpeg', errorMessage(err), 'install ffmpeg (apt-get install ffmpeg), or set FFMPEG_PATH');
  }
  const version = ffmpegVersion(found.path);
  if (!version.ok) {
    return fail(
      'ffmpeg',
      `${found.path} (${found.source}) does not run (${version.error})`,
      config.ffmpegPath
        ? 'fix FFMPEG_PATH, or unset it to use the system ffmpeg'
        : 'install ffmpeg (apt-get install ffmpeg), or run npm install again',
    );
  }
  const detail = `${version.line} (${found.source}: ${found.path})`;
  if (version.year !== undefined && isOutdated(version.year)) {
    return warn(
      'ffmpeg',
      `${detail}: built in ${version.year}, over three years old, and it reads untrusted files`,
      "install a maintained ffmpeg (apt-get install ffmpeg, or your platform's), or set FFMPEG_PATH to one",
    );
  }
  return pass('ffmpeg', detail);
}

async function checkRedis(config: Config): Promise<CheckResult> {
  const shown = config.redisUrl?.replace(/\/\/[^@]*@/, '//…@');
  try {
    const store = await Promise.race([
      createStore({
        kind: 'redis',
        url: config.redisUrl ?? '',
        prefix: config.redisPrefix,
        tlsVerify: config.redisTlsVerify,
      }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref()),
    ]);
    await store.ping();
    await store.close();
    return pass('Redis', `${shown} answers`);
  } catch (err) {
    return fail(
      'Redis',
      `${shown} does not answer (${errorMessage(err)})`,
      'check REDIS_URL, and that the Redis server runs',
    );
  }
}

/** Without Redis: the embedded store's file in DATA_DIR opens and takes a write. */
async function checkDataDir(config: Config): Promise<CheckResult> {
  const path = join(config.dataDir, DATABASE_FILE);
  try {
    const store = await createStore({ kind: 'sqlite', path });
    await store.set('doctor:check', Date.now(), 1000);
    await store.close();
    return pass('store', `${path} (SQLite) opens and takes writes; one instance only, keep DATA_DIR on a volume`);
  } catch (err) {
    return fail(
      'store',
      `${path} cannot be used (${errorMessage(err)})`,
      'set DATA_DIR to a folder this user may write, on a disk that outlives the container (a volume)',
    );
  }
}

const MARK = { pass: '✓', warn: '⚠', fail: '✗' } as const;

/** One line per check (✓ passed, ⚠ warning, ✗ failed), the fix under each warning and failure. */
export function formatResults(results: CheckResult[]): string {
  return results
    .map((r) => `${MARK[r.status]} ${r.name}: ${r.detail}${r.status === 'pass' ? '' : `\n    fix: ${r.fix}`}`)
    .join('\n');
}

/** The closing line, and the exit code: 1 when a check failed (warnings alone leave it 0). */
export function summarise(results: CheckResult[]): { line: string; exitCode: 0 | 1 } {
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  const warnings = warned === 0 ? '' : ` ${warned} warning(s) to look at.`;
  return failed === 0
    ? { line: `All checks passed.${warnings}`, exitCode: 0 }
    : { line: `${failed} check(s) failed.${warnings}`, exitCode: 1 };
}
