import { LANGS, type Lang, type SettingProblemCode, type SettingTopic } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';
import { DAY_MS } from '../time.ts';

/** What a workspace's admins choose in the Home tab, one modal each (each worded in the catalogues). */
export type SettingName = SettingTopic;
export const SETTING_NAMES: readonly SettingName[] = ['auto', 'lang', 'retention', 'budget'];

export interface WorkspaceSettings {
  /**
   * Automatic transcription in channels that never chose with `/transcribe on|off`: `on`, or `off`, where only
   * channels that ran `/transcribe on` are transcribed automatically (opt-in), and any memo on demand.
   */
  auto: 'on' | 'off';
  /** The language of thread replies, which everyone in a channel reads. */
  lang: Lang;
  /** How many days transcripts' records are kept. */
  retentionDays: number;
  /** Minutes of audio the workspace may send to the provider in a calendar month (UTC); undefined: no budget. */
  budgetMinutes?: number;
}

/** One setting changed: its name and its new value (`budget` null: no budget). */
export type SettingChange =
  | { name: 'auto'; value: 'on' | 'off' }
  | { name: 'lang'; value: Lang }
  | { name: 'retention'; value: number }
  | { name: 'budget'; value: number | null };

/** Why a value typed in a settings modal is refused. */
export type SettingProblem = SettingProblemCode;

/** The operator's defaults (environment), which a workspace keeps until its admins choose otherwise. */
export interface SettingDefaults {
  lang: Lang;
  retentionDays: number;
}

/** A value an admin typed or picked, read as a setting (whole numbers only, within the limits). */
export function parseSetting(
  name: SettingName,
  raw: string | undefined,
): { ok: true; change: SettingChange } | { ok: false; problem: SettingProblem } {
  const text = (raw ?? '').trim();
  switch (name) {
    case 'auto':
      return text === 'on' || text === 'off'
        ? { ok: true, change: { name, value: text } }
        : { ok: false, problem: 'not_a_choice' };
    case 'lang': {
      const lang = LANGS.find((l) => l === text);
      return lang ? { ok: true, change: { name, value: lang } } : { ok: false, problem: 'not_a_choice' };
    }
    case 'retention': {
      const n = wholeNumber(text);
      if (n === undefined) return { ok: false, problem: 'not_a_number' };
      if (n < LIMITS.retentionDaysMin || n > LIMITS.retentionDaysMax) return { ok: false, problem: 'out_of_range' };
      return { ok: true, change: { name, value: n } };
    }
    case 'budget': {
      // Left empty, or 0: no budget.
      if (text === '') return { ok: true, change: { name, value: null } };
      const n = wholeNumber(text);
      if (n === undefined) return { ok: false, problem: 'not_a_number' };
      if (n === 0) return { ok: true, change: { name, value: null } };
      if (n > LIMITS.budgetMinutesMax) return { ok: false, problem: 'out_of_range' };
      return { ok: true, change: { name, value: n } };
    }
  }
}

function wholeNumber(text: string): number | undefined {
  if (!/^\d{1,9}$/.test(text)) return undefined;
  return Number(text);
}

/** A setting's stored fields. */
interface Stored {
  auto: 'on' | 'off';
  lang: string;
  retentionDays: number;
  budgetMinutes: number;
}

/**
 * Each workspace's settings, kept in the store while the app is installed (`ws:{W}:settings`), read through a
 * short cache: a change made on another instance shows there within `LIMITS.settingsCacheMs`, one made here at once.
 */
export class Settings {
  readonly #store: Store;
  readonly #defaults: SettingDefaults;
  readonly #cache = new Map<string, { settings: WorkspaceSettings; expires: number }>();

  constructor(store: Store, defaults: SettingDefaults) {
    this.#store = store;
    this.#defaults = defaults;
  }

  get defaults(): SettingDefaults {
    return this.#defaults;
  }

  async of(workspace: string): Promise<WorkspaceSettings> {
    const hit = this.#cache.get(workspace);
    if (hit && hit.expires > Date.now()) return hit.settings;
    const stored = (await this.#store.record<Stored>(workspaceKeys(workspace).settings())) ?? {};
    const settings: WorkspaceSettings = {
      auto: stored.auto === 'off' ? 'off' : 'on',
      lang: LANGS.find((l) => l === stored.lang) ?? this.#defaults.lang,
      retentionDays: validDays(stored.retentionDays) ?? this.#defaults.retentionDays,
      ...(validBudget(stored.budgetMinutes) !== undefined ? { budgetMinutes: stored.budgetMinutes } : {}),
    };
    if (this.#cache.size >= LIMITS.settingsCacheEntries) this.#cache.delete(this.#cache.keys().next().value ?? '');
    this.#cache.set(workspace, { settings, expires: Date.now() + LIMITS.settingsCacheMs });
    return settings;
  }

  async change(workspace: string, change: SettingChange): Promise<void> {
    const field: Partial<Record<keyof Stored, unknown>> =
      change.name === 'auto'
        ? { auto: change.value }
        : change.name === 'lang'
          ? { lang: change.value }
          : change.name === 'retention'
            ? { retentionDays: change.value }
            : { budgetMinutes: change.value };
    await this.#store.update(workspaceKeys(workspace).settings(), field);
    this.#cache.delete(workspace);
  }

  async retentionMs(workspace: string): Promise<number> {
    return (await this.of(workspace)).retentionDays * DAY_MS;
  }

  /** Forgets what this process read of a workspace (it was uninstalled). */
  forget(workspace: string): void {
    this.#cache.delete(workspace);
  }
}

function validDays(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n >= LIMITS.retentionDaysMin && n <= LIMITS.retentionDaysMax
    ? n
    : undefined;
}

function validBudget(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= LIMITS.budgetMinutesMax ? n : undefined;
}
