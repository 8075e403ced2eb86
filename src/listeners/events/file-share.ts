import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { messages } from '../../i18n/index.ts';
import { replyThreadTs } from '../../records/tracking-id.ts';
import { displayName, type SlackFile } from '../../slack/files.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/** The fields of a `message` event with files that this listener reads. */
interface FileMessage {
  subtype?: string;
  channel: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  files?: SlackFile[];
}

/** Subtypes of a message that shares files: a plain share, and a thread reply also sent to the channel. */
const SHARES = new Set(['file_share', 'thread_broadcast']);

/**
 * Where a memo enters: every file shared in a channel the app is in (public, private, DM, group DM) arrives as a
 * `message` event with subtype `file_share`, or `thread_broadcast` for a thread reply also sent to the channel
 * (its transcript goes in the thread), where automatic transcription applies (the channel's choice, else the
 * workspace's setting: `pipeline.autoRule`). Each file goes to the pipeline's intake; the listener returns, and Slack gets
 * its answer, only once they are durably queued. If that fails, Slack gets an error and sends the event again.
 */
export function fileShared(deps: ListenerDeps) {
  return async ({ event, context }: SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs): Promise<void> => {
    const m = event as FileMessage;
    if (!m.subtype || !SHARES.has(m.subtype) || !m.files?.length) return;
    if (m.bot_id && m.bot_id === context.botId) return;
    const workspace = workspaceOf(context);
    if (!workspace) return;
    const { pipeline, log } = deps;
    if (!(await pipeline.autoRule(workspace, m.channel)).on) return;
    const message = { workspace, channel: m.channel, ts: m.ts, threadTs: m.thread_ts, user: m.user };
    const outcomes = await pipeline.intake.submit(message, m.files);
    for (const [i, outcome] of outcomes.entries()) {
      const file = m.files[i];
      if (outcome.status === 'duplicate') log.info('already claimed', { fileId: file.id, retry: context.retryNum });
      if (outcome.status === 'no-account' && outcome.sure) {
        afterAck(log, 'telling a thread the workspace has no key', () => pipeline.keyMissing.memo(message, file));
        continue;
      }
      if (outcome.status !== 'stopping') continue;
      afterAck(log, 'telling a thread the app is stopping', async () => {
        const slack = await deps.workspaces.slack(workspace);
        const lang = (await deps.settings.of(workspace)).lang;
        await slack?.web.chat.postMessage({
          channel: m.channel,
          thread_ts: replyThreadTs({ ts: m.ts, threadTs: m.thread_ts }),
          text: messages(lang).sharedWhileStopping({ file: escapeMrkdwn(displayName(file)) }),
        });
      });
    }
  };
}
