import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { settingModal, settingOfAction } from '../../home/index.ts';
import { slackError } from '../../slack/errors.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * A setting's button in the Home tab (`home_setting:<setting>`): its modal opens (`views.open`, within the 3 s the
 * trigger lasts), for the workspace's admins only; anyone else's press (the button is not shown to them) opens nothing.
 */
export function openSetting(deps: ListenerDeps) {
  return async ({ body, action, ack, context }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (body.type !== 'block_actions' || action.type !== 'button' || !('action_id' in action)) return;
    const name = settingOfAction(action.action_id);
    const workspace = workspaceOf(context) ?? body.team?.id;
    if (!name || !workspace) return;
    const user = body.user.id;
    const trigger = body.trigger_id;
    afterAck(deps.log, 'a settings modal', async () => {
      if (!(await deps.workspaces.isAdmin(workspace, user))) {
        deps.log.warn('settings modal refused: not an admin', { user, setting: name });
        return;
      }
      const [lang, current, slack] = await Promise.all([
        deps.languages.of(workspace, user),
        deps.settings.of(workspace),
        deps.workspaces.slack(workspace),
      ]);
      try {
        await slack?.web.views.open({ trigger_id: trigger, view: settingModal(name, current, lang) });
      } catch (err) {
        deps.log.warn('could not open a settings modal', { error: slackError(err) });
      }
    });
  };
}
