import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * Someone opened the app's Home tab (`app_home_opened`, tab `home`; the Messages tab sends it too, with tab
 * `messages`): their view is published (`views.publish`) after Slack's answer.
 */
export function homeOpened(deps: ListenerDeps) {
  return async ({ event, context }: SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs): Promise<void> => {
    if (event.tab !== 'home' || typeof event.user !== 'string') return;
    const workspace = workspaceOf(context);
    if (!workspace) return;
    const user = event.user;
    afterAck(deps.log, 'the Home tab', () => deps.home.opened(workspace, user));
  };
}
