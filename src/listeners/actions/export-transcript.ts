import type { AllMiddlewareArgs, SlackActionMiddlewareArgs } from '@slack/bolt';
import { messages } from '../../i18n/index.ts';
import { EXPORT_ACTION_PREFIX } from '../../pipeline/render.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import { ephemeral } from '../answers.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * The .txt / .srt / .vtt buttons under a complete transcript (or in a private answer): the file is uploaded
 * into the memo's thread. Problems are told only to the person who pressed, in their language.
 */
export function exportTranscript(deps: ListenerDeps) {
  return async ({ body, action, ack, respond }: SlackActionMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (action.type !== 'button' || body.type !== 'block_actions' || !('action_id' in action)) return;
    const lang = await deps.languages.of(body.user.id);
    const t = messages(lang);
    const format = action.action_id.slice(EXPORT_ACTION_PREFIX.length);
    const outcome = await deps.pipeline.exports.export(action.value ?? '', format);
    switch (outcome.status) {
      case 'uploaded':
        return;
      case 'nothing':
        await respond({ ...ephemeral(t.exportNothing), replace_original: false });
        return;
      case 'missing-scope':
        await respond({ ...ephemeral(t.exportMissingScope({ scope: outcome.scope })), replace_original: false });
        return;
      case 'failed':
        await respond({
          ...ephemeral(t.exportFailed({ error: escapeMrkdwn(outcome.error) })),
          replace_original: false,
        });
        return;
    }
  };
}
