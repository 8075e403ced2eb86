import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveSecret } from '../src/config.ts';
import { slackHosts } from '../src/slack/download.ts';
import {
  classifyFile,
  declaredAudio,
  displayName,
  extension,
  isStub,
  reportedSeconds,
  type SlackFile,
} from '../src/slack/files.ts';
import {
  deletedFile,
  desktopVoiceClip,
  externalFile,
  hiddenFile,
  iosVoiceClip,
  slackConnectStub,
  untypedClip,
  uploadedMov,
  uploadedMp3,
  uploadedMp4Video,
  uploadedPdf,
  uploadedPng,
  videoClip,
} from './fixtures/slack-payloads.ts';
import { type AppProcess, startAppProcess } from './helpers/app-process.ts';
import { speech, wavHeader } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { mutantEnv } from './helpers/process.ts';
import { fileShareEvent, postEvent, SIGNING_SECRET } from './helpers/slack-requests.ts';
import { API_KEY } from './stand-ins/omicall.ts';
import { BOT_TOKEN, json, SlackStandIn } from './stand-ins/slack.ts';

/**
 * What keeps hostile files and leaks out: which hosts see the bot token, redirects, escaping of names and
 * provider text in the thread, the size limit at its edge, octet-stream uploads, and secrets in the logs.
 */

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

const MB = 1024 * 1024;
const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

function failureIn(app: Harness, channel: string, ts: string, timeoutMs = 10_000) {
  return waitFor(
    () => app.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
    timeoutMs,
    'the failure reply',
  );
}

describe('the bot token, with Slack as the API (production)', () => {
  // Built inside each test, so that what the rule does is what the test sees.
  const may = (url: string) => slackHosts('https://slack.com/api/')(new URL(url));

  it("goes to Slack's own hosts over https", () => {
    expect(may('https://files.slack.com/files-pri/T1-F1/download/memo.m4a')).toBe(true);
    expect(may('https://slack.com/api/files.info')).toBe(true);
    expect(may('https://acme.enterprise.slack.com/files-pri/T1-F1/memo.m4a')).toBe(true);
  });

  it('never to look-alike hosts, nor over plain http', () => {
    expect(may('https://evilslack.com/files-pri/T1-F1/download/memo.m4a')).toBe(false);
    expect(may('https://slack.com.evil.test/files-pri/T1-F1/download/memo.m4a')).toBe(false);
    expect(may('https://files.slack.com.evil.test/x')).toBe(false);
    expect(may('http://files.slack.com/files-pri/T1-F1/download/memo.m4a')).toBe(false);
    expect(may('http://slack.com/api/')).toBe(false);
    expect(may('https://slack-edge.com/x')).toBe(false);
  });

  it('with another API address (staging), only to that host and port', () => {
    const staging = slackHosts('https://slack.staging.test:8443/api/');
    expect(staging(new URL('https://slack.staging.test:8443/files/F1'))).toBe(true);
    expect(staging(new URL('https://slack.staging.test:9443/files/F1'))).toBe(false);
    expect(staging(new URL('https://files.slack.com/files/F1'))).toBe(false);
  });
});

