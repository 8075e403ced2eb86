import { request } from 'undici';
import { type FoundFfmpeg, ffmpegVersion, findFfmpeg, isOutdated } from '../audio/ffmpeg.ts';
import { type Config, loadConfig, webhookUrl } from '../config.ts';
import { ConfigError, errorMessage } from '../errors.ts';
import { createOmicallClient } from '../providers/omicall/client.ts';
import { REQUIRED_SCOPES } from '../slack/scopes.ts';
import { createStore } from '../store/index.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** Checks the configuration against the real services; one result per check. */
export async function runDoctor(env: Record<string, string | undefined>): Promise<CheckResult[]> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((problem) => ({
      name: 'configuration',
      ok: false,
      detail: problem,
      fix: `set ${problem.split(' ')[0]} in the environment or in .env (see .env.example)`,
    }));
  }
  const results: CheckResult[] = [
    { name: 'configuration', ok: true, detail: 'every required variable is set and well formed' },
  ];
  results.push(checkPublicUrl(config));
  results.push(...(await checkSlack(config)));
  results.push(await checkOmicall(config));
  results.push(checkFfmpeg(config));
  if (config.redisUrl) results.push(await checkRedis(config));
  return results;
}

function checkPublicUrl(config: Config): CheckResult {
  if (!config.publicUrl) {
    return {
      name: 'PUBLIC_URL',
      ok: false,
      detail: 'not set: OMICall has no address to send transcripts to',
      fix: 'set PUBLIC_URL to the https address where this app is reachable, e.g. https://transcriber.example.com',
    };
  }
  return { name: 'PUBLIC_URL', ok: true, detail: `${config.publicUrl} is https` };
}

async function checkSlack(config: Config): Promise<CheckResult[]> {
  let body: { ok?: boolean; error?: string; team?: string; user?: string };
  let scopes: string[];
  try {
    const res = await request(new URL('auth.test', config.slackApiUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${config.slackBotToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    body = (await res.body.json()) as typeof body;
    scopes = String(res.headers['x-oauth-scopes'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  } catch (err) {
    return [
      {
        name: 'Slack token',
        ok: false,
        detail: `cannot reach Slack at ${config.slackApiUrl} (${errorMessage(err)})`,
        fix: 'check the network, or SLACK_API_URL if you set it',
      },
    ];
  }
  if (!body.ok) {
    return [
      {
        name: 'Slack token',
        ok: false,
        detail: `Slack refused SLACK_BOT_TOKEN (${body.error})`,
        fix: 'copy the Bot User OAuth Token (xoxb-…) again from your Slack app\'s "OAuth & Permissions" page; install the app to the workspace if it is not',
      },
    ];
  }
  const token: CheckResult = {
    name: 'Slack token',
    ok: true,
    detail: `valid for workspace "${body.team}" as @${body.user}`,
  };
  const missing = REQUIRED_SCOPES.filter((s) => !scopes.includes(s));
  const scopeResult: CheckResult =
    missing.length === 0
      ? { name: 'Slack scopes', ok: true, detail: `all ${REQUIRED_SCOPES.length} granted` }
      : {
          name: 'Slack scopes',
          ok: false,
          detail: `missing ${missing.join(', ')}`,
          fix: 'add them under "OAuth & Permissions" > Bot Token Scopes (or update the app from manifest.yml), then reinstall the app to the workspace',
        };
  return [token, scopeResult];
}

async function checkOmicall(config: Config): Promise<CheckResult> {
  const url = webhookUrl(config);
  if (!url)
    return {
      name: 'OMICall key',
      ok: false,
      detail: 'not checked: it needs PUBLIC_URL to register the webhook',
      fix: 'set PUBLIC_URL',
    };
  const omicall = createOmicallClient({
    baseUrl: config.omicallApiUrl,
    apiKey: config.omicallApiKey,
    timeoutMs: 15_000,
  });
  try {
    const result = await omicall.registerWebhook(url);
    if (result.ok)
      return {
        name: 'OMICall key',
        ok: true,
        detail: `accepted; webhook registered at ${url.replace(config.webhookSecret, '…')}`,
      };
    const keyProblem = /api_key/.test(result.error);
    return {
      name: 'OMICall key',
      ok: false,
      detail: `OMICall answered ${result.error}${result.message ? ` (${result.message})` : ''} at ${config.omicallApiUrl}`,
      fix: keyProblem
        ? "the key is wrong: copy OMICALL_API_KEY again from OMICall's web console (account settings, API management)"
        : 'the host looks wrong: check OMICALL_API_URL (default https://public-v1-stg.omicrm.com/api/ai)',
    };
  } finally {
    await omicall.close();
  }
}

/** The ffmpeg in use, its version and where it comes from; an outdated build is a warning, not a failure. */
function checkFfmpeg(config: Config): CheckResult {
  let found: FoundFfmpeg;
  try {
    found = findFfmpeg(config.ffmpegPath);
  } catch (err) {
    return { name: 'ffmpeg', ok: false, detail: errorMessage(err), fix: 'install ffmpeg, or set FFMPEG_PATH' };
  }
  const version = ffmpegVersion(found.path);
  if (!version.ok) {
    return {
      name: 'ffmpeg',
      ok: false,
      detail: `${found.path} (${found.source}) does not run (${version.error})`,
      fix: config.ffmpegPath
        ? 'fix FFMPEG_PATH, or unset it to use the system ffmpeg'
        : 'install ffmpeg (apt-get install ffmpeg), or run npm install again',
    };
  }
  const detail = `${version.line} (${found.source}: ${found.path})`;
  const outdated =
    version.year !== undefined && isOutdated(version.year)
      ? `; warning: built in ${version.year}, over three years old, and it reads untrusted files: install a maintained ffmpeg (apt-get install ffmpeg) or set FFMPEG_PATH`
      : '';
  return { name: 'ffmpeg', ok: true, detail: `${detail}${outdated}` };
}

async function checkRedis(config: Config): Promise<CheckResult> {
  const shown = config.redisUrl?.replace(/\/\/[^@]*@/, '//…@');
  try {
    const store = await Promise.race([
      createStore({ redisUrl: config.redisUrl, prefix: config.redisPrefix, tlsVerify: config.redisTlsVerify }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer in 5 s')), 5000).unref()),
    ]);
    await store.ping();
    await store.close();
    return { name: 'Redis', ok: true, detail: `${shown} answers` };
  } catch (err) {
    return {
      name: 'Redis',
      ok: false,
      detail: `${shown} does not answer (${errorMessage(err)})`,
      fix: 'check REDIS_URL, and that the Redis server runs',
    };
  }
}

export function formatResults(results: CheckResult[]): string {
  return results
    .map((r) => `${r.ok ? '✓' : '✗'} ${r.name}: ${r.detail}${r.ok || !r.fix ? '' : `\n    fix: ${r.fix}`}`)
    .join('\n');
}
