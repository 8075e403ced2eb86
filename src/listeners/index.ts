import type { App, webApi } from '@slack/bolt';
import type { Lang } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { Pipeline } from '../pipeline/index.ts';
import type { UserLanguages } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import { registerActions } from './actions/index.ts';
import { registerCommands } from './commands/index.ts';
import { registerEvents } from './events/index.ts';
import { registerShortcuts } from './shortcuts/index.ts';

/** What every listener works with. */
export interface ListenerDeps {
  pipeline: Pipeline;
  store: Store;
  slack: webApi.WebClient;
  /** Each person's language, for answers only they see. */
  languages: UserLanguages;
  /** The app's language, for what everyone in a thread sees. */
  lang: Lang;
  /** The speech provider's name, as users read it. */
  provider: string;
  log: Logger;
}

/**
 * Inbound Slack, by surface: events (a memo is shared), commands (/transcribe), shortcuts (Transcribe on a
 * message), actions (buttons). Each folder's index.ts registers its listeners; to add one, add a file there.
 */
export function registerListeners(app: App, deps: ListenerDeps): void {
  registerEvents(app, deps);
  registerCommands(app, deps);
  registerShortcuts(app, deps);
  registerActions(app, deps);
}