describe('which shared files are audio (the rule)', () => {
  const HOST = 'https://files.slack.com';
  const as = (file: object) => file as SlackFile;

  it("Slack's clips, audio and video are audio, whatever else they say", () => {
    for (const clip of [desktopVoiceClip(HOST), iosVoiceClip(HOST), videoClip(HOST), untypedClip(HOST)])
      expect(classifyFile(as(clip))).toBe('audio');
    for (const upload of [uploadedMp3(HOST), uploadedMp4Video(HOST), uploadedMov(HOST)])
      expect(classifyFile(as(upload))).toBe('audio');
    // Each sign alone is enough.
    const bare = { id: 'F1', name: 'x', mimetype: 'application/x-unknown', url_private: `${HOST}/x` };
    expect(classifyFile({ ...bare, subtype: 'slack_audio' })).toBe('audio');
    expect(classifyFile({ ...bare, subtype: 'slack_video' })).toBe('audio');
    expect(classifyFile({ ...bare, media_display_type: 'audio' })).toBe('audio');
    expect(classifyFile({ ...bare, media_display_type: 'video' })).toBe('audio');
    expect(classifyFile({ ...bare, mimetype: 'AUDIO/X-WAV' })).toBe('audio');
    expect(classifyFile({ ...bare, mimetype: 'video/webm' })).toBe('audio');
    expect(classifyFile(bare)).toBe('not-audio');
    expect(classifyFile({ ...bare, subtype: 'slack_image', media_display_type: 'unknown' })).toBe('not-audio');
  });

  it('documents, images, and files without content or link are not', () => {
    expect(classifyFile(as(uploadedPdf(HOST)))).toBe('not-audio');
    expect(classifyFile(as(uploadedPng(HOST)))).toBe('not-audio');
    expect(classifyFile(as(hiddenFile()))).toBe('not-audio');
    expect(classifyFile(as(deletedFile()))).toBe('not-audio');
    expect(classifyFile(as(externalFile(HOST)))).toBe('not-audio');
    // A recording whose content Slack no longer has, or gives no link to.
    const clip = as(iosVoiceClip(HOST));
    expect(classifyFile({ ...clip, mode: 'hidden_by_limit' })).toBe('not-audio');
    expect(classifyFile({ ...clip, url_private_download: null, url_private: null })).toBe('not-audio');
    expect(classifyFile({ ...clip, url_private_download: null })).toBe('audio');
    expect(classifyFile({ ...clip, url_private: undefined })).toBe('audio');
    expect(classifyFile({ ...clip, mode: null })).toBe('audio');
    expect(classifyFile({ ...clip, mode: undefined })).toBe('audio');
  });

  it('with no mimetype or application/octet-stream, a media name decides; else the first bytes will', () => {
    const untyped = (name: string, mimetype: string | null, filetype?: string): SlackFile => ({
      id: 'F2',
      name,
      mimetype,
      filetype,
      url_private_download: `${HOST}/d`,
    });
    for (const mime of ['', null, 'application/octet-stream', 'Application/Octet-Stream']) {
      expect(classifyFile(untyped('Voice 001.M4A', mime))).toBe('audio');
      expect(classifyFile(untyped('call.amr', mime))).toBe('audio');
      expect(classifyFile(untyped('recording', mime, 'wav'))).toBe('audio');
      expect(classifyFile(untyped('recording', mime))).toBe('maybe-audio');
      expect(classifyFile(untyped('notes.txt', mime))).toBe('maybe-audio');
    }
    expect(classifyFile(untyped('voice.wav', 'text/plain'))).toBe('not-audio');
  });

  it('what the app reads from a file: its extension, name, declared kind, length', () => {
    expect(extension({ id: 'F', name: 'Meeting.Final.M4A' })).toBe('m4a');
    expect(extension({ id: 'F', name: 'memo.backup-copy', filetype: 'MP3' })).toBe('mp3');
    expect(extension({ id: 'F', name: 'memo', filetype: 'wav' })).toBe('wav');
    expect(extension({ id: 'F', name: null, filetype: null })).toBe('');
    expect(extension({ id: 'F', name: 'a.b c' })).toBe('');

    expect(displayName({ id: 'F', name: 'memo.m4a', title: 'Memo' })).toBe('memo.m4a');
    expect(displayName({ id: 'F', name: '', title: 'Memo' })).toBe('Memo');
    expect(displayName({ id: 'F' })).toBe('audio file');

    expect(declaredAudio(as(iosVoiceClip(HOST)))).toBe(true);
    expect(declaredAudio(as(uploadedMp4Video(HOST)))).toBe(false);
    expect(declaredAudio(as(videoClip(HOST)))).toBe(false);
    expect(declaredAudio({ id: 'F', subtype: 'slack_audio' })).toBe(true);
    expect(declaredAudio({ id: 'F', media_display_type: 'audio' })).toBe(true);
    expect(declaredAudio({ id: 'F', mimetype: 'Audio/MP4' })).toBe(true);
    expect(declaredAudio({ id: 'F', name: 'x.m4a', mimetype: 'video/mp4' })).toBe(true);
    expect(declaredAudio({ id: 'F', name: 'x.mp4', mimetype: 'video/mp4', media_display_type: 'video' })).toBe(false);

    // A Slack Connect file comes as a stub, to be looked up first; a full file does not.
    expect(isStub(as(slackConnectStub()))).toBe(true);
    expect(isStub(as(iosVoiceClip(HOST)))).toBe(false);
    expect(isStub({ id: 'F', file_access: 'visible' })).toBe(false);

    expect(reportedSeconds({ id: 'F', duration_ms: 19_101 })).toBe(19.101);
    expect(reportedSeconds({ id: 'F', duration_ms: 0 })).toBeUndefined();
    expect(reportedSeconds({ id: 'F' })).toBeUndefined();
  });
});

