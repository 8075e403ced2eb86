/**
 * The app's Home tab: each person's own recent memos in their language, how to use the app, and for workspace admins
 * the settings (changed in a modal, refused to anyone else), this month's usage and the OMICall key's state; within
 * Slack's limits, and published again after a change at most once a gap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { homeView } from '../src/home/index.ts';
import { Jobs } from '../src/records/job.ts';
import { PersonJobs } from '../src/records/people.ts';
import { Usage } from '../src/records/usage.ts';
import { ACTIONS, SETTING_INPUT, VIEWS } from '../src/slack/ids.ts';
import { DAY_MS } from '../src/time.ts';
import { choiceValue, numberValue } from './fixtures/slack-payloads.ts';
import { transcribe } from './helpers/commands.ts';
import { Harness, type HarnessOptions, WORKSPACE, waitFor } from './helpers/harness.ts';
import { openedModal, openHome, pressHomeButton, submitModal, viewButtons, viewText } from './helpers/home.ts';
import { signedTrackingId, uploadedMemo } from './helpers/memos.ts';

const ALICE = 'UALICE01';
const ADMIN = 'UADMIN01';
const CHANNEL = 'C0SALES01';

const harnesses: Harness[] = [];
async function start(options: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.start(options);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

/** A memo Alice shared and OMICall transcribed to the end. */
async function transcribedMemo(h: Harness, name = 'họp-sáng.wav') {
  const memo = await uploadedMemo(h, { name });
  await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 2, text: 'Xin chào' });
  await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('Xin chào'), 5000, 'the transcript');
  return memo;
}

