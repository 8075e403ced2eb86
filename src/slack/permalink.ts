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

/**
 * A message's link as Slack's "Copy link" writes it, from the workspace's address (`auth.test`'s `url`, e.g.
 * `https://acme.slack.com/`): `…/archives/C0123/p1712345678000100`, with `?thread_ts=…&cid=…` for a thread reply.
 * Undefined when the address is not an http(s) URL.
 */
export function messageLink(teamUrl: string, channel: string, ts: string, threadTs?: string): string | undefined {
  let base: URL;
  try {
    base = new URL(teamUrl);
  } catch {
    return undefined;
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') return undefined;
  if (!/^[A-Z0-9]+$/.test(channel) || !/^\d+\.\d+$/.test(ts)) return undefined;
  const link = new URL(`archives/${channel}/p${ts.replace('.', '')}`, base.href.endsWith('/') ? base : `${base.href}/`);
  if (threadTs && threadTs !== ts && /^\d+\.\d+$/.test(threadTs)) {
    link.searchParams.set('thread_ts', threadTs);
    link.searchParams.set('cid', channel);
  }
  return link.href;
}
