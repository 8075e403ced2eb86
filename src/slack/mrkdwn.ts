/**
 * Text from users or a provider, made inert in Slack's mrkdwn: `<!channel>`, `<@U123>` and `<https://x|label>`
 * become literal text. Slack's own escaping rule: `&`, `<` and `>` as entities.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
