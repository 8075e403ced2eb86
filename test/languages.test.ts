/**
 * The app's two languages: the English and Vietnamese catalogues, the team's language in threads, and each person's in
 * private answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { slackDate } from '../src/i18n/dates.ts';
import {
  type InstallFailure,
  type KeyRefusal,
  type KeyShown,
  LANGS,
  type Lang,
  langOfLocale,
  type Messages,
  messages,
  minutes,
  monthName,
} from '../src/i18n/index.ts';
import { usage } from '../src/listeners/commands/subcommands.ts';
import type { Failure, JobState } from '../src/records/job.ts';
import { speech } from './helpers/audio.ts';
import { Harness, waitFor } from './helpers/harness.ts';
import { postCommand } from './helpers/slack-requests.ts';

const FILE = 'memo.m4a';
const PROVIDER = 'OMICall';
const CHANNEL = 'C0123ABCD';
const LINK = 'https://example.slack.com/archives/C0123ABCD/p1700000000000100';

/** Every failure the app can report, with each variant of wording (a missing code fails the typecheck). */
const FAILURES: { [C in Failure['code']]: Extract<Failure, { code: C }>[] } = {
  too_large: [{ code: 'too_large', sizeMb: 1536, limitMb: 1024 }],
  too_long: [{ code: 'too_long', minutes: 95, limitMinutes: 60 }],
  sign_in_page: [{ code: 'sign_in_page' }],
  no_download_link: [{ code: 'no_download_link' }],
  download_failed: [
    { code: 'download_failed', status: 404 },
    { code: 'download_failed', status: 403 },
    { code: 'download_failed', status: 500 },
    { code: 'download_failed' },
  ],
  not_convertible: [{ code: 'not_convertible' }],
  converter_unavailable: [{ code: 'converter_unavailable' }],
  off_slack: [{ code: 'off_slack' }],
  provider_refused: [{ code: 'provider_refused', error: 'invalid_audio' }],
  provider_unreachable: [{ code: 'provider_unreachable', attempts: 5, error: 'ECONNREFUSED' }],
  restarted: [{ code: 'restarted' }],
  budget_used_up: [{ code: 'budget_used_up' }],
  internal: [{ code: 'internal' }],
};
const ALL_FAILURES: Failure[] = Object.values(FAILURES).flat();

const STATE_SET: Record<JobState, true> = {
  queued: true,
  sending: true,
  waiting: true,
  receiving: true,
  complete: true,
  failed: true,
  timed_out: true,
};
const STATES = Object.keys(STATE_SET) as JobState[];

/**
 * What each member of a catalogue says for representative parameters, in the same order for every language
 * so the two can be compared line by line. Typed over `Messages`, so a new key fails the typecheck here too.
 */
