/** A message a Slack permalink points at. */
export interface LinkedMessage {
  channel: string;
  ts: string;
  /** Set when the message is a reply in a thread. */
  threadTs?: string;
}

/**
 * Reads `https://team.slack.com/archives/C0123/p1712345678123456` (optionally `?thread_ts=…&cid=…`),
 * also wrapped as Slack sends links in command text: `<https://…>` or `<https://…|label>`.
 */
export function parsePermalink(text: string): LinkedMessage | undefined {
  const raw = text.trim().replace(/^<([^|>]+)(\|[^>]*)?>$/, '$1');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const m = /\/archives\/([A-Z0-9]{2,})\/p(\d{10})(\d{6})\/?$/.exec(url.pathname);
  if (!m) return undefined;
  const ts = `${m[2]}.${m[3]}`;
  const threadTs = url.searchParams.get('thread_ts') ?? undefined;
  const validThread = threadTs && /^\d{10}\.\d{6}$/.test(threadTs) && threadTs !== ts ? threadTs : undefined;
  return { channel: m[1], ts, ...(validThread ? { threadTs: validThread } : {}) };
}
