/**
 * The ids Slack sends back for the app's own buttons, modals and shortcuts: every `action_id`, `callback_id` and
 * `block_id` a listener matches is named here, once, so that the views that carry them and the listeners that answer
 * them cannot drift apart.
 */
export const ACTIONS = {
  /** A transcript's download buttons: `export_transcript:<format id>`. */
  exportPrefix: 'export_transcript:',
  /** The Home tab's button that opens the OMICall key modal (distribution mode). */
  setOmicallKey: 'home_set_omicall_key',
  /** The Home tab's buttons that open a settings modal: `home_setting:<setting>`. */
  settingPrefix: 'home_setting:',
} as const;

export const VIEWS = {
  /** The modal where an admin pastes the workspace's OMICall key. */
  omicallKey: 'omicall_key_modal',
  /** A settings modal: `setting_modal:<setting>`. */
  settingPrefix: 'setting_modal:',
} as const;

/** The one field of a settings modal: `view.state.values[block][action]`. */
export const SETTING_INPUT = {
  block: 'setting_value',
  action: 'setting_value',
} as const;

/** The one field of the provider key modal: `view.state.values[block][action]`. */
export const KEY_INPUT = {
  block: 'omicall_key',
  action: 'omicall_key',
} as const;

export const SHORTCUTS = {
  /** The "Transcribe" message shortcut in manifest.yml. */
  transcribe: 'transcribe_message',
} as const;
