import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { messages } from '../../i18n/index.ts';
import { ACTIONS } from '../../slack/ids.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import { ephemeral } from '../answers.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * The .txt / .srt / .vtt buttons under a complete transcript (or in a private answer): the file is uploaded
 * into the memo's thread. Problems are told only to the person who pressed, in their language.
 */
export function exportTranscript(deps: ListenerDeps) {
  return async ({
    body,
    action,
    ack,
    respond,
    context,
  }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (action.type !== 'button' || body.type !== 'block_actions' || !('action_id' in action)) return;
    const workspace = workspaceOf(context) ?? body.team?.id;
    if (!workspace) return;
    const format = action.action_id.slice(ACTIONS.exportPrefix.length);
    const value = action.value ?? '';
    afterAck(deps.log, 'a transcript file', async () => {
      const t = messages(await deps.languages.of(workspace, body.user.id));
      const outcome = await deps.pipeline.exports.export(workspace, value, format);
      const say = (text: string) => respond({ ...ephemeral(text), replace_original: false });
      switch (outcome.status) {
        case 'uploaded':
          return;
        case 'nothing':
          await say(t.exportNothing);
          return;
        case 'missing-scope':
          await say(t.exportMissingScope({ scope: outcome.scope }));
          return;
        case 'failed':
          await say(t.exportFailed({ error: escapeMrkdwn(outcome.error) }));
          return;
      }
    });
  };
}
