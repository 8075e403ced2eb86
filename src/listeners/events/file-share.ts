import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { errorMessage } from '../../errors.ts';
import { messages } from '../../i18n/index.ts';
import { isAutoOn } from '../../records/channels.ts';
import { displayName, type SlackFile } from '../../slack/files.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * Where a memo enters: every file shared in a channel the app is in (public, private, DM, group DM) arrives as
 * a `message` event with subtype `file_share`; Bolt has acknowledged it before this runs. Each file goes to the
 * pipeline's intake, which claims, records and queues it.
 */
export function fileShared(deps: ListenerDeps) {
  return async ({ event, context }: SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs): Promise<void> => {
    if (event.subtype !== 'file_share') return;
    const botId = (event as { bot_id?: string }).bot_id;
    if (botId && botId === context.botId) return;
    const { pipeline, store, slack, log } = deps;
    try {
      if (!(await isAutoOn(store, event.channel))) return;
      const message = { channel: event.channel, ts: event.ts, threadTs: event.thread_ts };
      for (const file of (event.files ?? []) as SlackFile[]) {
        const outcome = await pipeline.intake.submit(message, file);
        if (outcome.status === 'duplicate') log.info('already claimed', { fileId: file.id, retry: context.retryNum });
        if (outcome.status === 'stopping') {
          await slack.chat.postMessage({
            channel: event.channel,
            thread_ts: event.thread_ts ?? event.ts,
            text: messages(deps.lang).sharedWhileStopping({ file: escapeMrkdwn(displayName(file)) }),
          });
        }
      }
    } catch (err) {
      log.error('could not take the files of a message', {
        channel: event.channel,
        ts: event.ts,
        error: errorMessage(err),
      });
    }
  };
}
