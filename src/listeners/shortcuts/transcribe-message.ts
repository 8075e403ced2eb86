import type { AllMiddlewareArgs, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import { messages } from '../../i18n/index.ts';
import { slackError } from '../../slack/errors.ts';
import { appIsMember, type SlackMessage } from '../../slack/messages.ts';
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
      // The transcript could not be posted in a channel the app is not in. The shortcut brings the whole message, so
      // nothing is read from the channel's history (which Slack may allow the app once a minute).
      const member = slack
        ? await appIsMember(slack.web, channel).catch((err: unknown) => slackError(err))
        : 'not_installed';
      if (member !== true) {
        deps.log.info('shortcut in a channel the app cannot read', { channel, error: member || 'not_in_channel' });
        await respond(ephemeral(t.botNotInChannel({ channel })));
        return;
      }
      const ref = { workspace, channel, ts: message.ts, threadTs: message.thread_ts, user: message.user };
      await respond(await askFor(deps.pipeline, ref, message.files ?? [], lang));
    });
  };
}
