import type { App } from '@slack/bolt';
import type { Transcriber } from '../jobs/transcriber.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

export interface CommandDeps {
  transcriber: Transcriber;
  store: Store;
  log: Logger;
}

/** `/transcribe` and the "Transcribe" message shortcut. */
export function listenForCommands(_app: App, _deps: CommandDeps): void {}