describe('the Home tab, for everyone', () => {
  it('opened, shows the viewer their own memos with where each stands and a link to its thread, how to use the app and where to get help; no settings', async () => {
    const h = await start();
    const memo = await transcribedMemo(h);
    const view = await openHome(h, ALICE);
    const text = viewText(view);
    expect(view.type).toBe('home');
    expect(text).toContain('Your recent memos');
    expect(text).toContain(`*họp-sáng.wav* in <#${memo.channel}>`);
    expect(text).toContain('receiving the transcript');
    expect(text).toContain(`<${h.slack.url}/archives/${memo.channel}/p${memo.ts.replace('.', '')}|Open the thread>`);
    expect(text).toMatch(/<!date\^\d+\^\{date_short_pretty\} \{time\}\|/);
    expect(text).toContain('How to use it');
    expect(text).toContain('`/transcribe help`');
    expect(text).toContain('*Transcribe* shortcut');
    // Alice is no admin: no settings, no usage, no buttons.
    expect(text).not.toContain('Settings');
    expect(text).not.toContain("This month's usage");
    expect(viewButtons(view)).toEqual([]);
    expect(h.slack.callsOf('views.publish')[0]?.args.user_id).toBe(ALICE);

    // Bob shared nothing: his tab says so, and shows nothing of Alice's.
    const bob = viewText(await openHome(h, 'UBOB0001'));
    expect(bob).toContain('None yet.');
    expect(bob).not.toContain('họp-sáng.wav');
  });

  it('is in the viewer’s language', async () => {
    const h = await start();
    h.slack.userLocales.set(ALICE, 'vi-VN');
    await transcribedMemo(h, 'ghi-âm.wav');
    const text = viewText(await openHome(h, ALICE));
    expect(text).toContain('Tin nhắn thoại gần đây của bạn');
    expect(text).toContain('*ghi-âm.wav* trong <#');
    expect(text).toContain('đang nhận bản chép lời');
    expect(text).toContain('Mở chuỗi tin nhắn');
    expect(text).toContain('Cách sử dụng');
  });

  it('is not published when the Messages tab is opened', async () => {
    const h = await start();
    await openHome(h, ALICE);
    const { postSigned } = await import('./helpers/slack-requests.ts');
    const { appHomeOpenedEvent, eventCallback } = await import('./fixtures/slack-payloads.ts');
    const res = await postSigned(
      h.url,
      JSON.stringify(eventCallback(appHomeOpenedEvent({ user: ALICE, tab: 'messages' }))),
      'application/json',
    );
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(h.slack.published.filter((p) => p.user === ALICE)).toHaveLength(1);
  });

  it('lists the last 20 memos, one per memo, newest first, within Slack’s limits however long their names', async () => {
    const h = await start();
    const jobs = new Jobs(h.app.store, async () => DAY_MS);
    const people = new PersonJobs(h.app.store, 40);
    const long = `${'rất-dài-'.repeat(60)}.wav`;
    for (let i = 0; i < 25; i++) {
      const ref = {
        workspace: WORKSPACE,
        channel: CHANNEL,
        ts: h.slack.nextTs(),
        fileId: `F0LIST${String(i).padStart(3, '0')}`,
      };
      const trackingId = signedTrackingId(ref);
      const since = Date.now() - (25 - i) * 60_000;
      await jobs.claim(ref, trackingId);
      await jobs.create({
        ...ref,
        trackingId,
        fileName: i === 24 ? long : `memo-${i}.wav`,
        state: i % 2 ? 'complete' : 'failed',
        createdAt: since,
        user: ALICE,
        run: 1,
        unsure: false,
        lookUp: false,
        file: { id: ref.fileId, name: `memo-${i}.wav` },
      });
      await people.list(
        WORKSPACE,
        ALICE,
        { trackingId, channel: CHANNEL, ts: ref.ts, fileId: ref.fileId, fileName: 'x', since },
        DAY_MS,
      );
    }
    h.slack.admins.add(ALICE);
    const view = await openHome(h, ALICE);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const memoLines = viewText(view)
      .split('\n')
      .filter((l) => / in <#C0SALES01>/.test(l));
    expect(memoLines).toHaveLength(20);
    expect(memoLines[0]).toMatch(/^\*rất-dài-/);
    expect(memoLines[0].length).toBeLessThan(400);
    expect(memoLines[1]).toContain('*memo-23.wav*');
    expect(memoLines[19]).toContain('*memo-5.wav*');
    expect(viewText(view)).not.toContain('*memo-4.wav*');
    // The stand-in refuses views over Slack's limits: every publish was accepted.
    expect(h.slack.errors.filter((e) => e.method === 'views.publish')).toEqual([]);
  });

  it('is published again when one of the viewer’s memos changes, at most once a gap however many changes come', async () => {
    const h = await start({ timings: { homeGapMs: 1500 } });
    await openHome(h, ALICE);
    const memo = await uploadedMemo(h, { name: 'thay-đổi.wav' });
    const shown = await waitFor(
      () => h.slack.published.filter((p) => p.user === ALICE && viewText(p.view).includes('thay-đổi.wav')).at(-1),
      5000,
      'the memo in the Home tab',
    );
    for (let i = 0; i < 5; i++)
      await h.callBack({ tracking_id: memo.trackingId, from: i, to: i + 1, text: `đoạn ${i}` });
    await waitFor(
      () => h.slack.published.some((p) => p.user === ALICE && viewText(p.view).includes('receiving the transcript')),
      5000,
      'the new state in the Home tab',
    );
    const mine = h.slack.published.filter((p) => p.user === ALICE);
    for (let i = 1; i < mine.length; i++) expect(mine[i].at - mine[i - 1].at).toBeGreaterThanOrEqual(1400);
    expect(mine.length).toBeLessThanOrEqual(4);
    expect(shown).toBeDefined();
    // Someone who never opened the tab gets no view for their memos' changes.
    expect(h.slack.published.filter((p) => p.user !== ALICE)).toEqual([]);
  });
});

describe('the Home tab, for admins', () => {
  it('shows the settings with their values, this month’s usage with the busiest channels, and the key’s state', async () => {
    const h = await start();
    h.slack.admins.add(ADMIN);
    const usage = new Usage(h.app.store, DAY_MS);
    const month = new Date().toISOString().slice(0, 7);
    await usage.add(WORKSPACE, month, 'C0BUSY0001', { seconds: 600, memos: 4 });
    for (let i = 0; i < 11; i++)
      await usage.add(WORKSPACE, month, `C0QUIET${String(i).padStart(3, '0')}`, { seconds: 30, memos: 1 });
    const view = await openHome(h, ADMIN);
    const text = viewText(view);
    expect(text).toContain('*Automatic transcription*\nOn in every channel that did not choose');
    expect(text).toContain('*Thread language*\nEnglish');
    expect(text).toContain('*Transcripts kept*\n14 days, then deleted');
    expect(text).toContain('*Monthly budget*\nNone: no limit');
    expect(text).toMatch(/This month's usage \([A-Z][a-z]+ \d{4}, UTC\)/);
    expect(text).toContain('15.5 minutes of audio, 15 memos');
    expect(text).toContain('• <#C0BUSY0001>: 10 minutes, 4 memos');
    // Ten busiest channels, no more.
    expect(text.split('\n').filter((l) => l.startsWith('• <#C0'))).toHaveLength(10);
    expect(text).toContain('*OMICall key*\nSet by whoever runs the app (`OMICALL_API_KEY`).');
    expect(viewButtons(view)).toEqual(
      ['auto', 'lang', 'retention', 'budget'].map((s) => `${ACTIONS.settingPrefix}${s}`),
    );
    // Single-workspace mode: the key is the operator's; no button to set one.
    expect(viewButtons(view)).not.toContain(ACTIONS.setOmicallKey);
  });

  it('an admin changes each setting in its modal; the values show at once in the tab, in /transcribe status and in threads', async () => {
    const h = await start();
    h.slack.admins.add(ADMIN);
    await openHome(h, ADMIN);

    const change = async (setting: string, values: Record<string, unknown>) => {
      const before = h.slack.modals.length;
      expect((await pressHomeButton(h, ADMIN, `${ACTIONS.settingPrefix}${setting}`)).status).toBe(200);
      const modal = await openedModal(h, `${VIEWS.settingPrefix}${setting}`, before);
      expect([...String((modal.title as { text: string }).text)].length).toBeLessThanOrEqual(24);
      const res = await submitModal(h, ADMIN, modal, { [SETTING_INPUT.block]: { [SETTING_INPUT.action]: values } });
      expect(res).toEqual({ status: 200, body: {} });
      return modal;
    };

    const auto = await change('auto', choiceValue('radio_buttons', 'off'));
    expect(viewText(auto)).toContain('On in every channel that did not choose');
    await change('lang', choiceValue('static_select', 'vi', 'Tiếng Việt'));
    const retention = await change('retention', numberValue('30'));
    expect(JSON.stringify(retention.blocks)).toContain('"initial_value":"14"');
    await change('budget', numberValue('300'));

    const tab = await waitFor(
      () => {
        const view = h.slack.homeViews.get(ADMIN);
        return viewText(view).includes('300 minutes of audio a calendar month') ? view : undefined;
      },
      5000,
      'the new values in the tab',
    );
    const text = viewText(tab);
    expect(text).toContain('Off: only in channels that ran `/transcribe on`');
    expect(text).toContain('*Thread language*\nTiếng Việt');
    expect(text).toContain('30 days, then deleted');
    expect(await h.app.pipeline.autoRule(WORKSPACE, CHANNEL)).toEqual({ on: false, by: 'workspace' });
    expect(await transcribe(h, 'status')).toMatch(/only in channels that ran `\/transcribe on`/);
    expect(await h.app.store.record(`ws:${WORKSPACE}:settings`)).toEqual({
      auto: 'off',
      lang: 'vi',
      retentionDays: 30,
      budgetMinutes: 300,
    });

    // The thread language: a memo asked for now is answered in Vietnamese.
    await transcribe(h, 'on');
    const memo = await uploadedMemo(h, { name: 'tiếng-việt.wav' });
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0]?.text.includes('Đã gửi'), 5000, 'a Vietnamese reply');

    // An empty budget is no budget.
    await change('budget', { type: 'number_input', value: null });
    expect(
      (await h.app.store.record<Record<string, unknown>>(`ws:${WORKSPACE}:settings`))?.budgetMinutes,
    ).toBeUndefined();
  });

  it('refuses a value out of range in the modal itself, and changes nothing', async () => {
    const h = await start();
    h.slack.admins.add(ADMIN);
    await openHome(h, ADMIN);
    await pressHomeButton(h, ADMIN, `${ACTIONS.settingPrefix}retention`);
    const modal = await openedModal(h, `${VIEWS.settingPrefix}retention`);
    for (const bad of ['0', '366', '7.5', '-3', 'abc', '1'.repeat(40)]) {
      const res = await submitModal(h, ADMIN, modal, {
        [SETTING_INPUT.block]: { [SETTING_INPUT.action]: numberValue(bad) },
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        response_action: 'errors',
        errors: { [SETTING_INPUT.block]: 'Type a whole number of days from 1 to 365.' },
      });
    }
    const res = await submitModal(h, ADMIN, modal, {
      [SETTING_INPUT.block]: { [SETTING_INPUT.action]: choiceValue('static_select', 'xx') },
    });
    expect(res.body.response_action).toBe('errors');
    expect(await h.app.store.record(`ws:${WORKSPACE}:settings`)).toBeUndefined();
  });

  it('refuses a settings submission, and opens no modal, for someone who is not an admin', async () => {
    const h = await start();
    h.slack.admins.add(ADMIN);
    h.slack.userLocales.set(ALICE, 'vi-VN');
    await openHome(h, ADMIN);
    await pressHomeButton(h, ADMIN, `${ACTIONS.settingPrefix}budget`);
    const modal = await openedModal(h, `${VIEWS.settingPrefix}budget`);
    // Alice submits a modal she should never have had (a replayed or forged payload).
    const res = await submitModal(h, ALICE, modal, {
      [SETTING_INPUT.block]: { [SETTING_INPUT.action]: numberValue('1') },
    });
    expect(res).toEqual({
      status: 200,
      body: {
        response_action: 'errors',
        errors: {
          [SETTING_INPUT.block]: 'Chỉ quản trị viên không gian làm việc mới thay đổi được cài đặt của ứng dụng.',
        },
      },
    });
    expect(await h.app.store.record(`ws:${WORKSPACE}:settings`)).toBeUndefined();
    expect(h.logged('settings change refused: not an admin')).toHaveLength(1);

    // Her own tab has no buttons; a press forged from the admin's tab opens nothing.
    expect(viewButtons(await openHome(h, ALICE))).toEqual([]);
    h.slack.homeViews.set(ALICE, h.slack.homeViews.get(ADMIN) ?? { type: 'home', blocks: [] });
    const modals = h.slack.modals.length;
    expect((await pressHomeButton(h, ALICE, `${ACTIONS.settingPrefix}auto`)).status).toBe(200);
    await waitFor(() => h.logged('settings modal refused: not an admin').length === 1, 3000, 'the refusal');
    expect(h.slack.modals).toHaveLength(modals);

    // An owner is an admin too.
    h.slack.owners.add('UOWNER01');
    const owner = await submitModal(h, 'UOWNER01', modal, {
      [SETTING_INPUT.block]: { [SETTING_INPUT.action]: numberValue('120') },
    });
    expect(owner).toEqual({ status: 200, body: {} });
    expect(await h.app.store.record(`ws:${WORKSPACE}:settings`)).toEqual({ budgetMinutes: 120 });
  });
});

