import type { AllMiddlewareArgs, SlackShortcutMiddlewareArgs } from '@slack/bolt';
import { messages } from '../../i18n/index.ts';
import { slackError } from '../../slack/errors.ts';
import type { SlackFile } from '../../slack/files.ts';
import { askFor, ephemeral } from '../answers.ts';
import type { ListenerDeps } from '../index.ts';

/** The callback_id of the "Transcribe" message shortcut in manifest.yml. */
export const SHORTCUT_CALLBACK_ID = 'transcribe_message';

interface ShortcutMessage {
  ts: string;
  thread_ts?: string;
  files?: SlackFile[];
}

/**
 * "Transcribe" in a message's More actions menu: that message's audio files, into its thread, also for older
 * memos and memos in threads. In a channel the app is not in, it says so instead of uploading anything (it
 * could not post the transcript there).
 */
export function transcribeMessage(deps: ListenerDeps) {
  return async ({ shortcut, ack, respond }: SlackShortcutMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const lang = await deps.languages.of(shortcut.user.id);
    const t = messages(lang);
    const message = shortcut.message as ShortcutMessage;
    const channel = shortcut.channel.id;
    try {
      // Reading the message proves the app is in the channel: the transcript could not be posted otherwise.
      if (message.thread_ts && message.thread_ts !== message.ts) {
        await deps.slack.conversations.replies({
          channel,
          ts: message.thread_ts,
          latest: message.ts,
          inclusive: true,
          limit: 1,
        });
      } else {
        await deps.slack.conversations.history({ channel, latest: message.ts, inclusive: true, limit: 1 });
      }
    } catch (err) {
      const error = slackError(err);
      deps.log.info('shortcut in a channel the app cannot read', { channel, error });
      await respond(ephemeral(t.botNotInChannel({ channel })));
      return;
    }
    const ref = { channel, ts: message.ts, threadTs: message.thread_ts };
    await respond(await askFor(deps.pipeline, ref, message.files ?? [], lang));
  };
}
