import type { App } from '@slack/bolt';
import { SHORTCUTS } from '../../slack/ids.ts';
import type { ListenerDeps } from '../index.ts';
import { transcribeMessage } from './transcribe-message.ts';

export function registerShortcuts(app: App, deps: ListenerDeps): void {
  app.shortcut(SHORTCUTS.transcribe, transcribeMessage(deps));
}