function said(lang: Lang): { [K in keyof Messages]: string[] } {
  const t = messages(lang);
  const linked = t.thatMessage({ link: LINK });
  const plain = t.thatMessage({});
  const those = [linked, plain];
  const when = slackDate(t.locale, 1_700_000_000_000);
  return {
    locale: [t.locale],
    queued: [t.queued({ file: FILE })],
    sending: [t.sending({ file: FILE, provider: PROVIDER })],
    waiting: [t.waiting({ file: FILE, provider: PROVIDER })],
    timedOut: [t.timedOut({ file: FILE, provider: PROVIDER, waited: minutes(lang, 30) })],
    failed: [t.failed({ file: FILE, reason: t.failure({ code: 'internal', provider: PROVIDER }) })],
    transcriptHeader: [t.transcriptHeader({ file: FILE, duration: '0:42' }), t.transcriptHeader({ file: FILE })],
    transcriptContinued: [t.transcriptContinued({ file: FILE, part: 2, parts: 3 })],
    partOf: [t.partOf({ part: 2, parts: 3 })],
    transcriptReceiving: [t.transcriptReceiving],
    transcriptComplete: [t.transcriptComplete],
    exportPrompt: [t.exportPrompt],
    failure: ALL_FAILURES.map((f) => t.failure({ ...f, provider: PROVIDER })),
    sharedWhileStopping: [t.sharedWhileStopping({ file: FILE })],
    cannotLookAtFile: [t.cannotLookAtFile({ error: 'file_not_found' })],
    usageIntro: [t.usageIntro],
    usageFooter: [t.usageFooter],
    help: Object.values(t.help),
    languageChosen: [t.languageChosen],
    languageAuto: [t.languageAuto],
    autoOff: [t.autoOff],
    autoOn: [t.autoOn],
    statusAutoOn: [t.statusAutoOn],
    statusAutoOff: [t.statusAutoOff],
    statusInProgress: [t.statusInProgress],
    statusNothing: [t.statusNothing],
    statusLine: [t.statusLine({ file: FILE, state: t.stateName('waiting', PROVIDER), since: minutes(lang, 3) })],
    stateName: STATES.map((s) => t.stateName(s, PROVIDER)),
    started: those.map((that) => t.started({ that })),
    requeued: those.map((that) => t.requeued({ that })),
    inProgress: those.map((that) => t.inProgress({ that })),
    alreadyDone: those.map((that) => t.alreadyDone({ that })),
    noAudio: those.map((that) => t.noAudio({ that })),
    thatMessage: those,
    appStopping: [t.appStopping],
    unreadable: those.map((that) => t.unreadable({ that })),
    notFoundOrNotAllowed: [t.notFoundOrNotAllowed],
    botNotInChannel: [t.botNotInChannel({ channel: CHANNEL })],
    cannotReadChannel: [t.cannotReadChannel({ error: 'ratelimited' })],
    nothingRecent: [t.nothingRecent({ depth: 200 })],
    readingSoon: [t.readingSoon({ seconds: 45 })],
    soFar: [t.soFar],
    exportMissingScope: [t.exportMissingScope({ scope: 'files:write' })],
    exportFailed: [t.exportFailed({ error: 'not_allowed_token_type' })],
    exportNothing: [t.exportNothing],
    statusAutoByDefault: [t.statusAutoByDefault],
    statusOptIn: [t.statusOptIn],
    homeHeader: [t.homeHeader],
    homeIntro: [t.homeIntro],
    homeRecentHeader: [t.homeRecentHeader],
    homeNoMemos: [t.homeNoMemos],
    homeMemo: [
      t.homeMemo({ file: FILE, channel: CHANNEL, when, state: t.stateName('complete', PROVIDER), link: LINK }),
      t.homeMemo({ file: FILE, channel: CHANNEL, when, state: t.stateName('queued', PROVIDER) }),
    ],
    homeHowHeader: [t.homeHowHeader],
    homeHow: [t.homeHow],
    homeHelp: [t.homeHelp],
    homeAdminHeader: [t.homeAdminHeader],
    homeAdminIntro: [t.homeAdminIntro],
    settingLabel: Object.values(t.settingLabel),
    settingAuto: [t.settingAuto(true), t.settingAuto(false)],
    settingAutoChoice: [t.settingAutoChoice(true), t.settingAutoChoice(false)],
    langName: Object.values(t.langName),
    settingRetention: [t.settingRetention(1), t.settingRetention(14)],
    settingBudget: [t.settingBudget(undefined), t.settingBudget(300)],
    settingChange: [t.settingChange],
    homeUsageHeader: [t.homeUsageHeader({ month: monthName(lang, '2026-06') })],
    homeUsage: [t.homeUsage({ minutes: 12.5, memos: 7 }), t.homeUsage({ minutes: 12.5, memos: 1, budget: 300 })],
    homeNoUsage: [t.homeNoUsage],
    homeBusiest: [t.homeBusiest],
    homeChannelUsage: [t.homeChannelUsage({ channel: CHANNEL, minutes: 3.25, memos: 2 })],
    homeKeyHeader: [t.homeKeyHeader],
    homeKey: [
      t.homeKey({ kind: 'environment' }),
      t.homeKey({ kind: 'own', last4: 'a1b2', setAt: 1_700_000_000_000 }),
      t.homeKey({ kind: 'default' }),
      t.homeKey({ kind: 'none' }),
    ],
    homeKeyButton: [t.homeKeyButton({ hasOwn: false }), t.homeKeyButton({ hasOwn: true })],
    settingsTitle: [t.settingsTitle],
    settingsSave: [t.settingsSave],
    settingsCancel: [t.settingsCancel],
    settingHint: Object.values(t.settingHint),
    settingsAdminsOnly: [t.settingsAdminsOnly],
    settingProblem: [
      t.settingProblem({ problem: 'not_a_choice', setting: 'auto', min: 1, max: 365 }),
      t.settingProblem({ problem: 'out_of_range', setting: 'retention', min: 1, max: 365 }),
      t.settingProblem({ problem: 'not_a_number', setting: 'budget', min: 1, max: 1_000_000 }),
    ],
    budgetWarning: [t.budgetWarning({ used: 145.5, budget: 180, month: monthName(lang, '2026-06') })],
    noKeyInThread: [t.noKeyInThread({ file: FILE, provider: PROVIDER })],
    noKeyForAdmins: [t.noKeyForAdmins({ provider: PROVIDER })],
    noKeyAsked: [t.noKeyAsked({ provider: PROVIDER })],
    keyModal: [
      t.keyModal.title,
      t.keyModal.save,
      t.keyModal.cancel,
      t.keyModal.close,
      ...KEYS_SHOWN.map((k) => t.keyModal.current({ ...k, provider: PROVIDER })),
      t.keyModal.label({ provider: PROVIDER }),
      t.keyModal.placeholder,
      t.keyModal.hint({ provider: PROVIDER }),
      t.keyModal.sharedWebhook({ provider: PROVIDER }),
      ...KEY_REFUSALS.map((r) => t.keyModal.refusal({ ...r, provider: PROVIDER })),
      t.keyModal.savedTitle,
      t.keyModal.saved({ last4: 'a1b2', provider: PROVIDER }),
      t.keyModal.notAdmin({ provider: PROVIDER }),
    ],
    installPages: [
      t.installPages.installTitle,
      t.installPages.installIntro,
      t.installPages.addToSlack,
      t.installPages.installNote,
      t.installPages.installedTitle,
      t.installPages.installedIn({ team: 'Acme' }),
      t.installPages.installedIn({ team: '' }),
      t.installPages.nextTitle,
      ...t.installPages.nextSteps,
      t.installPages.orgNote,
      t.installPages.openSlack,
      t.installPages.failedTitle,
      ...INSTALL_FAILURES.map((f) => t.installPages.failure(f)),
      t.installPages.tryAgain,
    ],
  };
}