describe('a file host that redirects in a loop', () => {
  it('ends in plain words in the thread after a bounded number of requests, not a hang', async () => {
    const app = await Harness.start({ tuning: { downloadDeadlineMs: 5000 } });
    h = app;
    const file = app.slack.addFile({ name: 'loop.wav', mimetype: 'audio/wav', path: speech('wav') });
    app.slack.redirects.set(file.id, file.url_private_download);
    const started = Date.now();
    const { channel, ts } = await app.share([file]);
    const reply = await failureIn(app, channel, ts);
    expect(reply.text).toMatch(/could not be downloaded from Slack/);
    expect(Date.now() - started).toBeLessThan(5000);
    await settle();
    const requests = app.slack.downloads.filter((d) => d.path.includes(file.id));
    // The first request and at most 5 redirects followed.
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.length).toBeLessThanOrEqual(6);
    expect(app.omicall.attempts).toBe(0);
  });

  it('five redirects on the way to the file are followed', async () => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({ name: 'moved.wav', mimetype: 'audio/wav', bytes: Buffer.alloc(0) });
    const hops = Array.from({ length: 4 }, () =>
      app.slack.addFile({ name: 'hop.wav', mimetype: 'audio/wav', bytes: Buffer.alloc(0) }),
    );
    const target = app.slack.addFile({ name: 'moved.wav', mimetype: 'audio/wav', path: speech('wav') });
    const chain = [file, ...hops, target];
    for (let i = 0; i < chain.length - 1; i++) app.slack.redirects.set(chain[i].id, chain[i + 1].url_private_download);
    const { ts } = await app.share([file]);
    await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'the upload');
    expect(app.slack.downloads).toHaveLength(6);
  });
});

describe('a file the file host no longer has', () => {
  it('says in the thread that it may have been deleted, instead of sending the error page anywhere', async () => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({ name: 'gone.wav', mimetype: 'audio/wav', path: speech('wav') });
    app.slack.files.delete(file.id);
    const { channel, ts } = await app.share([file]);
    expect((await failureIn(app, channel, ts)).text).toMatch(
      /could not be downloaded from Slack\. It may have been deleted/,
    );
    expect(app.omicall.attempts).toBe(0);
  });
});

const HOSTILE_NAME = '<!channel> & <@U123> <https://evil.test|click>.wav';
const RAW = ['<!channel>', '<@U123>', '<https://evil'];

/** Everything the app asked Slack to show in a channel: every version of every message. */
function shown(slack: SlackStandIn): string[] {
  return slack.calls
    .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
    .map((c) => JSON.stringify({ text: c.args.text, blocks: c.args.blocks }));
}

describe('the webhook registration at start', () => {
  it('is logged with its address, the secret path segment left out', async () => {
    const app = await Harness.start();
    h = app;
    const line = app.logs
      .map((l) => JSON.parse(l) as { msg: string; url?: string })
      .find((l) => l.msg.includes('webhook registered'));
    expect(line?.url).toBe('https://transcriber.test/omicall/webhook/…');
    expect(app.omicall.registrations.map((r) => r.url)).toEqual([
      `https://transcriber.test/omicall/webhook/${app.config.webhookSecret}`,
    ]);
  });
});

describe('a file name or a provider answer with mrkdwn in it', () => {
  it('is shown as literal text in every reply: no mention, no link, & escaped', async () => {
    const app = await Harness.start();
    h = app;
    app.omicall.answers.push({ kind: 'fail', error: '<!channel> refused & <https://evil.test|login>' });
    const refused = app.slack.addFile({ name: HOSTILE_NAME, mimetype: 'audio/wav', path: speech('wav') });
    const first = await app.share([refused]);
    const reply = await failureIn(app, first.channel, first.ts);
    expect(reply.text).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.test|click&gt;.wav');
    expect(reply.text).toContain(
      'OMICall refused the audio (`&lt;!channel&gt; refused &amp; &lt;https://evil.test|login&gt;`)',
    );
    const blocks = JSON.stringify(reply.blocks);
    expect(blocks).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(blocks).toContain('&lt;!channel&gt; refused &amp;');

    const transcribed = app.slack.addFile({ name: HOSTILE_NAME, mimetype: 'audio/wav', path: speech('wav') });
    const second = await app.share([transcribed]);
    const upload = await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(second.ts)));
    await app.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xin chào' });
    const transcript = await waitFor(() =>
      app.slack.thread(second.channel, second.ts).find((m) => m.text.includes('xin chào')),
    );
    expect(transcript.text).toContain('Transcript of &lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(JSON.stringify(transcript.blocks)).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt;');

    const all = shown(app.slack);
    expect(all.length).toBeGreaterThan(2);
    for (const message of all) {
      for (const raw of RAW) expect(message).not.toContain(raw);
      // Every & is an entity of ours.
      expect(message).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
  });
});

