import type { webApi } from '@slack/bolt';
import type { SlackFile } from './files.ts';

/** The parts of a Slack message the app reads. */
export interface SlackMessage {
  ts: string;
  thread_ts?: string;
  user?: string;
  files?: SlackFile[];
}

/**
 * One message, read as the app sees it: from the channel's history, or from its thread when `threadTs` is given
 * (`conversations.history` does not list thread replies). A thread's parent comes first in every answer of
 * `conversations.replies`, hence two messages asked for there. Reading it also proves the app is in the channel.
 * Throws Slack's error (`not_in_channel`, `channel_not_found`, …) as the Web API client does.
 */
export async function readMessage(
  web: webApi.WebClient,
  where: { channel: string; ts: string; threadTs?: string },
): Promise<SlackMessage | undefined> {
  const { channel, ts, threadTs } = where;
  const found =
    threadTs && threadTs !== ts
      ? await web.conversations.replies({ channel, ts: threadTs, oldest: ts, latest: ts, inclusive: true, limit: 2 })
      : await web.conversations.history({ channel, latest: ts, inclusive: true, limit: 1 });
  return ((found.messages ?? []) as SlackMessage[]).find((m) => m.ts === ts);
}

/** A message's permalink, or undefined when Slack will not say. */
export async function permalink(web: webApi.WebClient, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await web.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}
