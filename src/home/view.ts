import type { types } from '@slack/bolt';
import { slackDate } from '../i18n/dates.ts';
import { type KeyWords, type Lang, type Messages, messages } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import type { JobState } from '../records/job.ts';
import type { MonthUsage } from '../records/usage.ts';
import { ACTIONS } from '../slack/ids.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';
import { SETTING_NAMES, type SettingName, type WorkspaceSettings } from '../workspaces/settings.ts';
import { button, channelId, divider, header, section } from './text.ts';
import { usageBlocks } from './usage.ts';

/** One of the viewer's memos, as their Home tab lists it. */
export interface HomeMemo {
  fileName: string;
  channel: string;
  since: number;
  state: JobState;
  /** The memo's thread, when its address is known. */
  link?: string;
}

/** What only the workspace's admins see. */
export interface AdminPart {
  settings: WorkspaceSettings;
  usage: MonthUsage;
  key: KeyWords;
  /** Distribution mode: the admins set the workspace's own provider key here. */
  keyButton: boolean;
}

export interface HomeInput {
  lang: Lang;
  /** The provider's name, as users read it. */
  provider: string;
  memos: HomeMemo[];
  admin?: AdminPart;
}

/** Longest file name shown for a memo. */
const FILE_NAME_CHARS = 120;

/**
 * The Home tab: for everyone, their own recent memos, how to use the app and where to get help; for the workspace's
 * admins, the settings (each with a button that opens its modal), this month's usage and the provider key's state.
 * Within Slack's limits: at most 100 blocks, every text within its element's length.
 */
export function homeView(input: HomeInput): types.HomeView {
  const t = messages(input.lang);
  const blocks: types.KnownBlock[] = [header(t.homeHeader), section(t.homeIntro), divider];
  blocks.push(header(t.homeRecentHeader));
  if (input.memos.length === 0) blocks.push(section(t.homeNoMemos));
  for (const memo of input.memos.slice(0, LIMITS.homeMemos)) blocks.push(section(memoLine(memo, input.provider, t)));
  blocks.push(divider, header(t.homeHowHeader), section(t.homeHow), section(t.homeHelp));
  if (input.admin) blocks.push(...adminBlocks(input.admin, input.lang, t));
  return { type: 'home', blocks: blocks.slice(0, LIMITS.viewBlocks) };
}

function memoLine(memo: HomeMemo, provider: string, t: Messages): string {
  const file = escapeMrkdwn([...memo.fileName].slice(0, FILE_NAME_CHARS).join(''));
  return t.homeMemo({
    file,
    channel: channelId(memo.channel),
    when: slackDate(t.locale, memo.since),
    state: t.stateName(memo.state, provider),
    ...(memo.link ? { link: memo.link } : {}),
  });
}

function adminBlocks(admin: AdminPart, lang: Lang, t: Messages): types.KnownBlock[] {
  const blocks: types.KnownBlock[] = [divider, header(t.homeAdminHeader), section(t.homeAdminIntro)];
  for (const name of SETTING_NAMES) {
    const text = `*${t.settingLabel[name]}*\n${settingValue(name, admin.settings, t)}`;
    blocks.push(section(text, button(t.settingChange, `${ACTIONS.settingPrefix}${name}`)));
  }
  blocks.push(divider, ...usageBlocks(admin.usage, admin.settings.budgetMinutes, lang, t));
  const key = `*${t.homeKeyHeader}*\n${t.homeKey(admin.key)}`;
  blocks.push(
    divider,
    section(
      key,
      admin.keyButton
        ? button(t.homeKeyButton({ hasOwn: admin.key.kind === 'own' }), ACTIONS.setOmicallKey)
        : undefined,
    ),
  );
  return blocks;
}

/** A setting's current value, in words. */
export function settingValue(name: SettingName, s: WorkspaceSettings, t: Messages): string {
  switch (name) {
    case 'auto':
      return t.settingAuto(s.auto === 'on');
    case 'lang':
      return t.langName[s.lang];
    case 'retention':
      return t.settingRetention(s.retentionDays);
    case 'budget':
      return t.settingBudget(s.budgetMinutes);
  }
}
