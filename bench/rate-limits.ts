/**
 * A busy workspace against Slack's real rate limits: 60 Slack voice clips shared within 4 s across 10 channels of one
 * workspace, each transcribed by OMICall in three passages over three seconds, against a local Slack that enforces
 * Slack's documented limits (a sliding minute per method, chat.postMessage five per five seconds per channel, 429 with
 * Retry-After). The app runs as `npm start` runs it, on its default settings (the embedded store; BENCH_RATE_STORE=redis
 * for Redis). Prints how soon each memo's ⏳ reply came, how soon its last passage showed, when all were complete, the
 * 429s, the calls per memo, and Slack's floor for the same work.
 */
import { TIMINGS } from '../src/limits.ts';
import { speech } from '../test/helpers/audio.ts';
import { fileShareEvent, postEvent } from '../test/helpers/slack-requests.ts';
import { type ApiCall, SLACK_LIMITS } from '../test/stand-ins/slack.ts';
import { fmt, header, percentile, row, startAppProcess, startRig } from './lib.ts';

const MEMOS = Number(process.env.BENCH_RATE_MEMOS ?? 60);
const CHANNELS = 10;
const SHARE_WINDOW_MS = 4000;
/** The clip's length: the speech fixture is padded to whole seconds. */
const CLIP_S = 4;
const PASSAGES = [
  [0, 1.3],
  [1.3, 2.7],
  [2.7, CLIP_S],
] as const;
// Database 8: the benchmarks' own, apart from the tests' (9), which their thousands of keys would slow down.
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8';

interface Memo {
  channel: string;
  ts: string;
  sharedAt: number;
  firstReplyAt?: number;
  lastPassageAt?: number;
  lastPassageShownAt?: number;
  wholeAt?: number;
  checkedAt?: number;
}

