import type { AllMiddlewareArgs, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import { messages } from '../../i18n/index.ts';
import { slackError } from '../../slack/errors.ts';
import { readMessage, type SlackMessage } from '../../slack/messages.ts';
import { askFor, ephemeral } from '../answers.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * "Transcribe" in a message's More actions menu: that message's audio files, into its thread, also for older
 * memos and memos in threads. In a channel the app is not in, it says so instead of uploading anything (it
 * could not post the transcript there).
 */
export function transcribeMessage(deps: ListenerDeps) {
  return async ({
    shortcut,
    ack,
    respond,
    context,
  }: SlackShortcutMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const workspace = workspaceOf(context) ?? shortcut.team?.id;
    if (!workspace) return;
    const message = shortcut.message as SlackMessage;
    const channel = shortcut.channel.id;
    afterAck(deps.log, 'the Transcribe shortcut', async () => {
      const lang = await deps.languages.of(workspace, shortcut.user.id);
      const t = messages(lang);
      const slack = await deps.workspaces.slack(workspace);
      try {
        // Reading the message proves the app is in the channel: the transcript could not be posted otherwise.
        if (!slack) throw new Error('not_installed');
        await readMessage(slack.web, { channel, ts: message.ts, threadTs: message.thread_ts });
      } catch (err) {
        deps.log.info('shortcut in a channel the app cannot read', { channel, error: slackError(err) });
        await respond(ephemeral(t.botNotInChannel({ channel })));
        return;
      }
      const ref = { workspace, channel, ts: message.ts, threadTs: message.thread_ts, user: message.user };
      await respond(await askFor(deps.pipeline, ref, message.files ?? [], lang));
    });
  };
}