/** What the key modal may show of the key in use (a missing kind fails the typecheck). */
const KEY_KINDS: { [K in KeyShown['kind']]: Extract<KeyShown, { kind: K }> } = {
  own: { kind: 'own', last4: 'a1b2', setAt: Date.UTC(2026, 0, 15, 9, 30) },
  default: { kind: 'default' },
  none: { kind: 'none' },
  environment: { kind: 'environment' },
};
const KEYS_SHOWN: KeyShown[] = Object.values(KEY_KINDS);
/** Every reason a key is not saved (a missing one fails the typecheck). */
const REFUSALS: { [W in KeyRefusal['why']]: KeyRefusal & { why: W } } = {
  empty: { why: 'empty' },
  'too-long': { why: 'too-long' },
  characters: { why: 'characters' },
  'default-key': { why: 'default-key' },
  taken: { why: 'taken' },
  'not-admin': { why: 'not-admin' },
  'not-confirmed': { why: 'not-confirmed' },
  environment: { why: 'environment' },
  refused: { why: 'refused', error: 'api_key_invalid' },
  unreachable: { why: 'unreachable', error: 'timeout' },
};
const KEY_REFUSALS: KeyRefusal[] = Object.values(REFUSALS);
const INSTALL_FAILURE_SET: Record<InstallFailure, true> = {
  denied: true,
  forged: true,
  expired: true,
  reused: true,
  'token-rotation': true,
  'no-bot': true,
  failed: true,
};
const INSTALL_FAILURES = Object.keys(INSTALL_FAILURE_SET) as InstallFailure[];

const KEYS = Object.keys(said('en')) as (keyof Messages)[];
/** Members that are code or names, not language: the locale, the app's name, each language's own name. */
const CODE = new Set<keyof Messages>(['locale', 'homeHeader', 'langName']);
/** Members whose text is only symbols around parameters, the same in every language. */
const SYMBOLS_ONLY = new Set<keyof Messages>(['statusLine']);

/** The mrkdwn a translation must keep: code spans, links (targets, not labels), emoji codes, bold spans. */
function markup(text: string) {
  const code = text.match(/`[^`]+`/g) ?? [];
  const rest = text.replace(/`[^`]+`/g, ' ');
  const links = (rest.match(/<[^<>]+>/g) ?? []).map((l) => {
    const bar = l.indexOf('|');
    return { target: bar < 0 ? l.slice(1, -1) : l.slice(1, bar), label: bar < 0 ? undefined : l.slice(bar + 1, -1) };
  });
  const plain = rest.replace(/<[^<>]+>/g, ' ');
  return {
    code: [...code].sort(),
    links,
    emoji: [...(plain.match(/:[a-z0-9_+-]+:/g) ?? [])].sort(),
    bold: [...(plain.match(/\*[^*\n]+\*/g) ?? [])].sort(),
  };
}

/** Vietnamese writes its tones and vowels with diacritics (and đ); English text here has none. */
const looksVietnamese = (s: string) => /\p{M}|đ/iu.test(s.normalize('NFD'));

