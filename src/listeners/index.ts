import type { App } from '@slack/bolt';
import type { HomeTab } from '../home/index.ts';
import type { Lang } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { Pipeline } from '../pipeline/index.ts';
import type { UserLanguages } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { Settings } from '../workspaces/settings.ts';
import { registerActions } from './actions/index.ts';
import { registerCommands } from './commands/index.ts';
import { registerEvents } from './events/index.ts';
import { registerShortcuts } from './shortcuts/index.ts';
import { registerViews } from './views/index.ts';

/** What every listener works with. */
export interface ListenerDeps {
  pipeline: Pipeline;
  workspaces: Workspaces;
  /** Each workspace's settings (its admins change them in the Home tab). */
  settings: Settings;
  /** Each person's Home tab. */
  home: HomeTab;
  store: Store;
  /** Each person's language, for answers only they see. */
  languages: UserLanguages;
  /** The app's language (APP_LANGUAGE), when nothing says whose language to use. */
  lang: Lang;
  /** The speech provider's name, as users read it. */
  provider: string;
  log: Logger;
}

/**
 * Inbound Slack, by surface: events (a memo is shared or deleted, the Home tab opened, the app uninstalled), commands
 * (/transcribe), shortcuts (Transcribe on a message), actions (buttons), views (modals submitted). Each folder's
 * index.ts registers its listeners; to add one, add a file there.
 *
 * Slack gets its answer when a listener returns (Bolt's `processBeforeResponse`, src/app.ts): an event's listener
 * returns once its work is durably stored; a listener that answers a person acknowledges first and leaves its
 * slower work to `afterAck`.
 */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerEvents(app, deps);
  registerCommands(app, deps);
  registerShortcuts(app, deps);
  registerActions(app, deps);
  registerViews(app, deps);
}
