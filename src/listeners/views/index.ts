import type { App } from '@slack/bolt';
import { VIEWS } from '../../slack/ids.ts';
import type { ListenerDeps } from '../index.ts';
import { keySubmitted } from './omicall-key.ts';
import { settingSubmitted } from './setting-submitted.ts';

export function registerViews(app: App, deps: ListenerDeps): void {
  app.view(new RegExp(`^${VIEWS.settingPrefix}`), settingSubmitted(deps));
  app.view(VIEWS.omicallKey, keySubmitted(deps));
}
