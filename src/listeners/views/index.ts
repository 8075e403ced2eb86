import type { App } from '@slack/bolt';
import { VIEWS } from '../../slack/ids.ts';
import type { ListenerDeps } from '../index.ts';
import { keySubmitted } from './omicall-key.ts';

export function registerViews(app: App, deps: ListenerDeps): void {
  app.view(VIEWS.omicallKey, keySubmitted(deps));
}
