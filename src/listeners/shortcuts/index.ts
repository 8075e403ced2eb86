import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../index.ts';
import { SHORTCUT_CALLBACK_ID, transcribeMessage } from './transcribe-message.ts';

export function registerShortcuts(app: App, deps: ListenerDeps): void {
  app.shortcut(SHORTCUT_CALLBACK_ID, transcribeMessage(deps));
}
