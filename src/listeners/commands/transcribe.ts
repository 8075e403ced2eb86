import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../errors.ts';
import { messages } from '../../i18n/index.ts';
import type { Ephemeral } from '../answers.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';
import { SUBCOMMANDS, usage } from './subcommands.ts';

/**
 * `/transcribe`, dispatched through the table of subcommands (subcommands.ts). Every answer is seen only by the
 * person who asked, in their language. An answer that needs Slack first follows the acknowledgement through
 * `respond`.
 */
export function transcribeCommand(deps: ListenerDeps) {
  return async ({ command, ack, respond, context }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const workspace = workspaceOf(context) ?? command.team_id;
    const text = command.text.trim();
    const lang = await deps.languages.of(workspace, command.user_id);
    const t = messages(lang);
    const request = {
      deps,
      workspace,
      channel: command.channel_id,
      user: command.user_id,
      text,
      lang,
      t,
      usage: usage(t),
    };
    const subcommand = SUBCOMMANDS.find((s) => s.matches(text)) ?? SUBCOMMANDS[SUBCOMMANDS.length - 1];
    const answer = await subcommand.run(request);
    if ('now' in answer) {
      await ack(answer.now);
      return;
    }
    await ack();
    const progress = (note: Ephemeral) =>
      void respond(note).catch((err: unknown) => deps.log.warn('could not answer', { error: errorMessage(err) }));
    afterAck(deps.log, '/transcribe', async () => void (await respond(await answer.later(progress))));
  };
}
