import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../index.ts';
import { transcribeCommand } from './transcribe.ts';

export function registerCommands(app: App, deps: ListenerDeps): void {
  app.command('/transcribe', transcribeCommand(deps));
}
