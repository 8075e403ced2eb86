import type { AllMiddlewareArgs, SlackViewMiddlewareArgs } from '@slack/bolt';
import { readSubmission, type StateValues, settingOfView } from '../../home/index.ts';
import { messages } from '../../i18n/index.ts';
import { LIMITS } from '../../limits.ts';
import { SETTING_INPUT } from '../../slack/ids.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * A settings modal submitted (`view_submission`, `setting_modal:<setting>`): from a workspace admin, with a valid
 * value, the setting changes and the modal closes; anything else is refused in the modal itself (`response_action:
 * "errors"`), in the submitter's language, and changes nothing. Whether the submitter is an admin is asked of Slack
 * again here: the modal proves nothing.
 */
export function settingSubmitted(deps: ListenerDeps) {
  return async ({ body, view, ack, context }: SlackViewMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const name = settingOfView(view.callback_id);
    if (body.type !== 'view_submission' || !name) {
      await ack();
      return;
    }
    const workspace = workspaceOf(context) ?? body.team?.id;
    const user = body.user.id;
    const t = messages(workspace ? await deps.languages.of(workspace, user) : deps.lang);
    const refuse = (text: string) => ack({ response_action: 'errors', errors: { [SETTING_INPUT.block]: text } });
    if (!workspace || !(await deps.workspaces.isAdmin(workspace, user))) {
      deps.log.warn('settings change refused: not an admin', { user, setting: name });
      await refuse(t.settingsAdminsOnly);
      return;
    }
    const read = readSubmission(name, view.state.values as StateValues);
    if (!read.ok) {
      const max = name === 'budget' ? LIMITS.budgetMinutesMax : LIMITS.retentionDaysMax;
      await refuse(t.settingProblem({ problem: read.problem, setting: name, min: LIMITS.retentionDaysMin, max }));
      return;
    }
    await deps.settings.change(workspace, read.change);
    await ack();
    deps.log.info('setting changed', { setting: name, value: read.change.value, user });
    deps.home.changed({ workspace, user });
    // A shorter retention applies to what is stored already, at once.
    if (read.change.name === 'retention')
      afterAck(deps.log, 'the new retention', () => deps.pipeline.retention.sweepWorkspace(workspace));
  };
}
