/** Slack's error name ("not_in_channel") from a Web API error, else the error's message. */
export function slackError(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'data' in err) {
    const data = (err as { data?: { error?: unknown } }).data;
    if (typeof data?.error === 'string') return data.error;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Slack's answers that say "try again later" rather than "no". */
const TRANSIENT = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/**
 * Whether Slack answered with a refusal that asking again will not change (`message_not_found`, `cant_delete_file`,
 * `not_in_channel`…), as opposed to Slack being unreachable or busy.
 */
export function slackRefused(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('data' in err)) return false;
  const error = (err as { data?: { error?: unknown } }).data?.error;
  return typeof error === 'string' && !TRANSIENT.has(error);
}
