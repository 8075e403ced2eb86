import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

const good = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  OMICALL_API_KEY: 'omi-key',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(good);
    expect(c.port).toBe(3000);
    expect(c.slackApiUrl).toBe('https://slack.com/api/');
    expect(c.omicallApiUrl).toBe('https://public-v1-stg.omicrm.com/api/ai/');
    expect(c.redisUrl).toBeUndefined();
    expect(c.maxAudioBytes).toBe(200 * 1024 * 1024);
    expect(c.relayConcurrency).toBe(4);
    expect(c.logLevel).toBe('info');
    expect(c.logFormat).toBe('json');
    expect(c.publicUrl).toBeUndefined();
  });

  it.each(['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'OMICALL_API_KEY'])('names %s when it is missing', (name) => {
    const env: Record<string, string> = { ...good };
    delete env[name];
    expect(problems(env)).toEqual([expect.stringContaining(`${name} is required`)]);
  });

  it.each([
    ['SLACK_BOT_TOKEN', 'xoxp-user-token'],
    ['SLACK_SIGNING_SECRET', 'not hex!'],
    ['PUBLIC_URL', 'http://insecure.test'],
    ['PUBLIC_URL', 'not a url'],
    ['PORT', 'eighty'],
    ['REDIS_URL', 'localhost:6379'],
    ['MAX_AUDIO_MB', '-5'],
    // A limit of nothing would refuse every memo: the app does not start with it.
    ['MAX_AUDIO_MB', '0'],
    ['MAX_AUDIO_MB', '10001'],
    ['LOG_LEVEL', 'loud'],
    ['OMICALL_API_URL', 'ftp://omicall'],
    ['OMICALL_WEBHOOK_SECRET', 'short'],
  ])('names %s when it is malformed (%s)', (name, value) => {
    const found = problems({ ...good, [name]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${name} `));
  });

  it('stops `npm start` at once, naming the missing variable', () => {
    const run = spawnSync(process.execPath, ['src/index.ts'], {
      env: { PATH: process.env.PATH, SLACK_SIGNING_SECRET: good.SLACK_SIGNING_SECRET, OMICALL_API_KEY: 'k' },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('SLACK_BOT_TOKEN is required');
  });
});

describe('documentation', () => {
  it('README and .env.example name every variable the app reads', () => {
    // The names the app asks its environment for, recorded as it reads them (with Redis set, so the Redis-only
    // settings are read too).
    const names = new Set<string>();
    const env = new Proxy<Record<string, string | undefined>>(
      { ...good, REDIS_URL: 'redis://127.0.0.1:6379' },
      {
        get(target, key) {
          if (typeof key === 'string') names.add(key);
          return target[key as string];
        },
      },
    );
    loadConfig(env);
    expect(names.size).toBeGreaterThan(12);
    const readme = readFileSync('README.md', 'utf8');
    const example = readFileSync('.env.example', 'utf8');
    for (const name of names) {
      expect(readme).toContain(`| \`${name}\` |`);
      expect(example).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
    }
  });
});
