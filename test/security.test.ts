import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findFfmpeg } from '../src/audio/ffmpeg.ts';
import { deriveSecret } from '../src/config.ts';
import { signTrackingId } from '../src/records/tracking-id.ts';
import { memoryStore } from '../src/store/memory.ts';
import { startAppProcess } from './helpers/app-process.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand, postShortcut, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { startStandIns } from './stand-ins/index.ts';

/** Every attack below was first reproduced against the app as it was; each now sees it refused. */
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const dir = mkdtempSync(join(tmpdir(), 'attacks-'));
const secretWav = join(dir, 'meeting.wav');
beforeAll(() => {
  writeFileSync(secretWav, readFileSync(speech('wav', 'Bí mật của công ty.')));
});

async function failure(app: Harness, channel: string, ts: string) {
  return waitFor(() => app.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')), 10_000);
}

describe('untrusted files', () => {
  const lists: [string, string][] = [
    ['an HLS playlist', `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://${secretWav}\n#EXT-X-ENDLIST\n`],
    ['a live HLS playlist', '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nhttp://127.0.0.1:9/live.ts\n'],
    ['an ffconcat list', `ffconcat version 1.0\nfile ${secretWav}\n`],
  ];
  it.each(lists)('%s shared as voice-note.ogg is never given to ffmpeg and nothing is uploaded', async (_, text) => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({ name: 'voice-note.ogg', mimetype: 'audio/ogg', bytes: Buffer.from(text) });
    const started = Date.now();
    const { channel, ts } = await app.share([file]);
    const reply = await failure(app, channel, ts);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reply.text).toMatch(/not audio OMICall can take/);
    expect(reply.text).not.toMatch(/\/|ffmpeg|EXTM3U/);
    expect(app.omicall.attempts).toBe(0);
    await waitFor(() => app.slack.reactionsOn(channel, ts).join() === 'warning', 3000, 'the warning reaction');
  });

  it('an hour of silence in a few KB of FLAC is refused before any upload when the limit is less', async () => {
    const app = await Harness.start({ env: { MAX_AUDIO_MINUTES: '10' } });
    h = app;
    const path = join(dir, 'hour.flac');
    execFileSync(findFfmpeg().path, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'anullsrc=r=8000:cl=mono',
      '-t',
      '3600',
      '-c:a',
      'flac',
      path,
    ]);
    const { channel, ts } = await app.share([
      app.slack.addFile({ name: 'silence.flac', mimetype: 'audio/flac', path }),
    ]);
    const reply = await failure(app, channel, ts);
    expect(reply.text).toMatch(/the recording is 60 minutes long and the limit is 10 minutes/);
    expect(app.omicall.attempts).toBe(0);
  });

  it('a FLAC that hides its length is cut at the limit while converting, and never accepted', async () => {
    const app = await Harness.start({ env: { MAX_AUDIO_MINUTES: '2' } });
    h = app;
    // Written to a pipe, ffmpeg cannot go back to fill in the length: the header says "unknown".
    const bytes = execFileSync(
      findFfmpeg().path,
      [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        'anullsrc=r=8000:cl=mono',
        '-t',
        '1800',
        '-c:a',
        'flac',
        '-f',
        'flac',
        'pipe:1',
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    const { channel, ts } = await app.share([
      app.slack.addFile({ name: 'endless.flac', mimetype: 'audio/flac', bytes }),
    ]);
    const reply = await failure(app, channel, ts);
    expect(reply.text).toMatch(/the limit is 2 minutes/);
    expect(app.omicall.uploads).toEqual([]);
  });
});