/** A WAV of exactly `total` bytes, header included. */
function wavOf(total: number): Buffer {
  return Buffer.concat([wavHeader(total - 44), Buffer.alloc(total - 44)]);
}

describe('MAX_AUDIO_MB at its edge', () => {
  it('a file of exactly the limit is transcribed; one byte more is refused in plain words, whatever Slack said', async () => {
    const app = await Harness.start({ env: { MAX_AUDIO_MB: '1' } });
    h = app;
    const exact = wavOf(MB);
    const over = wavOf(MB + 1);
    const uploaded = async (file: { id: string }) => {
      const { ts } = await app.share([file]);
      return waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, 'the upload');
    };
    const refused = async (file: { id: string }) => {
      const { channel, ts } = await app.share([file]);
      return (await failureIn(app, channel, ts)).text;
    };

    // Exactly the limit: as Slack reports it, with a Content-Length, and counted without one.
    expect((await uploaded(app.slack.addFile({ name: 'exact.wav', mimetype: 'audio/wav', bytes: exact }))).size).toBe(
      MB,
    );
    const counted = app.slack.addFile({
      name: 'exact-chunked.wav',
      mimetype: 'audio/wav',
      bytes: exact,
      transfer: { noLength: true },
    });
    expect((await uploaded(counted)).size).toBe(MB);

    // One byte over, as Slack reports it: refused without a download.
    const big = app.slack.addFile({ name: 'over.wav', mimetype: 'audio/wav', bytes: over });
    expect(await refused(big)).toMatch(/the file is 2 MB and the limit is 1 MB\. Share a shorter recording/);
    expect(app.slack.downloads.some((d) => d.path.includes(big.id))).toBe(false);

    // One byte over while Slack says it is small: by Content-Length, and by counting the bytes.
    const lies = app.slack.addFile({ name: 'lies.wav', mimetype: 'audio/wav', bytes: over, size: 1000 });
    expect(await refused(lies)).toMatch(/the file is larger than the limit of 1 MB/);
    const liesChunked = app.slack.addFile({
      name: 'lies-chunked.wav',
      mimetype: 'audio/wav',
      bytes: over,
      size: 1000,
      transfer: { noLength: true },
    });
    expect(await refused(liesChunked)).toMatch(/the file is larger than the limit of 1 MB/);
    expect(app.omicall.uploads.map((u) => u.size)).toEqual([MB, MB]);
  });

  it('MAX_AUDIO_MB=0 (a limit that refuses everything) stops the start, naming the variable', () => {
    const run = spawnSync(process.execPath, ['src/index.ts'], {
      env: {
        PATH: process.env.PATH,
        ...mutantEnv(),
        SLACK_BOT_TOKEN: BOT_TOKEN,
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        OMICALL_API_KEY: API_KEY,
        MAX_AUDIO_MB: '0',
        PORT: '0',
      },
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/MAX_AUDIO_MB must be a whole number from 1 to 10000, got "0"/);
  });
});

describe('files Slack calls application/octet-stream', () => {
  it('a WAV is sniffed and transcribed, named .wav or not', async () => {
    const app = await Harness.start();
    h = app;
    for (const name of ['Recording 2024-05-01', 'voice.wav']) {
      const file = app.slack.addFile({
        name,
        mimetype: 'application/octet-stream',
        filetype: 'binary',
        path: speech('wav'),
      });
      const { ts } = await app.share([file]);
      const upload = await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 10_000, name);
      expect(upload.fileName).toMatch(/\.wav$/);
    }
  });

  it('one named as audio that is not audio gets its failure in plain words, as any audio file would', async () => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({
      name: 'broken.m4a',
      mimetype: 'application/octet-stream',
      filetype: 'binary',
      bytes: Buffer.from('not a recording, just bytes of some backup. '.repeat(40)),
    });
    const { channel, ts } = await app.share([file]);
    expect((await failureIn(app, channel, ts)).text).toMatch(/not audio OMICall can take/);
    expect(app.omicall.attempts).toBe(0);
  });

  it('one that is not audio is ignored without a word', async () => {
    const app = await Harness.start();
    h = app;
    const file = app.slack.addFile({
      name: 'backup.bin',
      mimetype: 'application/octet-stream',
      filetype: 'binary',
      bytes: Buffer.from('not a recording, just bytes of some backup. '.repeat(40)),
    });
    const { channel, ts } = await app.share([file]);
    // Its first bytes were looked at…
    await waitFor(() => app.slack.downloads.some((d) => d.path.includes(file.id)), 5000, 'the download');
    await settle(600);
    // …and nothing else happened.
    expect(app.omicall.attempts).toBe(0);
    expect(app.slack.thread(channel, ts)).toEqual([]);
    expect(app.slack.reactionsOn(channel, ts)).toEqual([]);
    expect(app.slack.uploadedFiles).toEqual([]);
  });
});

