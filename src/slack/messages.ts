import type { webApi } from '@slack/bolt';
import { LIMITS } from '../limits.ts';
import { retryAfterOf, type WorkspaceBudget } from './budget.ts';
import type { SlackFile } from './files.ts';

/** The parts of a Slack message the app reads. */
export interface SlackMessage {
  ts: string;
  thread_ts?: string;
  user?: string;
  files?: SlackFile[];
}

/** What reading a channel needs: the workspace's budget, and a client that calls at once. */
export interface Reader {
  budget: WorkspaceBudget;
  direct: webApi.WebClient;
}

/** Told how long a read waits for Slack's budget, before it waits (Slack allows some apps one read a minute). */
export type OnWait = (ms: number) => void;

/**
 * One message, read as the app sees it: from the channel's history, or from its thread when `threadTs` is given
 * (`conversations.history` does not list thread replies). A thread's parent comes first in every answer of
 * `conversations.replies`, hence two messages asked for there. Waits for the method's budget. Throws Slack's error
 * (`not_in_channel`, `channel_not_found`, …) as the Web API client does.
 */
export async function readMessage(
  slack: Reader,
  where: { channel: string; ts: string; threadTs?: string },
  onWait?: OnWait,
): Promise<SlackMessage | undefined> {
  const { channel, ts, threadTs } = where;
  const found =
    threadTs && threadTs !== ts
      ? await read(slack, 'conversations.replies', onWait, () =>
          slack.direct.conversations.replies({
            channel,
            ts: threadTs,
            oldest: ts,
            latest: ts,
            inclusive: true,
            limit: 2,
          }),
        )
      : await read(slack, 'conversations.history', onWait, () =>
          slack.direct.conversations.history({ channel, latest: ts, inclusive: true, limit: 1 }),
        );
  return ((found.messages ?? []) as SlackMessage[]).find((m) => m.ts === ts);
}

/**
 * A channel's latest messages, newest first, `LIMITS.historyPage` at a time (Slack's most for apps outside the
 * Marketplace), up to `depth`. The first page waits for the budget; a further page is read only if the budget allows
 * it at once, so that one minute's only read is not waited for again (the pages read so far are what was looked at).
 */
export async function* recentMessages(
  slack: Reader,
  channel: string,
  depth: number,
  onWait?: OnWait,
): AsyncGenerator<SlackMessage[]> {
  let cursor: string | undefined;
  for (let seen = 0; seen < depth; ) {
    const limit = Math.min(LIMITS.historyPage, depth - seen);
    const page = () => slack.direct.conversations.history({ channel, limit, ...(cursor ? { cursor } : {}) });
    let answer: webApi.ConversationsHistoryResponse;
    if (seen === 0) {
      answer = await read(slack, 'conversations.history', onWait, page);
    } else {
      if (!(await slack.budget.take('conversations.history')).ok) return;
      answer = await page();
    }
    const messages = (answer.messages ?? []) as SlackMessage[];
    yield messages;
    seen += messages.length;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!answer.has_more || !cursor || messages.length === 0) return;
  }
}

/** Makes the call once the method's budget allows, and again after Slack's Retry-After when it answers 429. */
async function read<T>(slack: Reader, method: string, onWait: OnWait | undefined, call: () => Promise<T>): Promise<T> {
  const until = Date.now() + LIMITS.slackBudgetWaitMs;
  let told = false;
  const tell = (ms: number) => {
    if (!told) onWait?.(ms);
    told = true;
  };
  for (;;) {
    await slack.budget.wait(method, undefined, { maxWaitMs: until - Date.now(), onWait: tell });
    try {
      return await call();
    } catch (err) {
      const retryAfter = retryAfterOf(err);
      if (retryAfter === undefined) throw err;
      await slack.budget.pause(method, undefined, retryAfter);
      tell(retryAfter * 1000);
    }
  }
}

/** A message's permalink, or undefined when Slack will not say. */
export async function permalink(web: webApi.WebClient, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await web.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}

/**
 * Whether the app is a member of the channel, from `conversations.info` (Tier 3, not limited like the history):
 * false when Slack says it is not, or will not show the channel (a private channel it is not in). Throws Slack's
 * error otherwise.
 */
export async function appIsMember(web: webApi.WebClient, channel: string): Promise<boolean> {
  try {
    const info = await web.conversations.info({ channel });
    // A direct message with the app has no is_member: the app is one of its two people.
    return info.channel?.is_member !== false;
  } catch (err) {
    if (['channel_not_found', 'not_in_channel'].includes((err as { data?: { error?: string } }).data?.error ?? ''))
      return false;
    throw err;
  }
}
