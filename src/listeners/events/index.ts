import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../index.ts';
import { fileDeleted } from './file-deleted.ts';
import { fileShared } from './file-share.ts';
import { homeOpened } from './home-opened.ts';
import { memoDeleted } from './memo-deleted.ts';
import { appUninstalled, tokensRevoked } from './uninstalled.ts';

export function registerEvents(app: App, deps: ListenerDeps): void {
  app.event('message', fileShared(deps));
  app.event('message', memoDeleted(deps));
  app.event('file_deleted', fileDeleted(deps));
  app.event('app_home_opened', homeOpened(deps));
  app.event('app_uninstalled', appUninstalled(deps));
  app.event('tokens_revoked', tokensRevoked(deps));
}
