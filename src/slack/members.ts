import type { webApi } from '@slack/bolt';
import { LIMITS } from '../limits.ts';

/** What `conversations.members` says of someone: in the channel, not in it, or nothing sure. */
export type Membership =
  | { member: true }
  | {
      member: false;
      /**
       * `listed`: every member was listed and they are not among them; `unlisted`: Slack would not list the members
       * (no such channel, or one the app cannot see); `too_many`: the channel has more members than
       * `LIMITS.memberPages` pages hold, and they are not among those.
       */
      why: 'listed' | 'unlisted' | 'too_many';
    };

/**
 * Whether a user is a member of a channel (`conversations.members`, needs channels:read, groups:read, im:read,
 * mpim:read). At most `LIMITS.memberPages` pages are read, so that one `/transcribe <link>` makes a few calls, not
 * fifty: in a larger channel, someone not among the members listed on those pages cannot be told from an outsider, and
 * callers treat that, as every "cannot tell", as "no".
 */
export async function membership(slack: webApi.WebClient, channel: string, user: string): Promise<Membership> {
  let cursor: string | undefined;
  for (let page = 0; page < LIMITS.memberPages; page++) {
    let answer: webApi.ConversationsMembersResponse;
    try {
      answer = await slack.conversations.members({
        channel,
        limit: LIMITS.membersPerPage,
        ...(cursor ? { cursor } : {}),
      });
    } catch {
      return { member: false, why: 'unlisted' };
    }
    if (answer.members?.includes(user)) return { member: true };
    cursor = answer.response_metadata?.next_cursor || undefined;
    if (!cursor) return { member: false, why: 'listed' };
  }
  return { member: false, why: 'too_many' };
}
