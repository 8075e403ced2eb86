import { LIMITS } from '../limits.ts';

/** A request target the server can route: its path, as sent (still percent-encoded), and its query. */
export interface Target {
  path: string;
  /** The query as sent, with its `?`, or empty. */
  search: string;
  query: URLSearchParams;
}

export type ParsedTarget = { ok: true; target: Target } | { ok: false; status: 400 | 414 };

/**
 * What Node's parser accepts as a request target is wider than what a URL parser takes (`GET //[ HTTP/1.1` made
 * `new URL()` throw, and the process with it), so the target is read here by RFC 9112's rules, and never thrown
 * on: the origin form (`/path?query`), whose path may hold only RFC 3986's path characters and well-formed
 * percent-escapes, or the absolute form (`http://host/path`, which proxies send), whose path and query are kept
 * and whose host is ignored. Anything else (`*`, `host:port`, a backslash, a bad escape) is a 400; a target over
 * `LIMITS.targetChars` a 414.
 */
export function parseTarget(raw: string | undefined): ParsedTarget {
  if (raw === undefined || raw === '') return { ok: false, status: 400 };
  if (raw.length > LIMITS.targetChars) return { ok: false, status: 414 };
  let target = raw;
  if (!target.startsWith('/')) {
    if (!/^https?:\/\//i.test(target)) return { ok: false, status: 400 };
    const url = URL.parse(target);
    if (!url) return { ok: false, status: 400 };
    target = `${url.pathname}${url.search}`;
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const mark = target.indexOf('?');
  const path = mark < 0 ? target : target.slice(0, mark);
  if (!PATH.test(path)) return { ok: false, status: 400 };
  const search = mark < 0 ? '' : target.slice(mark);
  // URLSearchParams never throws: a malformed escape in the query stays as it was sent.
  return { ok: true, target: { path, search, query: new URLSearchParams(search) } };
}

/** RFC 3986 `path-absolute` characters: unreserved, sub-delims, ":", "@", "/" and percent-escapes. */
const PATH = /^(?:\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+$/;
