import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { type Overrides, type RunningApp, startApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { SLACK_RATES, type SlackRate, type SlackRates, type SlackWindow, type Timings } from '../../src/limits.ts';
import { createLogger } from '../../src/log.ts';
import type { ProviderModule } from '../../src/providers/index.ts';
import { API_KEY, OmicallStandIn, type ReceivedUpload } from '../stand-ins/omicall.ts';
import { BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, type HostedFile, SlackStandIn } from '../stand-ins/slack.ts';
import { REDIS_URL, testPrefix } from './redis.ts';
import { fileShareEvent, postEvent, SIGNING_SECRET } from './slack-requests.ts';

export interface HarnessOptions {
  redis?: boolean;
  /** Shares stand-ins, a key prefix and a data folder with another harness (a second instance, a restart). */
  with?: Harness;
  env?: Record<string, string>;
  timings?: Partial<Timings>;
  overrides?: Omit<Overrides, 'timings'>;
  /**
   * Spend Slack's Web API at Slack's own pace (`SLACK_RATES`), for tests of that pace; otherwise the app's budgets
   * are ten times Slack's (`FAST_SLACK_RATES`), as the stand-in, unless told to enforce, refuses nothing.
   */
  slackPace?: 'slack' | 'fast';
  /** The speech providers SPEECH_PROVIDER may name (src/providers/registry.ts's, unless a test adds its own). */
  providers?: readonly ProviderModule[];
  /**
   * Distribution mode ("Add to Slack"): no SLACK_BOT_TOKEN, the stand-in's client id and secret, a state secret and
   * an encryption key. `defaultKey`: OMICALL_API_KEY as the default key of workspaces without one (none by default).
   */
  distribution?: { defaultKey?: boolean };
}

/** The encryption key of distribution mode in tests (ENCRYPTION_KEY, base64). */
export const ENCRYPTION_KEY = Buffer.alloc(32, 7).toString('base64');
export const STATE_SECRET = 'state-secret-for-tests-0123456789';

/** The workspace the stand-in's bot token belongs to (its `auth.test` and every payload say T0001). */
export const WORKSPACE = 'T0001';

/** Short durations, so that the suite does not wait on production's. */
export const TEST_TIMINGS: Partial<Timings> = {
  retryDelaysMs: [50, 100, 150],
  replyGapMs: 50,
  drainMs: 5000,
  checkEveryMs: 100,
  homeGapMs: 300,
};

/**
 * The app's Slack budgets in tests that are not about Slack's pace: each of Slack's windows with ten times its calls.
 * At Slack's own rates a reply that grows through twenty edits waits half a minute for Tier 3 (chat.update);
 * `rate-limits.test.ts` keeps Slack's pace (`slackPace: 'slack'`) against a stand-in that enforces it.
 */
const tenfold = ({ calls, seconds }: SlackWindow): SlackWindow => ({ calls: calls * 10, seconds });
const faster = (rate: SlackRate): SlackRate =>
  rate.burst ? { ...tenfold(rate), burst: tenfold(rate.burst) } : tenfold(rate);
export const FAST_SLACK_RATES: SlackRates = {
  tier2: faster(SLACK_RATES.tier2),
  tier3: faster(SLACK_RATES.tier3),
  tier4: faster(SLACK_RATES.tier4),
  postMessage: faster(SLACK_RATES.postMessage),
  historyLimited: faster(SLACK_RATES.historyLimited),
};

/**
 * For tests of long transcripts, not of Slack's pace: posts as fast as they come. At Slack's one message a second per
 * channel (the app's budget, src/limits.ts), a 400,000-character transcript's 37 messages take 37 s.
 */
export const POSTS_AT_ONCE: Omit<Overrides, 'timings'> = { slackRates: { postMessage: { calls: 100, seconds: 1 } } };

/** The real app on a real port, wired to local Slack and OMICall stand-ins. */
export class Harness {
  slack!: SlackStandIn;
  omicall!: OmicallStandIn;
  app!: RunningApp;
  config!: Config;
  prefix!: string;
  /** The embedded store's folder (DATA_DIR) when not on Redis. */
  dataDir!: string;
  readonly logs: string[] = [];
  #ownsStandIns = false;

  static async start(options: HarnessOptions = {}): Promise<Harness> {
    const h = new Harness();
    if (options.with) {
      h.slack = options.with.slack;
      h.omicall = options.with.omicall;
      h.prefix = options.with.prefix;
      h.dataDir = options.with.dataDir;
    } else {
      h.slack = await new SlackStandIn().start();
      h.omicall = await new OmicallStandIn().start();
      h.prefix = testPrefix();
      h.dataDir = mkdtempSync(join(tmpdir(), 'transcriber-data-'));
      h.#ownsStandIns = true;
    }
    h.config = loadConfig(
      {
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        OMICALL_API_KEY: API_KEY,
        SLACK_API_URL: h.slack.apiUrl,
        OMICALL_API_URL: h.omicall.apiUrl,
        PUBLIC_URL: 'https://transcriber.test',
        PORT: '0',
        REDIS_PREFIX: h.prefix,
        DATA_DIR: h.dataDir,
        LOG_LEVEL: 'debug',
        ...(options.redis ? { REDIS_URL: REDIS_URL } : {}),
        ...(options.distribution
          ? {
              SLACK_BOT_TOKEN: '',
              SLACK_CLIENT_ID: CLIENT_ID,
              SLACK_CLIENT_SECRET: CLIENT_SECRET,
              SLACK_STATE_SECRET: STATE_SECRET,
              ENCRYPTION_KEY,
              ...(options.distribution.defaultKey ? {} : { OMICALL_API_KEY: '' }),
            }
          : {}),
        ...options.env,
      },
      options.providers,
    );
    const log = createLogger({
      level: 'debug',
      format: 'json',
      secrets: [
        BOT_TOKEN,
        SIGNING_SECRET,
        API_KEY,
        h.config.webhookSecret,
        CLIENT_SECRET,
        STATE_SECRET,
        ENCRYPTION_KEY,
      ],
      write: (line) => h.logs.push(line),
    });
    const pace = options.slackPace === 'slack' ? SLACK_RATES : FAST_SLACK_RATES;
    h.app = await startApp(h.config, log, {
      ...options.overrides,
      slackRates: { ...pace, ...options.overrides?.slackRates },
      timings: { ...TEST_TIMINGS, ...options.timings },
    });
    return h;
  }

  get url(): string {
    return `http://127.0.0.1:${this.app.port}`;
  }

  /** The webhook URL of this instance (OMICall would reach it through PUBLIC_URL). */
  get webhookUrl(): string {
    return `${this.url}/omicall/webhook/${this.config.webhookSecret}`;
  }

  /** Someone shares files in a channel: hosts them on the file host and sends the event. */
  async share(
    files: { id: string }[],
    where: { channel?: string; thread_ts?: string; ts?: string; retryNum?: number; eventId?: string } = {},
  ) {
    const channel = where.channel ?? 'C0SALES01';
    const ts = where.ts ?? this.slack.nextTs();
    this.slack.addUserMessage({
      channel,
      ts,
      user: 'UALICE01',
      files,
      ...(where.thread_ts ? { thread_ts: where.thread_ts } : {}),
    });
    const res = await postEvent(this.url, fileShareEvent({ channel, ts, files, thread_ts: where.thread_ts }), {
      retryNum: where.retryNum,
      eventId: where.eventId,
    });
    return { channel, ts, res };
  }

  /** The JSON log lines with this message, as an operator reads them. */
  logged(msg: string): Record<string, unknown>[] {
    return this.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === msg);
  }

  /** The value of one series on /metrics (`name{labels}` as written there), 0 when absent: what an operator reads. */
  async metric(series: string): Promise<number> {
    const text = await (await request(`${this.url}/metrics`)).body.text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  /**
   * Sends OMICall's results for an upload as OMICall does, to the webhook registered with the upload's key (one URL
   * per key), reached on this instance instead of PUBLIC_URL.
   */
  callBackFor(upload: ReceivedUpload, body: unknown) {
    const url = this.omicall.webhooks.get(String(upload.headers.apikey));
    if (!url) throw new Error('no webhook registered for the key of this upload');
    return this.omicall.callBack(body, this.local(url));
  }

  /** A URL under PUBLIC_URL, on this instance. */
  local(url: string): string {
    return url.replace(this.config.publicUrl ?? 'https://transcriber.test', this.url);
  }

  /** Sends OMICall's callback to this instance. */
  callBack(body: unknown) {
    return this.omicall.callBack(body, this.webhookUrl);
  }

  async stop(): Promise<void> {
    await this.app.stop();
    if (this.#ownsStandIns) {
      await this.slack.close();
      await this.omicall.close();
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/** Polls until check returns a value other than undefined/false, or fails after timeoutMs. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Hosts a file object built by the payload fixtures on the local Slack, with real content. */
export function host<F extends Pick<HostedFile, 'id' | 'name' | 'size' | 'url_private_download' | 'url_private'>>(
  h: Harness,
  file: F,
  content: { path: string } | { bytes: Buffer },
): F {
  const hosted: HostedFile = { ...Object.fromEntries(Object.entries(file)), ...pick(file) };
  h.slack.files.set(file.id, { file: hosted, ...content });
  return file;
}

function pick(f: Pick<HostedFile, 'id' | 'name' | 'size' | 'url_private_download' | 'url_private'>) {
  return {
    id: f.id,
    name: f.name,
    size: f.size,
    url_private_download: f.url_private_download,
    url_private: f.url_private,
  };
}
