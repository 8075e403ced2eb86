import type { Failure, JobState } from '../records/job.ts';
import { en } from './en.ts';
import { vi } from './vi.ts';

/** The subcommands of `/transcribe` that `/transcribe help` lists, each with a line in every catalogue. */
export type HelpTopic = 'newest' | 'link' | 'switch' | 'status' | 'language' | 'help';

/** The settings a workspace's admins change in the Home tab, each with its words in every catalogue. */
export type SettingTopic = 'auto' | 'lang' | 'retention' | 'budget';

/** Why a value typed in a settings modal was refused. */
export type SettingProblemCode = 'not_a_choice' | 'not_a_number' | 'out_of_range';

/** Where a workspace's provider key comes from (src/workspaces/index.ts `KeyState`), as the Home tab words it. */
export type KeyWords =
  | { kind: 'environment' }
  | { kind: 'own'; last4: string; setAt: number }
  | { kind: 'default' }
  | { kind: 'none' };
/** Why an installation did not complete, as the installer's page says. */
export type InstallFailure =
  /** The installer pressed Cancel on Slack's page. */
  | 'denied'
  /** A `state` the app did not issue, or not to this browser. */
  | 'forged'
  /** The install link is too old, or Slack's code was. */
  | 'expired'
  /** The link was used already. */
  | 'reused'
  /** The Slack app has token rotation on: tokens that expire, which the app does not refresh. */
  | 'token-rotation'
  /** No bot token came (the Slack app has no bot scopes). */
  | 'no-bot'
  /** Slack could not be reached, or refused for another reason. */
  | 'failed';

/** Why a provider key was not saved, as the key modal says under its field. */
export type KeyRefusal =
  | {
      why:
        | 'empty'
        | 'too-long'
        | 'characters'
        | 'default-key'
        | 'taken'
        | 'not-admin'
        | 'not-confirmed'
        | 'environment';
    }
  | { why: 'refused' | 'unreachable'; error: string };

/** What the key modal shows of the key in use. */
export type KeyShown =
  | { kind: 'own'; last4: string; setAt: number }
  | { kind: 'default' }
  | { kind: 'none' }
  | { kind: 'environment' };

/** The languages the app speaks. */
export type Lang = 'en' | 'vi';
export const LANGS: readonly Lang[] = ['en', 'vi'];

/**
 * Every sentence the app writes, one catalogue per language (`en.ts`, `vi.ts`), each typed as `Messages`, so a
 * key missing in one language fails the typecheck. Parameters that come from users or the provider (file
 * names, error names) are passed in already escaped for Slack's mrkdwn; the catalogues add the formatting.
 */
export interface Messages {
  /** Intl locale for numbers and units. */
  readonly locale: string;

  // The thread reply, in APP_LANGUAGE.
  queued(p: { file: string }): string;
  sending(p: { file: string; provider: string }): string;
  waiting(p: { file: string; provider: string }): string;
  timedOut(p: { file: string; provider: string; waited: string }): string;
  failed(p: { file: string; reason: string }): string;
  /** "Transcript of *memo.m4a* · 0:42". */
  transcriptHeader(p: { file: string; duration?: string }): string;
  transcriptContinued(p: { file: string; part: number; parts: number }): string;
  partOf(p: { part: number; parts: number }): string;
  transcriptReceiving: string;
  transcriptComplete: string;
  /** Plain line above the export buttons. */
  exportPrompt: string;
  failure(f: Failure & { provider: string }): string;
  /** Told in a memo's thread when it was shared while the app was stopping. */
  sharedWhileStopping(p: { file: string }): string;
  /** Told in a thread when Slack would not describe a Slack Connect file. */
  cannotLookAtFile(p: { error: string }): string;

  // Answers only the asker sees, in their Slack locale.
  /** The first line of `/transcribe help`; a line per subcommand follows (src/listeners/commands/subcommands.ts). */
  usageIntro: string;
  /** The last line of `/transcribe help`. */
  usageFooter: string;
  /** One line of `/transcribe help` per subcommand. */
  help: Readonly<Record<HelpTopic, string>>;
  /** After `/transcribe language <lang>`: said in the chosen language. */
  languageChosen: string;
  /** After `/transcribe language auto`. */
  languageAuto: string;
  autoOff: string;
  autoOn: string;
  statusAutoOn: string;
  statusAutoOff: string;
  statusInProgress: string;
  statusNothing: string;
  statusLine(p: { file: string; state: string; since: string }): string;
  stateName(state: JobState, provider: string): string;
  started(p: { that: string }): string;
  requeued(p: { that: string }): string;
  inProgress(p: { that: string }): string;
  alreadyDone(p: { that: string }): string;
  noAudio(p: { that: string }): string;
  thatMessage(p: { link?: string }): string;
  appStopping: string;
  unreadable(p: { that: string }): string;
  /** One answer for "no such message" and "not yours to see", so the answer tells nothing either way. */
  notFoundOrNotAllowed: string;
  botNotInChannel(p: { channel: string }): string;
  cannotReadChannel(p: { error: string }): string;
  nothingRecent(p: { depth: number }): string;
  /** Before a read of the channel that waits for Slack's rate limit (once a minute for apps outside the Marketplace). */
  readingSoon(p: { seconds: number }): string;
  /** After "being transcribed already", when text has arrived: the buttons download it as it is so far. */
  soFar: string;
  exportMissingScope(p: { scope: string }): string;
  exportFailed(p: { error: string }): string;
  exportNothing: string;
  /** `/transcribe status` in a channel that never chose, with the workspace's automatic transcription on. */
  statusAutoByDefault: string;
  /** `/transcribe status` in a channel that never chose, in a workspace where only channels that opted in are. */
  statusOptIn: string;

