import type { webApi } from '@slack/bolt';

const PAGE = 1000;
const MAX_PAGES = 50;

/**
 * Whether a user is a member of a channel (`conversations.members`, paged; needs channels:read, groups:read,
 * im:read, mpim:read). False when Slack will not list the members (the channel does not exist, or the app
 * cannot see it): callers treat "cannot tell" as "no".
 */
export async function isMember(slack: webApi.WebClient, channel: string, user: string): Promise<boolean> {
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let answer: webApi.ConversationsMembersResponse;
    try {
      answer = await slack.conversations.members({ channel, limit: PAGE, ...(cursor ? { cursor } : {}) });
    } catch {
      return false;
    }
    if (answer.members?.includes(user)) return true;
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) return false;
  }
  return false;
}
