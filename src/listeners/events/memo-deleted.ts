import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/** A file as a message event carries it: deleted ones are `mode: "tombstone"`. */
interface EventFile {
  id?: string;
  mode?: string;
}

interface EventMessage {
  ts?: string;
  subtype?: string;
  bot_id?: string;
  files?: EventFile[];
}

/** The fields of `message_deleted` and `message_changed` events this listener reads. */
interface ChangeEvent {
  subtype?: string;
  channel?: string;
  /** message_deleted: the message that was deleted. */
  deleted_ts?: string;
  /** message_changed: the message as it is now. */
  message?: EventMessage;
  previous_message?: EventMessage;
}

const ids = (files: EventFile[] | undefined) =>
  (files ?? []).map((f) => f.id).filter((id): id is string => typeof id === 'string' && /^[A-Z0-9]+$/.test(id));

/**
 * Deletion follows the memo: a memo's message deleted (`message_deleted`), or changed into a tombstone
 * (`message_changed` whose message became `subtype: "tombstone"`, or whose file became `mode: "tombstone"` or left
 * it). Its memos are cut off before Slack's answer, and their transcripts and records deleted after it
 * (src/pipeline/deletion.ts). Other changes (edits, replies counted, the app's own replies) change nothing.
 */
export function memoDeleted(deps: ListenerDeps) {
  return async ({ event, context }: SlackEventMiddlewareArgs<'message'> & AllMiddlewareArgs): Promise<void> => {
    const e = event as ChangeEvent;
    if (e.subtype !== 'message_deleted' && e.subtype !== 'message_changed') return;
    const workspace = workspaceOf(context);
    if (!workspace || !e.channel) return;
    const previous = e.previous_message;
    if (previous?.bot_id && previous.bot_id === context.botId) return;
    let ts: string | undefined;
    let fileIds: string[] | undefined;
    if (e.subtype === 'message_deleted') {
      ts = e.deleted_ts ?? previous?.ts;
      fileIds = previous ? ids(previous.files) : undefined;
    } else {
      const now = e.message;
      ts = now?.ts ?? previous?.ts;
      const before = ids(previous?.files);
      if (now?.subtype === 'tombstone') {
        fileIds = previous ? before : undefined;
      } else {
        // Only what the message says: a file it lists as a tombstone, or one it no longer lists (a message event that
        // leaves `files` out says nothing about them).
        if (!Array.isArray(now?.files)) return;
        const kept = new Set(ids(now.files.filter((f) => f.mode !== 'tombstone')));
        fileIds = [...new Set([...before, ...ids(now.files)])].filter((id) => !kept.has(id));
        if (fileIds.length === 0) return;
      }
    }
    if (!ts || !/^\d+\.\d+$/.test(ts)) return;
    const found = await deps.pipeline.deletions.messageDeleted(workspace, e.channel, ts, fileIds);
    if (found > 0) afterAck(deps.log, 'deleting a memo’s transcript', () => deps.pipeline.deletions.finish(workspace));
  };
}