describe('/transcribe with a link', () => {
  it('to a channel the asker is not in answers exactly as for a message that does not exist, and does nothing', async () => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({ name: 'private.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = app.slack.nextTs();
    app.slack.addUserMessage({ channel: 'C0SECRET1', ts, user: 'UBOB0001', files: [file] });
    app.slack.channelMembers.set('C0SECRET1', ['UBOB0001', 'UBOT0001']);
    const ask = async (link: string, id: string) => {
      await postCommand(app.url, {
        text: link,
        channel_id: 'C0SALES01',
        response_url: `${app.slack.url}/respond/${id}`,
      });
      return (await waitFor(() => app.slack.responses.find((r) => r.path.endsWith(`/${id}`)))).body.text;
    };
    const notAllowed = await ask(`https://acme.slack.com/archives/C0SECRET1/p${ts.replace('.', '')}`, 'secret');
    const missing = await ask(
      `https://acme.slack.com/archives/C0SALES01/p${app.slack.nextTs().replace('.', '')}`,
      'missing',
    );
    expect(notAllowed).toBe(missing);
    await new Promise((r) => setTimeout(r, 300));
    expect(app.omicall.attempts).toBe(0);
    expect(app.slack.messages.filter((m) => m.channel === 'C0SECRET1' && m.bot_id)).toEqual([]);
  });
});

describe('the Transcribe shortcut in a channel the app is not in', () => {
  it('says so instead of uploading', async () => {
    const app = await Harness.start();
    h = app;
    app.slack.privateChannels.add('C0NOTIN01');
    const file = app.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
    const ts = app.slack.nextTs();
    await postShortcut(app.url, {
      channel: 'C0NOTIN01',
      ts,
      files: [file],
      responseUrl: `${app.slack.url}/respond/notin`,
    });
    const answer = await waitFor(() => app.slack.responses.find((r) => r.path.endsWith('/notin')));
    expect(answer.body.text).toMatch(/not a member of <#C0NOTIN01>.*\/invite @Transcriber/);
    await new Promise((r) => setTimeout(r, 300));
    expect(app.omicall.attempts).toBe(0);
  });
});

describe('callbacks with a known tracking_id', () => {
  async function transcribed(app: Harness) {
    const { channel, ts } = await app.share([
      app.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') }),
    ]);
    const upload = await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)));
    return { channel, ts, trackingId: upload.trackingId ?? '' };
  }

  it('cannot mention everyone or slip in a link: text is escaped, in the blocks and in the notification text', async () => {
    const app = await Harness.start();
    h = app;
    const memo = await transcribed(app);
    await app.callBack({
      tracking_id: memo.trackingId,
      from: 0,
      to: 1,
      text: '<!channel> đăng nhập tại <https://evil.test|Slack>',
    });
    const reply = await waitFor(() => app.slack.thread(memo.channel, memo.ts).find((m) => m.text.includes('evil')));
    expect(reply.text).toContain('&lt;!channel&gt; đăng nhập tại &lt;https://evil.test|Slack&gt;');
    expect(JSON.stringify(reply.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(reply.blocks)).not.toContain('<https://evil');
  });

  it('cannot write into the thread of a job that failed', async () => {
    const app = await Harness.start();
    h = app;
    app.omicall.answers.push({ kind: 'fail', error: 'api_key_invalid' });
    const { channel, ts } = await app.share([
      app.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') }),
    ]);
    const reply = await failure(app, channel, ts);
    const trackingId = app.logs
      .map((l) => JSON.parse(l) as { msg: string; trackingId?: string })
      .find((l) => l.msg === 'received')?.trackingId;
    const res = await app.callBack({
      tracking_id: trackingId,
      from: 0,
      to: 1,
      text: 'Tài khoản của bạn bị khoá, bấm vào đây',
    });
    expect(res.status).toBe(409);
    await new Promise((r) => setTimeout(r, 300));
    expect(app.slack.thread(channel, ts)[0].text).toBe(reply.text);
  });

  it('cannot write for ever: a tracking ID issued more than 7 days ago is refused', async () => {
    const app = await Harness.start();
    h = app;
    const key = deriveSecret(SIGNING_SECRET, 'tracking-id');
    const ts = app.slack.nextTs();
    const old = signTrackingId(
      { channel: 'C0SALES01', ts, fileId: 'F0OLD0001' },
      Date.now() / 1000 - 8 * 24 * 3600,
      key,
    );
    const res = await app.callBack({ tracking_id: old, from: 0, to: 1, text: 'cũ' });
    expect(res.status).toBe(403);
    expect(app.slack.callsOf('chat.postMessage')).toEqual([]);
  });

  it('cannot flood: a 4.9 MB body, 20,000 segments, or endless text are refused or capped without a flood of posts', async () => {
    const app = await Harness.start();
    h = app;
    const memo = await transcribed(app);
    const huge = await app.callBack({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'x '.repeat(2_450_000) });
    expect(huge.status).toBe(413);
    const many = Array.from({ length: 20_000 }, (_, i) => ({
      tracking_id: memo.trackingId,
      from: i,
      to: i + 1,
      text: 'a',
    }));
    expect((await app.callBack(many)).status).toBe(413);
    const long = await app.callBack({ tracking_id: memo.trackingId, from: 0, to: 1, text: 'dài '.repeat(200_000) });
    expect(long.status).toBe(200);
    expect(JSON.parse(long.body)).toMatchObject({ accepted: 0, capped: 1 });
    await new Promise((r) => setTimeout(r, 500));
    expect(app.slack.callsOf('chat.postMessage').length).toBeLessThanOrEqual(2);
  });
});

