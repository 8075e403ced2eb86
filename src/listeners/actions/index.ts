import type { App } from '@slack/bolt';
import { EXPORT_ACTION_PREFIX } from '../../pipeline/render.ts';
import type { ListenerDeps } from '../index.ts';
import { exportTranscript } from './export-transcript.ts';

export function registerActions(app: App, deps: ListenerDeps): void {
  app.action(new RegExp(`^${EXPORT_ACTION_PREFIX}`), exportTranscript(deps));
}
