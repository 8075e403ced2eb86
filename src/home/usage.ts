import type { types } from '@slack/bolt';
import { type Lang, type Messages, monthName } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import type { MonthUsage } from '../records/usage.ts';
import { channelId, header, section } from './text.ts';

/** This month's usage, for the admins: minutes and memos in total, then the busiest channels. */
export function usageBlocks(
  usage: MonthUsage,
  budgetMinutes: number | undefined,
  lang: Lang,
  t: Messages,
): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [header(t.homeUsageHeader({ month: monthName(lang, usage.month) }))];
  if (usage.seconds === 0 && usage.memos === 0) {
    blocks.push(section(t.homeNoUsage));
    return blocks;
  }
  blocks.push(
    section(
      t.homeUsage({
        minutes: usage.seconds / 60,
        memos: usage.memos,
        ...(budgetMinutes !== undefined ? { budget: budgetMinutes } : {}),
      }),
    ),
  );
  const busiest = usage.channels.slice(0, LIMITS.busiestChannels);
  if (busiest.length > 0) {
    const lines = busiest.map((c) =>
      t.homeChannelUsage({ channel: channelId(c.channel), minutes: c.seconds / 60, memos: c.memos }),
    );
    blocks.push(section([t.homeBusiest, ...lines].join('\n')));
  }
  return blocks;
}