describe('unauthenticated requests', () => {
  let standIns: Awaited<ReturnType<typeof startStandIns>>;
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(() => standIns.close());

  const peakGrowthMb = async (pid: number, work: () => Promise<unknown>) => {
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
    const hwm = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const idle = rss();
    await work();
    return hwm() - idle;
  };

  it('100 concurrent unsigned 4 MB posts are refused before their bodies are read; the app barely grows', async () => {
    const app = await startAppProcess(standIns, {});
    try {
      const body = Buffer.alloc(4 * 1024 * 1024, 'a');
      const statuses: number[] = [];
      const post = (headers: Record<string, string>) =>
        request(`${app.url}/slack/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        })
          .then(async (r) => {
            statuses.push(r.statusCode);
            await r.body.dump();
          })
          .catch(() => statuses.push(0));
      const unsigned = await peakGrowthMb(app.child.pid ?? 0, () =>
        Promise.all(Array.from({ length: 100 }, () => post({}))),
      );
      expect(statuses.every((s) => s === 401 || s === 0)).toBe(true);
      // Reading the bodies would hold up to 400 MB. What the refusals themselves cost (sockets, 401s) measured
      // 24.2 MB once while the rest of the suite ran beside it on two cores, so the margin is 32, not 24.
      expect(unsigned).toBeLessThan(32);

      // Headers that look signed get their body read (at most 1 MB, 16 at a time), its signature computed as it
      // arrives, and its memory released as soon as the signature is found wrong.
      statuses.length = 0;
      const forged = {
        'x-slack-signature': 'v0=00',
        'x-slack-request-timestamp': String(Math.floor(Date.now() / 1000)),
      };
      const small = Buffer.alloc(900 * 1024, 'a');
      const forgedGrowth = await peakGrowthMb(app.child.pid ?? 0, () =>
        Promise.all(
          Array.from({ length: 100 }, () =>
            request(`${app.url}/slack/events`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', ...forged },
              body: small,
            })
              .then(async (r) => {
                statuses.push(r.statusCode);
                await r.body.dump();
              })
              .catch(() => statuses.push(0)),
          ),
        ),
      );
      expect(statuses.every((s) => s === 401 || s === 503)).toBe(true);
      expect(forgedGrowth).toBeLessThan(24);
      // Still serving.
      expect((await request(`${app.url}/healthz`)).statusCode).toBe(200);
    } finally {
      await app.kill('SIGTERM');
    }
  }, 60_000);
});

describe('two instances and a slow Slack', () => {
  it('the reply lock outlives a 2.5 s answer from Slack: one reply, not two', async () => {
    const a = await Harness.start({ redis: true, tuning: { lockTtlMs: 1000, lockRetryMs: 100 } });
    const b = await Harness.start({ redis: true, with: a, tuning: { lockTtlMs: 1000, lockRetryMs: 100 } });
    try {
      a.slack.delays.set('chat.postMessage', 2500);
      const { channel, ts } = await a.share([
        a.slack.addFile({ name: 'slow.wav', mimetype: 'audio/wav', path: speech('wav') }),
      ]);
      const upload = await waitFor(() => a.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000);
      await b.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'chậm mà chắc' });
      await waitFor(() => a.slack.thread(channel, ts)[0]?.text.includes('chậm mà chắc'), 15_000, 'the transcript');
      await new Promise((r) => setTimeout(r, 3000));
      expect(a.slack.thread(channel, ts)).toHaveLength(1);
    } finally {
      await b.stop();
      await a.stop();
    }
  }, 40_000);
});

describe('the in-memory store', () => {
  it('sweeps expired entries instead of keeping them all', async () => {
    const store = memoryStore({ sweepMs: 50 });
    for (let i = 0; i < 20_000; i++) await store.set(`job:${i}`, { i }, 10);
    expect(store.size()).toBe(20_000);
    await waitFor(() => store.size() === 0, 2000, 'the sweep');
    await store.close();
  });
});
