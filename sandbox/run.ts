/**
 * `npm run sandbox`: the whole flow on this machine, with no Slack or OMICall account. The real app runs
 * against the local Slack and OMICall stand-ins the tests use; a real voice memo is spoken by espeak-ng.
 * The stand-in OMICall does no speech recognition: it sends back the sentences the memo was made from.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { clock } from '../src/i18n/index.ts';
import { createLogger } from '../src/log.ts';
import { durationOf, speech } from '../test/helpers/audio.ts';
import { fileShareEvent, postEvent, postInteraction, SIGNING_SECRET } from '../test/helpers/slack-requests.ts';
import { startStandIns } from '../test/stand-ins/index.ts';
import { API_KEY } from '../test/stand-ins/omicall.ts';
import { BOT_TOKEN } from '../test/stand-ins/slack.ts';

const SENTENCES = [
  'Chào cả nhà, mình vừa gặp khách hàng xong.',
  'Họ đồng ý ký hợp đồng vào thứ Hai tuần sau.',
  'Nhờ mọi người chuẩn bị tài liệu trước thứ Sáu nhé.',
];
const CHANNEL = 'C0SANDBOX';

const say = (line = '') => process.stdout.write(`${line}\n`);
const until = async <T>(check: () => T | undefined, what: string, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`sandbox: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

const { slack, omicall, close } = await startStandIns();
// The embedded store in a folder of its own, removed at the end: the sandbox leaves nothing behind.
const dataDir = mkdtempSync(join(tmpdir(), 'transcriber-sandbox-'));
const config = loadConfig({
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SIGNING_SECRET,
  OMICALL_API_KEY: API_KEY,
  SLACK_API_URL: slack.apiUrl,
  OMICALL_API_URL: omicall.apiUrl,
  PUBLIC_URL: 'https://sandbox.test',
  PORT: '0',
  DATA_DIR: dataDir,
});
const app = await startApp(config, createLogger({ level: 'warn', format: 'pretty' }), {
  timings: { replyGapMs: 100, quietMs: 1000, checkEveryMs: 100 },
});
const appUrl = `http://127.0.0.1:${app.port}`;

say('Sandbox: the real app, with a local stand-in for Slack and one for OMICall.');
say('NOTE: the transcript below comes from the OMICall stand-in, which sends back the sentences the memo');
say('      was generated from. No speech recognition happens here; with a real OMICALL_API_KEY it would.');
say();

const memoPath = speech('m4a', SENTENCES.join(' '));
const seconds = durationOf(memoPath);
const file = slack.addFile({
  name: 'audio_message.m4a',
  mimetype: 'audio/mp4',
  filetype: 'm4a',
  subtype: 'slack_audio',
  media_display_type: 'audio',
  duration_ms: Math.round(seconds * 1000),
  path: memoPath,
});
const ts = slack.nextTs();
slack.addUserMessage({ channel: CHANNEL, ts, user: 'UALICE01', files: [file] });
say(`1. Alice shares a voice memo in #sandbox (${seconds.toFixed(1)} s of speech by espeak-ng, ${file.size} bytes).`);
const ack = await postEvent(appUrl, fileShareEvent({ channel: CHANNEL, ts, files: [file] }));
say(`2. Slack's event is acknowledged: HTTP ${ack.status} in ${ack.ms.toFixed(0)} ms.`);

const upload = await until(() => omicall.uploads[0], 'the upload');
say(`3. OMICall (stand-in) received ${upload.fileName}, ${upload.size} bytes, tracking_id ${upload.trackingId}.`);

const webhook = `${appUrl}/omicall/webhook/${config.webhookSecret}`;
let from = 0;
for (const text of SENTENCES) {
  const to = from + seconds / SENTENCES.length;
  await omicall.callBack({ tracking_id: upload.trackingId, from: from.toFixed(2), to: to.toFixed(2), text }, webhook);
  from = to;
}
say(`4. OMICall (stand-in) called the webhook back with ${SENTENCES.length} segments.`);

await until(
  () => (slack.reactionsOn(CHANNEL, ts).includes('white_check_mark') ? true : undefined),
  'the transcript to complete',
);
await app.pipeline.replies.idle();
const reply = await until(() => slack.thread(CHANNEL, ts)[0], 'the transcript in the thread');
say('5. The segments reached the end of the memo and a quiet second passed: the transcript is complete.');

// Alice presses ".srt" under the transcript, as Slack would send it.
const srtButton = {
  action_id: 'export_transcript:srt',
  block_id: 'export',
  type: 'button',
  action_ts: '1.1',
  value: upload.trackingId,
  text: { type: 'plain_text', text: '.srt' },
};
await postInteraction(appUrl, {
  type: 'block_actions',
  user: { id: 'UALICE01', username: 'alice', name: 'alice', team_id: 'T0001' },
  api_app_id: 'A0001',
  token: 'legacy',
  container: { type: 'message', message_ts: reply.ts, channel_id: CHANNEL, is_ephemeral: false },
  trigger_id: 't.1',
  team: { id: 'T0001', domain: 'sandbox' },
  channel: { id: CHANNEL, name: 'sandbox' },
  message: { type: 'message', ts: reply.ts, text: reply.text, blocks: reply.blocks },
  response_url: `${slack.url}/respond/sandbox`,
  actions: [srtButton],
});
const srt = await until(() => slack.uploadedFiles[0], 'the .srt file');
say(`6. Alice pressed .srt: ${srt.filename} (${srt.bytes.length} bytes) was uploaded into the thread.`);

say();
say('The thread, as Slack shows it:');
say('─'.repeat(72));
say(
  `#sandbox  Alice: 🎙 audio_message.m4a (${clock(seconds)})   reactions: ${slack
    .reactionsOn(CHANNEL, ts)
    .map((r) => `:${r}:`)
    .join(' ')}`,
);
for (const line of reply.text.split('\n')) say(`   │ ${line}`);
say('   │ ✅ Complete. Download the transcript:  [.txt] [.srt] [.vtt]');
say(`   │ 📎 ${srt.filename}:`);
for (const line of srt.bytes.toString('utf8').trim().split('\n')) say(`   │    ${line}`);
say('─'.repeat(72));

await app.stop();
await close();
rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