describe('the catalogues', () => {
  it('cover every member, each saying something for every failure and every state', () => {
    for (const lang of LANGS) {
      const t = messages(lang);
      const lines = said(lang);
      expect(KEYS.slice().sort()).toEqual(Object.keys(t).sort());
      for (const key of KEYS) {
        for (const line of lines[key]) {
          expect(typeof line, `${lang}.${key}`).toBe('string');
          expect(line.trim().length, `${lang}.${key}`).toBeGreaterThan(0);
          expect(line, `${lang}.${key}`).not.toMatch(/undefined|NaN|\[object/);
        }
      }
      expect(lines.failure).toHaveLength(ALL_FAILURES.length);
      // A download that failed with another status, or none, reads the same: all others are worded apart.
      expect(new Set(lines.failure).size, `${lang}: each failure worded apart`).toBe(ALL_FAILURES.length - 1);
      expect(new Set(lines.stateName).size, `${lang}: each state named apart`).toBe(STATES.length);
    }
  });

  it('are wired to their languages and Slack locales', () => {
    expect(messages('en').locale).toBe('en-US');
    expect(messages('vi').locale).toBe('vi-VN');
    expect(langOfLocale('vi-VN')).toBe('vi');
    expect(langOfLocale('en-US')).toBe('en');
  });
});

describe('the Vietnamese catalogue', () => {
  const en = said('en');
  const vi = said('vi');

  it('is translated: every sentence differs from the English one and is written in Vietnamese', () => {
    for (const key of KEYS) {
      if (CODE.has(key)) continue;
      expect(vi[key]).toHaveLength(en[key].length);
      en[key].forEach((english, i) => {
        const viet = vi[key][i] ?? '';
        if (SYMBOLS_ONLY.has(key)) {
          // Only the parameters (already in Vietnamese) change.
          expect(viet, key).toMatch(/^• memo\.m4a: /);
          expect(looksVietnamese(viet), `${key}: ${viet}`).toBe(true);
          return;
        }
        expect(viet, `${key}[${i}]`).not.toBe(english);
        expect(looksVietnamese(viet), `${key}[${i}]: ${viet}`).toBe(true);
      });
    }
  });

  it('keeps the mrkdwn of every English sentence: code, links, emoji, bold parameters', () => {
    // The only bold words that are language, not names: the switch's state, and the Home tab's lead words.
    const boldInVietnamese: Record<string, string> = {
      '*on*': '*bật*',
      '*off*': '*tắt*',
      '*Automatically*': '*Tự động*',
      '*Help*': '*Trợ giúp*',
    };
    for (const key of KEYS) {
      if (CODE.has(key)) continue;
      en[key].forEach((english, i) => {
        const want = markup(english);
        const got = markup(vi[key][i] ?? '');
        const where = `${key}[${i}]`;
        expect(got.code, where).toEqual(want.code);
        expect(got.emoji, where).toEqual(want.emoji);
        expect(
          got.links.map((l) => l.target),
          where,
        ).toEqual(want.links.map((l) => l.target));
        got.links.forEach((l, j) => {
          // Same shape (labelled or not); a label is translated, never dropped.
          expect(l.label === undefined, where).toBe(want.links[j]?.label === undefined);
          if (l.label !== undefined) {
            expect(l.label.length, where).toBeGreaterThan(0);
            expect(l.label, where).not.toBe(want.links[j]?.label);
          }
        });
        expect(got.bold, where).toEqual(want.bold.map((b) => boldInVietnamese[b] ?? b).sort());
      });
    }
    // Emoji stay where they were: at the start of the line.
    for (const key of KEYS) {
      en[key].forEach((english, i) => {
        const lead = english.match(/^:[a-z_]+:/)?.[0];
        if (lead) expect(vi[key][i], key).toMatch(new RegExp(`^${lead} `));
      });
    }
  });

  it('links to the message and the channel as Slack expects', () => {
    expect(vi.thatMessage[0]).toBe(`<${LINK}|tin nhắn đó>`);
    expect(vi.started[0]).toContain(`<${LINK}|tin nhắn đó>`);
    expect(vi.botNotInChannel[0]).toContain(`<#${CHANNEL}>`);
  });

  it('keeps the help message as a list of the same commands', () => {
    const english = usage(messages('en')).split('\n');
    const viet = usage(messages('vi')).split('\n');
    expect(viet).toHaveLength(english.length);
    english.forEach((line, i) => {
      const bullet = line.startsWith('• ');
      expect(viet[i]?.startsWith('• '), viet[i]).toBe(bullet);
      if (bullet)
        expect(viet[i]?.match(/^• (`[^`]+`( \/ `[^`]+`)?):/)?.[1]).toBe(line.match(/^• (`[^`]+`( \/ `[^`]+`)?):/)?.[1]);
    });
  });

  it('formats numbers and units the Vietnamese way', () => {
    expect(minutes('vi', 3)).toBe('3 phút');
    expect(minutes('vi', 1)).toBe('1 phút');
    expect(minutes('en', 3)).toBe('3 minutes');
    // The limits in failure reasons use the same conventions.
    const t = messages('vi');
    expect(t.failure({ code: 'too_large', sizeMb: 1536, limitMb: 1024, provider: PROVIDER })).toContain(
      '1.536 MB, vượt quá giới hạn 1.024 MB',
    );
    expect(t.failure({ code: 'too_long', minutes: 95, limitMinutes: 60, provider: PROVIDER })).toContain(
      'dài 95 phút, vượt quá giới hạn 60 phút',
    );
    expect(t.timedOut({ file: FILE, provider: PROVIDER, waited: minutes('vi', 30) })).toContain('Sau 30 phút, OMICall');
  });
});

