/** Slack's error name ("not_in_channel") from a Web API error, else the error's message. */
export function slackError(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'data' in err) {
    const data = (err as { data?: { error?: unknown } }).data;
    if (typeof data?.error === 'string') return data.error;
  }
  return err instanceof Error ? err.message : String(err);
}
