import type { types } from '@slack/bolt';
import { LIMITS } from '../limits.ts';

/** Text cut to Slack's limit for where it goes, with "…" when it was longer. */
export function within(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export function section(text: string, accessory?: types.Button): types.SectionBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: within(text, LIMITS.sectionChars) },
    ...(accessory ? { accessory } : {}),
  };
}

export function header(text: string): types.HeaderBlock {
  return { type: 'header', text: { type: 'plain_text', text: within(text, LIMITS.headerChars), emoji: true } };
}

export function plain(text: string, max: number): types.PlainTextElement {
  return { type: 'plain_text', text: within(text, max), emoji: true };
}

export function button(text: string, actionId: string): types.Button {
  return { type: 'button', text: plain(text, LIMITS.buttonChars), action_id: actionId };
}

export const divider: types.DividerBlock = { type: 'divider' };

/** A channel id as Slack writes one; anything else is not shown as a channel. */
export function channelId(channel: string): string {
  return /^[A-Z0-9]{2,32}$/.test(channel) ? channel : 'C0';
}
