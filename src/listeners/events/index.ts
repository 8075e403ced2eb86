import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../index.ts';
import { fileShared } from './file-share.ts';

export function registerEvents(app: App, deps: ListenerDeps): void {
  app.event('message', fileShared(deps));
}