  // The Home tab, in the viewer's language.
  homeHeader: string;
  homeIntro: string;
  homeRecentHeader: string;
  homeNoMemos: string;
  /** One memo: `when` is Slack's date markup, `link` the thread's address when known. */
  homeMemo(p: { file: string; channel: string; when: string; state: string; link?: string }): string;
  homeHowHeader: string;
  homeHow: string;
  homeHelp: string;
  homeAdminHeader: string;
  homeAdminIntro: string;
  settingLabel: Readonly<Record<SettingTopic, string>>;
  /** The current value of each setting, in words. */
  settingAuto(on: boolean): string;
  /** The two choices in the modal (at most 75 characters). */
  settingAutoChoice(on: boolean): string;
  langName: Readonly<Record<Lang, string>>;
  settingRetention(days: number): string;
  settingBudget(minutes: number | undefined): string;
  settingChange: string;
  /** "This month's usage (June 2026, UTC)". */
  homeUsageHeader(p: { month: string }): string;
  homeUsage(p: { minutes: number; memos: number; budget?: number }): string;
  homeNoUsage: string;
  homeBusiest: string;
  homeChannelUsage(p: { channel: string; minutes: number; memos: number }): string;
  homeKeyHeader: string;
  homeKey(state: KeyWords): string;
  homeKeyButton(p: { hasOwn: boolean }): string;
  /** A settings modal: its title (at most 24 characters), buttons, the field's label and hint. */
  settingsTitle: string;
  settingsSave: string;
  settingsCancel: string;
  settingHint: Readonly<Record<SettingTopic, string>>;
  settingsAdminsOnly: string;
  settingProblem(p: { problem: SettingProblemCode; setting: SettingTopic; min: number; max: number }): string;
  /** The DM to the admins at 80 % of the month's budget. */
  budgetWarning(p: { used: number; budget: number; month: string }): string;

  // A workspace without a provider key (distribution mode).
  /** One plain line in a memo's thread, in APP_LANGUAGE. */
  noKeyInThread(p: { file: string; provider: string }): string;
  /** The DM to the workspace's admins, once. */
  noKeyForAdmins(p: { provider: string }): string;
  /** The answer to someone who asked for a transcript. */
  noKeyAsked(p: { provider: string }): string;

  /** The modal where an admin sets the workspace's provider key (Slack: title and buttons at most 24 characters). */
  keyModal: {
    title: string;
    save: string;
    cancel: string;
    close: string;
    /** What is in use now. */
    current(k: KeyShown & { provider: string }): string;
    label(p: { provider: string }): string;
    placeholder: string;
    /** Where to find the key. */
    hint(p: { provider: string }): string;
    /** What saving does to the key's webhook, shared with the provider's other AI product. */
    sharedWebhook(p: { provider: string }): string;
    /** Under the field, when the key was not saved. */
    refusal(r: KeyRefusal & { provider: string }): string;
    savedTitle: string;
    saved(p: { last4: string; provider: string }): string;
    notAdmin(p: { provider: string }): string;
  };

  /** The pages of "Add to Slack" (GET /slack/install and /slack/oauth_redirect), in plain text (escaped for HTML). */
  installPages: {
    installTitle: string;
    installIntro: string;
    addToSlack: string;
    installNote: string;
    installedTitle: string;
    installedIn(p: { team: string }): string;
    nextTitle: string;
    nextSteps: readonly string[];
    orgNote: string;
    openSlack: string;
    failedTitle: string;
    failure(reason: InstallFailure): string;
    tryAgain: string;
  };
}

const CATALOGUES: Record<Lang, Messages> = { en, vi };

export function messages(lang: Lang): Messages {
  return CATALOGUES[lang];
}

/** The app's language for a Slack locale ("vi-VN" → vi), or undefined when it speaks none of it. */
export function langOfLocale(locale: string | undefined): Lang | undefined {
  const base = locale?.toLowerCase().split(/[-_]/)[0];
  return LANGS.find((l) => l === base);
}

/** 75.4 → "1:15", 3725 → "1:02:05": the same in every language. */
export function clock(seconds: number): string {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** A calendar month (`YYYY-MM`, UTC) in words of the language ("June 2026", "tháng 6 năm 2026"). */
export function monthName(lang: Lang, month: string): string {
  const at = Date.parse(`${month}-01T00:00:00Z`);
  if (Number.isNaN(at)) return month;
  return new Intl.DateTimeFormat(messages(lang).locale, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(at);
}

/** A whole number of minutes in words of the language ("3 minutes", "3 phút"). */
export function minutes(lang: Lang, n: number): string {
  return new Intl.NumberFormat(messages(lang).locale, { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(
    Math.max(0, Math.round(n)),
  );
}