describe("the team's language", () => {
  let h: Harness;
  afterEach(async () => {
    await h.stop();
  });

  let seq = 0;
  async function ask(text: string, user: string): Promise<string> {
    const id = `lang-${++seq}`;
    const res = await postCommand(h.url, {
      text,
      user_id: user,
      channel_id: 'C0SALES01',
      response_url: `${h.slack.url}/respond/${id}`,
    });
    if (res.body) return (JSON.parse(res.body) as { text: string }).text;
    return (await waitFor(() => h.slack.responses.find((r) => r.path.endsWith(`/${id}`)))).body.text ?? '';
  }

  it('APP_LANGUAGE=vi gives Vietnamese thread replies, failures included', async () => {
    h = await Harness.start({ env: { APP_LANGUAGE: 'vi' } });
    const { channel, ts } = await h.share([
      h.slack.addFile({ name: 'memo.wav', mimetype: 'audio/wav', path: speech('wav') }),
    ]);
    const upload = await waitFor(() => h.omicall.uploads[0]);
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.startsWith('Đã gửi memo.wav tới OMICall'), 3000);
    await h.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xin chào' });
    await waitFor(
      () => h.slack.thread(channel, ts)[0]?.text.startsWith('Bản chép lời của memo.wav · 0:04\n[0:00] xin chào'),
      3000,
    );

    h.omicall.answers.push({ kind: 'fail', error: 'api_key_invalid' });
    const second = await h.share([h.slack.addFile({ name: 'b.wav', mimetype: 'audio/wav', path: speech('wav') })]);
    const failed = await waitFor(() =>
      h.slack.thread(second.channel, second.ts).find((m) => m.text.startsWith('Không thể chép lời')),
    );
    expect(failed.text).toBe('Không thể chép lời b.wav: OMICall đã từ chối tệp âm thanh (`api_key_invalid`).');
  });

  it("private answers follow each person's Slack locale: Vietnamese for vi-VN, English for en-US", async () => {
    h = await Harness.start();
    h.slack.userLocales.set('ULAN00001', 'vi-VN');
    h.slack.userLocales.set('UALICE01', 'en-US');
    expect(await ask('off', 'ULAN00001')).toMatch(/^Đã \*tắt\* chép lời tự động trong kênh này/);
    expect(await ask('on', 'UALICE01')).toMatch(/^Automatic transcription is now \*on\*/);
    expect(await ask('status', 'ULAN00001')).toMatch(/^Chép lời tự động đang \*bật\*|đang \*bật\*/);
    // The thread stays in the app's language (English by default) whoever asked.
    const users = h.slack.callsOf('users.info').map((c) => c.args);
    expect(users.every((a) => a.include_locale === true || a.include_locale === 'true')).toBe(true);
  });

  it('falls back to APP_LANGUAGE without users:read, and anyone can choose with /transcribe language', async () => {
    h = await Harness.start({ env: { APP_LANGUAGE: 'vi' } });
    h.slack.scopes = h.slack.scopes.filter((s) => s !== 'users:read');
    expect(await ask('help', 'UALICE01')).toMatch(/chuyển tin nhắn thoại thành văn bản/);
    expect(await ask('language en', 'UALICE01')).toMatch(/^From now on I answer you in English/);
    expect(await ask('help', 'UALICE01')).toMatch(/turns voice memos into text/);
    expect(await ask('language auto', 'UALICE01')).toMatch(/ngôn ngữ Slack của bạn/);
    expect(await ask('help', 'UBOB0001')).toMatch(/chuyển tin nhắn thoại thành văn bản/);
  });
});
