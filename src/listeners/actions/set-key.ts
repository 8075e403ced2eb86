import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { slackError } from '../../slack/errors.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';
import { keyModal, notAdminModal } from '../views/omicall-key.ts';

/**
 * The Home tab's button that sets the workspace's provider key (`ACTIONS.setOmicallKey`, shown to admins): the key
 * modal opens (`views.open`, within the 3 s its trigger lasts). Someone who is not an admin (the button can be sent
 * by anyone who crafts it) gets a modal that says an admin must set it.
 */
export function openKeyModal(deps: ListenerDeps) {
  return async ({ body, ack, context }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (body.type !== 'block_actions') return;
    const workspace = workspaceOf(context) ?? body.team?.id;
    if (!workspace) return;
    const user = body.user.id;
    const trigger = body.trigger_id;
    afterAck(deps.log, 'the key modal', async () => {
      const [admin, lang, state, slack] = await Promise.all([
        deps.workspaces.isAdmin(workspace, user),
        deps.languages.of(workspace, user),
        deps.workspaces.keyState(workspace),
        deps.workspaces.slack(workspace),
      ]);
      const view = admin ? keyModal(state, lang, deps.provider) : notAdminModal(lang, deps.provider);
      if (!admin) deps.log.info('key modal: not an admin', { workspace });
      try {
        await slack?.web.views.open({ trigger_id: trigger, view });
      } catch (err) {
        deps.log.warn('could not open the key modal', { error: slackError(err) });
      }
    });
  };
}
