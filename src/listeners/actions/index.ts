import type { App } from '@slack/bolt';
import { ACTIONS } from '../../slack/ids.ts';
import type { ListenerDeps } from '../index.ts';
import { exportTranscript } from './export-transcript.ts';
import { openSetting } from './open-setting.ts';
import { openKeyModal } from './set-key.ts';

export function registerActions(app: App, deps: ListenerDeps): void {
  app.action(new RegExp(`^${ACTIONS.exportPrefix}`), exportTranscript(deps));
  app.action(new RegExp(`^${ACTIONS.settingPrefix}`), openSetting(deps));
  app.action(ACTIONS.setOmicallKey, openKeyModal(deps));
}
