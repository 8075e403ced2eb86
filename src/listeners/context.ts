import type { Context } from '@slack/bolt';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * The workspace a request comes from, as the app's records name it: the org's id for an Enterprise Grid org-wide
 * installation, else the team's id.
 */
export function workspaceOf(
  context: Pick<Context, 'teamId' | 'enterpriseId' | 'isEnterpriseInstall'>,
): string | undefined {
  return context.isEnterpriseInstall ? context.enterpriseId : (context.teamId ?? context.enterpriseId);
}

/**
 * Runs a listener's slow work after it returns, so that Slack gets its answer (the `ack`) at once: Bolt sends it when
 * the listener returns. Whatever the work throws is logged, never left unhandled.
 */
export function afterAck(log: Logger, what: string, work: () => Promise<void>): void {
  setImmediate(() => {
    work().catch((err: unknown) => log.error(`${what} failed`, { error: errorMessage(err) }));
  });
}
