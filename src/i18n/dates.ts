/**
 * A moment in Slack's date markup, which Slack shows in each reader's own time zone and format
 * (`<!date^1712345678^{date_short_pretty} {time}|…>`), with a fallback in the language's words, in UTC, for
 * clients that cannot.
 */
export function slackDate(locale: string, ms: number): string {
  const fallback = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  }).format(ms);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback} UTC>`;
}