/**
 * A hostile OMICall: it refuses everything, echoing the API key it was sent; a refused registration also quotes
 * the address it was asked to register (with the webhook's secret path segment).
 */
async function echoingOmicall(): Promise<{ apiUrl: string; uploads: number; close(): Promise<void> }> {
  const state = { uploads: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => {
      if (raw.length < 2000) raw += chunk.slice(0, 2000);
    });
    req.on('end', () => {
      const upload = req.url?.endsWith('/speech_to_text') === true;
      if (upload) state.uploads += 1;
      const key = String(req.headers.apikey ?? '');
      const quoted = upload ? '' : ` for ${(JSON.parse(raw) as { url: string }).url}`;
      const body = JSON.stringify({
        status_code: -9999,
        payload: { status: 'fail', error: `api_key_invalid:${key}${quoted}`, message: `API key ${key} is invalid` },
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      // The upload's refusal writes the key with a JSON escape: the same words once read.
      res.end(
        upload ? body.replaceAll(key, `\\u${key.charCodeAt(0).toString(16).padStart(4, '0')}${key.slice(1)}`) : body,
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    apiUrl: `${url}/api/ai`,
    get uploads() {
      return state.uploads;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('the logs of the app as `npm start` runs it', () => {
  const USER_TOKEN = 'xoxp-1111-2222-echoed-user-token';
  const webhookSecret = deriveSecret(SIGNING_SECRET, 'omicall-webhook');
  let app: AppProcess | undefined;
  afterEach(async () => {
    if (app && app.child.exitCode === null) await app.kill('SIGTERM');
    app = undefined;
  });

  it.each(['json', 'pretty'])(
    'LOG_FORMAT=%s: services echoing the secrets back are logged, the secrets never are',
    async (format) => {
      const slack = await new SlackStandIn().start();
      const omicall = await echoingOmicall();
      try {
        // Slack refuses the thread replies, its error echoing the bot token and another Slack token.
        for (let i = 0; i < 20; i++)
          slack.override((call, res) => {
            if (call.method !== 'chat.postMessage') return false;
            json(res, 200, { ok: false, error: `token_revoked ${call.token} ${USER_TOKEN}` });
            return true;
          });
        app = await startAppProcess({ slack, omicall }, { LOG_FORMAT: format });
        const output = () => app?.output() ?? '';
        await waitFor(() => output().includes('webhook registration'), 20_000, 'the registration line');

        const file = slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
        const ts = slack.nextTs();
        slack.addUserMessage({ channel: 'C0SALES01', ts, user: 'UALICE01', files: [file] });
        expect((await postEvent(app.url, fileShareEvent({ channel: 'C0SALES01', ts, files: [file] }))).status).toBe(
          200,
        );
        await waitFor(
          () => omicall.uploads > 0 && output().includes('could not update the thread reply'),
          20_000,
          'the failure to be logged',
        );
        await settle(300);

        const lines = output()
          .split('\n')
          .filter((l) => l.trim() !== '');
        // The failures are there for the operator…
        const registration = lines.find((l) => l.includes('refused the webhook registration'));
        expect(registration).toContain(
          'api_key_invalid:[redacted] for https://transcriber.test/omicall/webhook/[redacted]',
        );
        expect(registration).toContain('https://transcriber.test/omicall/webhook/…');
        const slackFailure = lines.find((l) => l.includes('could not update the thread reply'));
        expect(slackFailure).toContain('token_revoked [redacted] [redacted]');
        if (format === 'json') {
          for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
        } else {
          expect(registration).toMatch(/^\d\d:\d\d:\d\d\.\d{3} ERROR /);
        }
        // …and no secret is, anywhere: not in the logs, nor in what the app asked Slack to show.
        expect(JSON.stringify(slack.calls.map((c) => c.args))).not.toContain(API_KEY);
        for (const secret of [API_KEY, BOT_TOKEN, USER_TOKEN, SIGNING_SECRET, webhookSecret]) {
          expect(output()).not.toContain(secret);
        }
      } finally {
        await omicall.close();
        await slack.close();
      }
    },
    40_000,
  );
});