export async function rateLimitBench(store: 'sqlite' | 'redis' = 'sqlite'): Promise<void> {
  const rig = await startRig();
  rig.slack.enforce(SLACK_LIMITS);
  const app = await startAppProcess(
    rig,
    store === 'redis' ? { REDIS_URL, REDIS_PREFIX: `bench-rate-${process.pid}-${Date.now()}:` } : {},
  );
  const clip = speech('m4a');
  const memos = new Map<string, Memo>();
  const lastPassage = (m: Memo) => `${m.ts} đoạn 3`;

  // What Slack showed, as it answered: each memo's first reply, its last passage, its complete text and its ✅.
  rig.slack.events.on('answered', (call: ApiCall, answer?: { ts?: unknown }) => {
    if (call.status !== 200) return;
    const now = performance.now();
    if (call.method === 'chat.postMessage' || call.method === 'chat.update') {
      const memo = memoOfReply(call, answer);
      if (!memo) return;
      memo.firstReplyAt ??= now;
      const shown = JSON.stringify({ text: call.args.text, blocks: call.args.blocks });
      if (shown.includes(lastPassage(memo))) memo.lastPassageShownAt ??= now;
      if (shown.includes(lastPassage(memo)) && shown.includes('Complete.')) memo.wholeAt ??= now;
    }
    if (call.method === 'reactions.add' && call.args.name === 'white_check_mark') {
      const memo = memos.get(String(call.args.timestamp));
      if (memo) memo.checkedAt ??= now;
    }
  });
  const replyOf = new Map<string, string>();
  function memoOfReply(call: ApiCall, answer?: { ts?: unknown }): Memo | undefined {
    if (call.method === 'chat.postMessage') {
      const memo = memos.get(String(call.args.thread_ts));
      if (memo && typeof answer?.ts === 'string') replyOf.set(answer.ts, memo.ts);
      return memo;
    }
    return memos.get(replyOf.get(String(call.args.ts)) ?? '');
  }

  // OMICall transcribes each upload in three passages, one a second.
  rig.omicall.events.on('upload', (upload: { trackingId?: string }) => {
    const trackingId = upload.trackingId ?? '';
    const memo = [...memos.values()].find((m) => trackingId.includes(m.ts));
    if (!memo) return;
    for (const [i, [from, to]] of PASSAGES.entries()) {
      setTimeout(
        () => {
          if (i === PASSAGES.length - 1) memo.lastPassageAt = performance.now();
          void rig.omicall.callBack(
            { tracking_id: trackingId, from, to, text: `${memo.ts} đoạn ${i + 1}` },
            app.webhookUrl,
          );
        },
        1000 * (i + 1),
      );
    }
  });

  const start = performance.now();
  const shares: Promise<unknown>[] = [];
  for (let i = 0; i < MEMOS; i++) {
    const at = start + (i * SHARE_WINDOW_MS) / MEMOS;
    await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));
    const channel = `C0BUSY${String(i % CHANNELS).padStart(3, '0')}`;
    const file = rig.slack.addFile({
      name: 'audio_message.m4a',
      mimetype: 'audio/mp4',
      filetype: 'm4a',
      subtype: 'slack_audio',
      duration_ms: CLIP_S * 1000,
      path: clip,
    });
    const ts = rig.slack.nextTs();
    rig.slack.addUserMessage({ channel, ts, user: 'UALICE01', files: [file] });
    const memo: Memo = { channel, ts, sharedAt: performance.now() };
    memos.set(ts, memo);
    shares.push(postEvent(app.url, fileShareEvent({ channel, ts, files: [file] })));
  }
  await Promise.all(shares);
  const done = () => [...memos.values()].every((m) => m.wholeAt !== undefined && m.checkedAt !== undefined);
  const deadline = start + 10 * 60_000;
  while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const all = [...memos.values()];
  const allComplete = Math.max(...all.map((m) => Math.max(m.wholeAt ?? Number.NaN, m.checkedAt ?? Number.NaN))) - start;
  const s = (ms: number) => `${fmt(ms / 1000)} s`;
  const firstReply = all.map((m) => (m.firstReplyAt ?? Number.NaN) - m.sharedAt);
  const lastShown = all.map((m) => (m.lastPassageShownAt ?? Number.NaN) - (m.lastPassageAt ?? Number.NaN));

  // Slack's floor for this work: each memo needs one reply (one a second per channel), one edit with its whole text
  // and one final reaction (each at 50 a minute), the edit and the reaction once the memo is complete: the
  // completion quiet period after its last passage.
  const perChannel = Math.ceil(MEMOS / CHANNELS);
  const repliesFloor = perChannel * 1000;
  const editsFloor = (MEMOS / 50) * 60_000;
  const lastPassageMs = SHARE_WINDOW_MS + PASSAGES.length * 1000;
  const floor = lastPassageMs + TIMINGS.quietMs + Math.max(repliesFloor, editsFloor);
  const goal = 1.3 * floor;

  header(
    `Slack's rate limits: ${MEMOS} clips within ${SHARE_WINDOW_MS / 1000} s across ${CHANNELS} channels, three passages each (${store === 'redis' ? 'Redis' : 'the embedded store'})`,
  );
  row(['what', 'measured', 'goal']);
  row(['---', '---', '---']);
  row([
    '⏳ reply in the thread, after the share',
    `p50 ${s(percentile(firstReply, 50))}, p95 ${s(percentile(firstReply, 95))}`,
    'p95 ≤ 5 s',
  ]);
  row([
    'last passage → shown in the thread',
    `p50 ${s(percentile(lastShown, 50))}, p95 ${s(percentile(lastShown, 95))}`,
    '',
  ]);
  row([
    `all ${MEMOS} complete (whole text and ✅), from the first share`,
    s(allComplete),
    `≤ 1.3 × Slack's floor = ${s(goal)}`,
  ]);
  const methods = [...rig.slack.counts.keys()].sort();
  row([
    'calls answered 429',
    `${rig.slack.limited} (${methods.map((m) => `${m} ${rig.slack.countsOf(m).limited}`).join(', ')})`,
    '',
  ]);
  row(['calls per memo', methods.map((m) => `${m} ${fmt(rig.slack.countsOf(m).calls / MEMOS, 2)}`).join(', '), '']);
  row([
    "Slack's floor",
    `${s(floor)}: the last passage at ${s(lastPassageMs)}, the completion quiet period ${s(TIMINGS.quietMs)}, then ${MEMOS} edits (and ${MEMOS} ✅) at 50 a minute, ${s(editsFloor)}; replies ${s(repliesFloor)} (${perChannel} a channel at one a second)`,
    '',
  ]);
  if (!done())
    process.stdout.write(
      `Not complete after 10 minutes: ${all.filter((m) => !m.wholeAt || !m.checkedAt).length} memos.\n`,
    );
  await app.stop();
  await rig.close();
}

if (import.meta.main) {
  await rateLimitBench(process.env.BENCH_RATE_STORE === 'redis' ? 'redis' : 'sqlite');
  process.exit(0);
}
