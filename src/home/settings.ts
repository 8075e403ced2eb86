import type { types } from '@slack/bolt';
import { LANGS, type Lang, messages } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import { ACTIONS, SETTING_INPUT, VIEWS } from '../slack/ids.ts';
import { parseSetting, SETTING_NAMES, type SettingName, type WorkspaceSettings } from '../workspaces/settings.ts';
import { plain, section } from './text.ts';
import { settingValue } from './view.ts';

/** The value of one field of a submitted view, as Slack sends it in `view.state.values[block][action]`. */
export interface StateValue {
  type?: string;
  value?: string | null;
  selected_option?: { value?: string } | null;
}

export type StateValues = Record<string, Record<string, StateValue | undefined> | undefined>;

/** The setting a modal's `callback_id` names, when it is one of the settings modals. */
export function settingOfView(callbackId: string | undefined): SettingName | undefined {
  if (!callbackId?.startsWith(VIEWS.settingPrefix)) return undefined;
  const name = callbackId.slice(VIEWS.settingPrefix.length);
  return SETTING_NAMES.find((n) => n === name);
}

/** The setting a Home tab button's `action_id` names. */
export function settingOfAction(actionId: string | undefined): SettingName | undefined {
  if (!actionId?.startsWith(ACTIONS.settingPrefix)) return undefined;
  const name = actionId.slice(ACTIONS.settingPrefix.length);
  return SETTING_NAMES.find((n) => n === name);
}

/** The modal that changes one setting: its current value, one field, a hint. In the admin's language. */
export function settingModal(name: SettingName, current: WorkspaceSettings, lang: Lang): types.ModalView {
  const t = messages(lang);
  const input: types.InputBlock = {
    type: 'input',
    block_id: SETTING_INPUT.block,
    label: plain(t.settingLabel[name], 2000),
    hint: plain(t.settingHint[name], 2000),
    element: field(name, current, lang),
    ...(name === 'budget' ? { optional: true } : {}),
  };
  return {
    type: 'modal',
    callback_id: `${VIEWS.settingPrefix}${name}`,
    title: plain(t.settingsTitle, LIMITS.modalTitleChars),
    submit: plain(t.settingsSave, LIMITS.modalTitleChars),
    close: plain(t.settingsCancel, LIMITS.modalTitleChars),
    blocks: [section(settingValue(name, current, t)), input],
  };
}

function field(name: SettingName, current: WorkspaceSettings, lang: Lang): types.InputBlock['element'] {
  const t = messages(lang);
  const option = (value: string, text: string): types.PlainTextOption => ({
    text: plain(text.replace(/[*`]/g, ''), LIMITS.optionChars),
    value,
  });
  switch (name) {
    case 'auto': {
      const options = [option('on', t.settingAutoChoice(true)), option('off', t.settingAutoChoice(false))];
      return {
        type: 'radio_buttons',
        action_id: SETTING_INPUT.action,
        options,
        initial_option: current.auto === 'on' ? options[0] : options[1],
      };
    }
    case 'lang': {
      const options = LANGS.map((l) => option(l, t.langName[l]));
      return {
        type: 'static_select',
        action_id: SETTING_INPUT.action,
        options,
        initial_option: options[LANGS.indexOf(current.lang)],
      };
    }
    case 'retention':
      return {
        type: 'number_input',
        action_id: SETTING_INPUT.action,
        is_decimal_allowed: false,
        min_value: String(LIMITS.retentionDaysMin),
        max_value: String(LIMITS.retentionDaysMax),
        initial_value: String(current.retentionDays),
      };
    case 'budget':
      return {
        type: 'number_input',
        action_id: SETTING_INPUT.action,
        is_decimal_allowed: false,
        min_value: '0',
        max_value: String(LIMITS.budgetMinutesMax),
        ...(current.budgetMinutes !== undefined ? { initial_value: String(current.budgetMinutes) } : {}),
      };
  }
}

/** What an admin submitted for a setting: read from the modal's one field, checked. */
export function readSubmission(name: SettingName, values: StateValues | undefined) {
  const submitted = values?.[SETTING_INPUT.block]?.[SETTING_INPUT.action];
  const raw = submitted?.selected_option?.value ?? submitted?.value ?? undefined;
  return parseSetting(name, typeof raw === 'string' ? raw.slice(0, 64) : undefined);
}
