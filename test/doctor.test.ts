import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledFfmpeg } from '../src/audio/ffmpeg.ts';
import { formatResults, runDoctor } from '../src/ops/doctor.ts';
import { REQUIRED_SCOPES } from '../src/slack/scopes.ts';
import { REDIS_URL } from './helpers/harness.ts';
import { runNode } from './helpers/process.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { type StandIns, startStandIns } from './stand-ins/index.ts';
import { API_KEY, type OmicallStandIn } from './stand-ins/omicall.ts';
import { ALL_SCOPES, BOT_TOKEN, type SlackStandIn } from './stand-ins/slack.ts';

let standIns: StandIns;
let slack: SlackStandIn;
let omicall: OmicallStandIn;
beforeAll(async () => {
  standIns = await startStandIns();
  ({ slack, omicall } = standIns);
});
afterAll(() => standIns.close());

const env = () => ({
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  OMICALL_API_KEY: API_KEY,
  SLACK_API_URL: slack.apiUrl,
  OMICALL_API_URL: omicall.apiUrl,
  PUBLIC_URL: 'https://transcriber.example.com',
  REDIS_URL,
});

const failed = (results: Awaited<ReturnType<typeof runDoctor>>) => results.filter((r) => !r.ok);

describe('npm run doctor', () => {
  it('passes every check on a good setup, and registers the webhook', async () => {
    slack.scopes = [...ALL_SCOPES];
    const results = await runDoctor(env());
    expect(failed(results)).toEqual([]);
    expect(results.map((r) => r.name)).toEqual([
      'configuration',
      'PUBLIC_URL',
      'Slack token',
      'Slack scopes',
      'OMICall key',
      'ffmpeg',
      'Redis',
    ]);
    expect(omicall.registrations.at(-1)?.url).toMatch(/^https:\/\/transcriber\.example\.com\/omicall\/webhook\//);
  });

  it('says the OMICall key is wrong when OMICall refuses it', async () => {
    const [omi] = failed(await runDoctor({ ...env(), OMICALL_API_KEY: 'wrong-key' }));
    expect(omi.name).toBe('OMICall key');
    expect(omi.detail).toContain('api_key_invalid');
    expect(omi.fix).toMatch(/key is wrong.*OMICALL_API_KEY/);
  });

  it('says the OMICall host is wrong when nothing answers there', async () => {
    const [omi] = failed(await runDoctor({ ...env(), OMICALL_API_URL: 'http://127.0.0.1:9/api/ai' }));
    expect(omi.fix).toMatch(/host looks wrong.*OMICALL_API_URL/);
  });

  it('names each missing scope, e.g. files:read', async () => {
    slack.scopes = ALL_SCOPES.filter((s) => s !== 'files:read' && s !== 'reactions:write');
    try {
      const [scopes] = failed(await runDoctor(env()));
      expect(scopes.name).toBe('Slack scopes');
      expect(scopes.detail).toBe('missing files:read, reactions:write');
      expect(scopes.fix).toMatch(/reinstall/);
    } finally {
      slack.scopes = [...ALL_SCOPES];
    }
  });

  it('says when the token is refused, when PUBLIC_URL is not https, and when Redis does not answer', async () => {
    expect(failed(await runDoctor({ ...env(), SLACK_BOT_TOKEN: 'xoxb-revoked' }))[0].detail).toContain('invalid_auth');
    const [https] = failed(await runDoctor({ ...env(), PUBLIC_URL: 'http://transcriber.example.com' }));
    expect(https.detail).toMatch(/PUBLIC_URL must be an https URL/);
    const [redis] = failed(await runDoctor({ ...env(), REDIS_URL: 'redis://127.0.0.1:9' }));
    expect(redis.name).toBe('Redis');
    expect(redis.fix).toMatch(/REDIS_URL/);
  });

  it('runs as a command: one line per check, the fix under each failure, exit 1 on failure', async () => {
    const run = await runNode(['src/doctor.ts'], { ...env(), OMICALL_API_KEY: 'wrong-key' });
    expect(run.status).toBe(1);
    expect(run.stdout).toMatch(/^✓ configuration: /m);
    expect(run.stdout).toMatch(/^✗ OMICall key: .*api_key_invalid.*\n {4}fix: the key is wrong/m);
    expect(run.stdout).toContain('1 check(s) failed.');
    expect(run.stdout).not.toContain(BOT_TOKEN);
    expect(run.stdout).not.toContain('wrong-key');
  });

  it('checks the ffmpeg FFMPEG_PATH names', async () => {
    const [ffmpeg] = failed(await runDoctor({ ...env(), FFMPEG_PATH: '/nonexistent/ffmpeg' }));
    expect(ffmpeg.name).toBe('ffmpeg');
    expect(ffmpeg.fix).toMatch(/FFMPEG_PATH/);
  });

  it('prints the ffmpeg version and where it comes from, and warns (not fails) when it is old', async () => {
    const current = (await runDoctor(env())).find((r) => r.name === 'ffmpeg');
    expect(current?.ok).toBe(true);
    expect(current?.detail).toMatch(/^ffmpeg version .* \((system|npm): \/.+\)/);
    const npm = bundledFfmpeg();
    if (!npm) return;
    const old = (await runDoctor({ ...env(), FFMPEG_PATH: npm })).find((r) => r.name === 'ffmpeg');
    expect(old?.ok).toBe(true);
    expect(old?.detail).toMatch(/\(FFMPEG_PATH: .*\); warning: built in 2018, over three years old/);
  });

  it('formats passing checks without a fix line', () => {
    expect(formatResults([{ name: 'ffmpeg', ok: true, detail: 'ffmpeg version 4', fix: 'unused' }])).toBe(
      '✓ ffmpeg: ffmpeg version 4',
    );
  });
});

it('manifest.yml asks for exactly the scopes the app needs', () => {
  const manifest = readFileSync('manifest.yml', 'utf8');
  const bot = /\n {4}bot:\n((?: {6}- .+\n)+)/.exec(manifest)?.[1] ?? '';
  const declared = bot
    .split('\n')
    .map((l) => l.replace(/^\s*- /, '').trim())
    .filter(Boolean);
  expect(declared.sort()).toEqual([...REQUIRED_SCOPES].sort());
  for (const event of ['message.channels', 'message.groups', 'message.im', 'message.mpim'])
    expect(manifest).toContain(`- ${event}`);
  expect(manifest).toContain('callback_id: transcribe_message');
  expect(manifest).toContain('command: /transcribe');
});
