import { describe, expect, it } from 'vitest';
import { loadConfig, slackEventsUrl, webhookUrl } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';
import { Harness } from './helpers/harness.ts';
import { runNode } from './helpers/process.ts';

const good = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  OMICALL_API_KEY: 'omi-key',
};

function problems(publicUrl: string): string[] {
  try {
    loadConfig({ ...good, PUBLIC_URL: publicUrl });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('PUBLIC_URL', () => {
  it.each([
    ['https://transcriber-1234567890ab.herokuapp.com/', 'https://transcriber-1234567890ab.herokuapp.com'],
    ['https://transcriber-1234567890ab.herokuapp.com//', 'https://transcriber-1234567890ab.herokuapp.com'],
    ['https://Proxy.Acme.test/transcriber/', 'https://proxy.acme.test/transcriber'],
    ['  https://transcriber.test  ', 'https://transcriber.test'],
  ])('loses its trailing slash (%s), so every URL made from it has one "/" before its path', (given, kept) => {
    const config = loadConfig({ ...good, PUBLIC_URL: given });
    expect(config.publicUrl).toBe(kept);
    expect(slackEventsUrl(kept)).toBe(`${kept}/slack/events`);
    expect(webhookUrl(config)).toBe(`${kept}/omicall/webhook/${config.webhookSecret}`);
  });

  it.each([
    'https://transcriber.example.com',
    'https://example.com/',
    'https://a.b.example.net',
    'https://EXAMPLE.ORG.',
    'https://transcriber.example',
  ])('refuses the documentation address %s, naming PUBLIC_URL', (url) => {
    expect(problems(url)).toEqual([
      expect.stringMatching(/^PUBLIC_URL is a documentation address, reserved for examples/),
    ]);
  });

  it.each([
    'https://transcriber.test',
    'https://example.com.acme.test',
    'https://notexample.com',
    'https://127.0.0.1:8443',
  ])('accepts %s', (url) => {
    expect(problems(url)).toEqual([]);
  });

  it('is one problem at most: http, a query, credentials', () => {
    expect(problems('http://transcriber.example.com')).toEqual([
      'PUBLIC_URL must be an https URL, got "http://transcriber.example.com"',
    ]);
    expect(problems('https://transcriber.test/?a=1')).toEqual([
      expect.stringMatching(/^PUBLIC_URL must be a plain https address/),
    ]);
    expect(problems('https://user:pw@transcriber.test')).toHaveLength(1);
  });

  it('a documentation address stops `npm start` at once, naming PUBLIC_URL', async () => {
    const run = await runNode(['src/index.ts'], { ...good, PUBLIC_URL: 'https://transcriber.example.com' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('PUBLIC_URL is a documentation address');
  });

  it('pasted with its trailing slash, the app still registers the webhook with one "/" (OMICall sees it)', async () => {
    const h = await Harness.start({ env: { PUBLIC_URL: 'https://transcriber-1234567890ab.herokuapp.com/' } });
    try {
      expect(h.omicall.registrations.at(-1)?.url).toBe(
        `https://transcriber-1234567890ab.herokuapp.com/omicall/webhook/${h.config.webhookSecret}`,
      );
    } finally {
      await h.stop();
    }
  });
});
