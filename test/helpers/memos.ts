import type { types } from '@slack/bolt';
import { deriveSecret } from '../../src/config.ts';
import type { ReplyRecord } from '../../src/pipeline/thread.ts';
import { Jobs } from '../../src/records/job.ts';
import { type MemoRef, signTrackingId } from '../../src/records/tracking-id.ts';
import { workspaceKeys } from '../../src/store/keys.ts';
import { DAY_MS } from '../../src/time.ts';
import { eventCallback, fileShareEvent, fileShareReplyEvent } from '../fixtures/slack-payloads.ts';
import type { PostedMessage, SlackStandIn } from '../stand-ins/slack.ts';
import { speech } from './audio.ts';
import { type Harness, WORKSPACE, waitFor } from './harness.ts';
import { postSigned, SIGNING_SECRET } from './slack-requests.ts';

/** A spoken memo (WAV) shared on h and received by OMICall: its tracking id, where it was shared, and its file. */
export async function uploadedMemo(
  h: Harness,
  options: { name?: string; channel?: string; ts?: string; thread_ts?: string } = {},
) {
  const file = h.slack.addFile({ name: options.name ?? 'memo.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts } = await h.share([file], {
    ...(options.channel ? { channel: options.channel } : {}),
    ...(options.ts ? { ts: options.ts } : {}),
    ...(options.thread_ts ? { thread_ts: options.thread_ts } : {}),
  });
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(ts)), 8000, 'the upload');
  return { trackingId: upload.trackingId as string, channel, ts, threadTs: options.thread_ts ?? ts, file };
}

/** An uploaded memo whose first reply is in its thread, with nothing left to write. */
export async function repliedMemo(h: Harness, options: Parameters<typeof uploadedMemo>[1] = { name: 'họp.wav' }) {
  const memo = await uploadedMemo(h, options);
  await waitFor(() => h.slack.thread(memo.channel, memo.ts).length === 1, 5000, 'the first reply');
  await h.app.pipeline.replies.idle();
  return memo;
}

/**
 * Leaves a replied memo's reply record as a process killed between Slack's answer to chat.postMessage and the store
 * write leaves it: marked as being posted, its ts not saved. Returns the record's key and the reply Slack holds.
 */
export async function leaveReplyUnsaved(h: Harness, memo: Awaited<ReturnType<typeof repliedMemo>>) {
  const key = workspaceKeys(WORKSPACE).reply({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
  const record = await h.app.store.get<ReplyRecord>(key);
  const [posted] = h.slack.thread(memo.channel, memo.ts);
  if (record?.replyTs[0] !== posted.ts) throw new Error('the reply record does not name the posted reply');
  await h.app.store.set(key, { ...record, replyTs: [], posting: 0 });
  return { key, posted };
}

/** The reply in a thread that says a memo could not be transcribed, once it is there. */
export function failureReply(h: Harness, channel: string, ts: string, timeoutMs = 10_000): Promise<PostedMessage> {
  return waitFor(
    () => h.slack.thread(channel, ts).find((m) => m.text.startsWith('Could not transcribe')),
    timeoutMs,
    'the failure reply',
  );
}

/** A thread's replies, as people read them: every message's text, one after the other. */
export function threadText(holder: { slack: SlackStandIn }, channel: string, ts: string): string {
  return holder.slack
    .thread(channel, ts)
    .map((m) => m.text)
    .join('\n');
}

/** How often a text occurs in a thread, as people read it. */
export function occurrences(holder: { slack: SlackStandIn }, channel: string, ts: string, text: string): number {
  return threadText(holder, channel, ts).split(text).length - 1;
}

/** The action ids of a message's buttons. */
export function buttonsOf(message: PostedMessage | undefined): string[] {
  const blocks = (message?.blocks ?? []) as types.KnownBlock[];
  return blocks.flatMap((b) =>
    b.type === 'actions' ? b.elements.map((e) => ('action_id' in e ? String(e.action_id) : '')) : [],
  );
}

/**
 * Shares files in `channel` as Slack's Events API sends them (test/fixtures/slack-payloads.ts), in a thread when
 * `thread` is given; returns the message's ts.
 */
export async function shareAsSlackDoes(
  h: Harness,
  channel: string,
  files: { id: string }[],
  thread?: string,
): Promise<string> {
  const ts = h.slack.nextTs();
  const event = thread
    ? fileShareReplyEvent({ channel, ts, files: files as never, thread_ts: thread })
    : fileShareEvent({ channel, ts, files: files as never });
  const res = await postSigned(h.url, JSON.stringify(eventCallback(event)), 'application/json');
  if (res.status !== 200) throw new Error(`Slack's event was answered ${res.status}: ${res.body}`);
  return ts;
}

/**
 * A memo the app has on record as uploaded and waiting for its text, without anyone sharing it: its claim and its
 * job, written through the app's own records, as the process that uploaded it would have left them. `issuedAt` dates
 * its tracking ID (epoch seconds).
 */
export async function plantedMemo(
  h: Harness,
  o: { channel?: string; fileId: string; fileName?: string; issuedAt?: number },
): Promise<{ ref: MemoRef; id: string }> {
  const ref: MemoRef = {
    workspace: WORKSPACE,
    channel: o.channel ?? 'C0RESULTS1',
    ts: h.slack.nextTs(),
    fileId: o.fileId,
  };
  const id = signedTrackingId(ref, o.issuedAt);
  const jobs = new Jobs(h.app.store, async () => DAY_MS);
  await jobs.claim(ref, id);
  await jobs.create({
    ...ref,
    trackingId: id,
    fileName: o.fileName ?? `${o.fileId}.wav`,
    state: 'waiting',
    createdAt: Date.now(),
    acceptedAt: Date.now(),
    run: 1,
    unsure: false,
    lookUp: false,
    file: { id: o.fileId, name: o.fileName ?? `${o.fileId}.wav` },
    account: 'default',
  });
  return { ref, id };
}

/** A tracking ID as the app signs one (test/helpers/slack-requests.ts's signing secret), issued at `issuedAt`. */
export function signedTrackingId(ref: MemoRef, issuedAt = Date.now() / 1000): string {
  return signTrackingId(ref, issuedAt, deriveSecret(SIGNING_SECRET, 'tracking-id'));
}
