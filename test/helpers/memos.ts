import type { types } from '@slack/bolt';
import { eventCallback, fileShareEvent, fileShareReplyEvent } from '../fixtures/slack-payloads.ts';
import type { PostedMessage, SlackStandIn } from '../stand-ins/slack.ts';
import { speech } from './audio.ts';
import { type Harness, waitFor } from './harness.ts';
import { postSigned } from './slack-requests.ts';

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
  await h.app.replies.idle();
  return memo;
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
