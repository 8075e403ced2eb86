import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../index.ts';
import { fileShared } from './file-share.ts';
import { appUninstalled, tokensRevoked } from './uninstalled.ts';

export function registerEvents(app: App, deps: ListenerDeps): void {
  app.event('message', fileShared(deps));
  app.event('app_uninstalled', appUninstalled(deps));
  app.event('tokens_revoked', tokensRevoked(deps));
}
