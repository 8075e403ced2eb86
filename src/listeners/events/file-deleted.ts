import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * A file was deleted (`file_deleted`, which needs `files:read`): every memo it was, in any channel, loses its
 * transcript and records, as when the memo's message is deleted. A file the app never transcribed (one of its own
 * transcript files among them) changes nothing.
 */
export function fileDeleted(deps: ListenerDeps) {
  return async ({ event, context }: SlackEventMiddlewareArgs<'file_deleted'> & AllMiddlewareArgs): Promise<void> => {
    const workspace = workspaceOf(context);
    const fileId = event.file_id;
    if (!workspace || typeof fileId !== 'string' || !/^[A-Z0-9]+$/.test(fileId)) return;
    const found = await deps.pipeline.deletions.fileDeleted(workspace, fileId);
    if (found > 0) afterAck(deps.log, 'deleting a memo’s transcript', () => deps.pipeline.deletions.finish(workspace));
  };
}