describe('the view itself', () => {
  const settings = { auto: 'on', lang: 'en', retentionDays: 14 } as const;
  const usage = { month: '2026-06', seconds: 0, memos: 0, channels: [] };

  it('in distribution mode, gives the admins the button that sets the workspace’s OMICall key, and words each key state', () => {
    const own = homeView({
      lang: 'en',
      provider: 'OMICall',
      memos: [],
      admin: { settings, usage, key: { kind: 'own', last4: 'x9Z2', setAt: Date.UTC(2026, 5, 1) }, keyButton: true },
    });
    expect(viewButtons(own as never)).toContain(ACTIONS.setOmicallKey);
    expect(viewText(own as never)).toContain('ending in `x9Z2`, set <!date^1780272000^');
    expect(viewText(own as never)).toContain('Change the key');
    const none = homeView({
      lang: 'vi',
      provider: 'OMICall',
      memos: [],
      admin: { settings, usage, key: { kind: 'none' }, keyButton: true },
    });
    expect(viewText(none as never)).toContain(':warning: Chưa có');
    expect(viewText(none as never)).toContain('Thiết lập khóa');
    expect(viewText(none as never)).toContain('Tháng này chưa có gì được gửi tới OMICall.');
  });

  it('never passes Slack’s 100 blocks or its text lengths, whatever it is given', () => {
    const memos = Array.from({ length: 500 }, (_, i) => ({
      fileName: `*${'x'.repeat(5000)}*${i}`,
      channel: 'not a channel <!everyone>',
      since: Date.now(),
      state: 'queued' as const,
    }));
    const channels = Array.from({ length: 300 }, (_, i) => ({ channel: `C${i}`, seconds: 60, memos: 1 }));
    const view = homeView({
      lang: 'en',
      provider: 'OMICall',
      memos,
      admin: {
        settings,
        usage: { ...usage, seconds: 18_000, memos: 300, channels },
        key: { kind: 'default' },
        keyButton: true,
      },
    });
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    for (const block of view.blocks as { type: string; text?: { text: string } }[]) {
      const text = block.text?.text ?? '';
      if (block.type === 'section') expect(text.length).toBeLessThanOrEqual(3000);
      if (block.type === 'header') expect(text.length).toBeLessThanOrEqual(150);
    }
    const text = viewText(view as never);
    expect(text).not.toContain('<!everyone>');
    expect(text.split('\n').filter((l) => l.startsWith('• <#C'))).toHaveLength(10);
  });
});
