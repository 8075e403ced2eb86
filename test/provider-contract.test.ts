/**
 * The speech-provider seam: every provider keeps the same promises (the contract, run against OMICall's implementation
 * on its stand-in, and against a tiny synchronous provider), and a provider added with one folder and one registration
 * line goes through the whole pipeline, from a share in Slack to a complete transcript in its thread.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { SourceError } from '../src/errors.ts';
import type { AudioUpload, ProviderAccount, SpeechProvider } from '../src/providers/index.ts';
import { PROVIDERS } from '../src/providers/registry.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { SIGNING_SECRET } from './helpers/slack-requests.ts';
import { heard, syncStandIn } from './providers/sync-stand-in/index.ts';
import { API_KEY, OmicallStandIn } from './stand-ins/omicall.ts';
import { BOT_TOKEN } from './stand-ins/slack.ts';

/** One provider under contract: how it is made, and what its far side saw of an upload. */
interface UnderContract {
  provider: SpeechProvider;
  account: ProviderAccount;
  /** The bytes the provider's service received for a tracking ID, as size and SHA-256. */
  received(trackingId: string): Promise<{ size: number; sha256: string } | undefined>;
  close(): Promise<void>;
}

const omicallStandIn = {
  name: 'omicall',
  async make(): Promise<UnderContract> {
    const far = await new OmicallStandIn().start();
    const config = loadConfig({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      OMICALL_API_KEY: API_KEY,
      OMICALL_API_URL: far.apiUrl,
    });
    const provider = config.provider.create({ timeoutMs: 5000 });
    return {
      provider,
      account: { apiKey: API_KEY, source: 'default' },
      received: async (id) => far.uploads.find((u) => u.trackingId === id),
      close: async () => {
        await provider.close();
        await far.close();
      },
    };
  },
};

const synchronous = {
  name: 'sync-stand-in',
  async make(): Promise<UnderContract> {
    const config = loadConfig(
      { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SPEECH_PROVIDER: 'sync-stand-in' },
      [...PROVIDERS, syncStandIn],
    );
    const provider = config.provider.create({ timeoutMs: 5000 });
    const answers = new Map<string, { size: number; sha256: string }>();
    return {
      provider: {
        ...provider,
        // What the stand-in heard is in its transcript: read back as what its far side received.
        submit: async (upload, account) => {
          const result = await provider.submit(upload, account);
          const text = result.ok ? result.transcript?.[0]?.text : undefined;
          const m = text ? /^(\d+) bytes, sha256 ([0-9a-f]{16})$/.exec(text) : null;
          if (m) answers.set(upload.trackingId, { size: Number(m[1]), sha256: m[2] });
          return result;
        },
      },
      account: { apiKey: '', source: 'default' },
      received: async (id) => answers.get(id),
      close: () => provider.close(),
    };
  },
};

const wav = () => readFileSync(speech('wav'));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function* chunks(bytes: Buffer, failAfter?: number) {
  for (let i = 0; i < bytes.length; i += 16 * 1024) {
    if (failAfter !== undefined && i >= failAfter) throw new Error('the download broke');
    yield new Uint8Array(bytes.subarray(i, i + 16 * 1024));
  }
}

const upload = (
  trackingId: string,
  body: AsyncIterable<Uint8Array>,
  extra: Partial<AudioUpload> = {},
): AudioUpload => ({
  trackingId,
  fileName: 'F0AUDIO1.wav',
  contentType: 'audio/wav',
  body,
  ...extra,
});

describe.each([omicallStandIn, synchronous])('the provider contract: $name', ({ make }) => {
  let c: UnderContract;
  beforeAll(async () => {
    c = await make();
  });
  afterAll(async () => c.close());

  it('names itself, takes WAV as it is and names what everything else becomes', () => {
    expect(c.provider.id).toMatch(/^[a-z0-9-]+$/);
    expect(c.provider.name.length).toBeGreaterThan(0);
    expect(c.provider.sendAsIs('wav', true)).toEqual({ extension: 'wav', contentType: 'audio/wav' });
    expect(c.provider.sendAsIs('webm', true)).toBeUndefined();
    expect(c.provider.convertTo.extension).toMatch(/^[a-z0-9]+$/);
  });

  it('an upload sends every byte of the stream, and is accepted', async () => {
    const bytes = wav();
    const result = await c.provider.submit(upload('T1_contract_whole', chunks(bytes)), c.account);
    expect(result.ok).toBe(true);
    const received = await c.received('T1_contract_whole');
    expect(received?.size).toBe(bytes.length);
    expect(sha(bytes).startsWith(received?.sha256.slice(0, 16) ?? '-')).toBe(true);
  });

  it('a source that fails makes the upload reject with a SourceError, and nothing is accepted', async () => {
    const failing = c.provider.submit(upload('T1_contract_broken', chunks(wav(), 32 * 1024)), c.account);
    await expect(failing).rejects.toBeInstanceOf(SourceError);
    expect(await c.received('T1_contract_broken')).toBeUndefined();
  });

  it('results arrive the way it says: through its webhook body, or with the answer to the upload', async () => {
    const delivery = c.provider.results;
    if (delivery.kind === 'callback') {
      const parsed = delivery.parse(JSON.stringify({ tracking_id: 'T1_x', from: 0, to: 1.5, text: ' xin chào ' }));
      expect(parsed).toEqual({
        ok: true,
        ignored: 0,
        deliveries: [{ trackingId: 'T1_x', segment: { from: 0, to: 1.5, text: 'xin chào' } }],
      });
      expect(delivery.parse('{').ok).toBe(false);
      expect((await delivery.register('https://transcriber.test/hook/secret', c.account)).ok).toBe(true);
    } else {
      const result = await c.provider.submit(upload('T1_contract_answer', chunks(wav())), c.account);
      expect(result.ok && result.transcript?.length).toBeGreaterThan(0);
    }
  });

  it('a refusal can be explained to an admin in words', () => {
    expect(c.provider.diagnose({ ok: false, error: 'api_key_invalid', retryable: false }).length).toBeGreaterThan(10);
  });
});

describe('a provider added with one folder and one registration line', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.stop();
    h = undefined;
  });

  it('goes through the whole pipeline: the share, the relay, the transcript in its thread, complete with ✅', async () => {
    h = await Harness.start({ providers: [...PROVIDERS, syncStandIn], env: { SPEECH_PROVIDER: 'sync-stand-in' } });
    const path = speech('wav');
    const bytes = readFileSync(path);
    const { channel, ts } = await h.share([h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path })]);
    const app = h;
    await waitFor(() => app.slack.reactionsOn(channel, ts).join() === 'white_check_mark', 10_000, 'the check mark');
    const reply = h.slack.thread(channel, ts);
    expect(reply).toHaveLength(1);
    expect(reply[0].text).toBe(`Transcript of memo.wav · 0:04\n[0:00] ${heard(bytes.length, sha(bytes))}`);
    // Nothing went to OMICall, and the app has no webhook for a provider that has none.
    expect(h.omicall.uploads).toHaveLength(0);
    expect(
      (await request(`${h.url}/sync-stand-in/webhook/${h.config.webhookSecret}`, { method: 'POST', body: '{}' }))
        .statusCode,
    ).toBe(404);
    expect(
      (await request(`${h.url}/omicall/webhook/${h.config.webhookSecret}`, { method: 'POST', body: '{}' })).statusCode,
    ).toBe(404);
  });
});
