import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { afterAck, workspaceOf } from '../context.ts';
import type { ListenerDeps } from '../index.ts';

/**
 * The app was uninstalled from a workspace (`app_uninstalled`), or its bot token revoked (`tokens_revoked` listing
 * bot users): they come in either order, and both mean the same here. Before Slack's answer, the installation and
 * its provider key are forgotten and the uninstallation noted; after it, every record of the workspace is deleted
 * (src/pipeline/uninstall.ts). Slack skips Bolt's authorization for these two events: the workspace is the one the
 * signed request names.
 */
export function appUninstalled(deps: ListenerDeps) {
  return async ({ context }: SlackEventMiddlewareArgs<'app_uninstalled'> & AllMiddlewareArgs): Promise<void> => {
    await uninstall(deps, workspaceOf(context));
  };
}

export function tokensRevoked(deps: ListenerDeps) {
  return async ({ event, context }: SlackEventMiddlewareArgs<'tokens_revoked'> & AllMiddlewareArgs): Promise<void> => {
    // Only user tokens (the app keeps none): nothing changes.
    if (!Array.isArray(event.tokens?.bot) || event.tokens.bot.length === 0) return;
    await uninstall(deps, workspaceOf(context));
  };
}

async function uninstall(deps: ListenerDeps, workspace: string | undefined): Promise<void> {
  if (!workspace || !/^[TE][A-Z0-9]{2,30}$/.test(workspace)) return;
  await deps.pipeline.uninstalls.begin(workspace);
  afterAck(deps.log, 'deleting an uninstalled workspace', () => deps.pipeline.uninstalls.finish(workspace));
}
