import { EventEmitter } from 'node:events';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { REQUIRED_SCOPES } from '../../src/slack/scopes.ts';

/**
 * A local Slack: the Web API methods the app calls (form or JSON bodies, `{ok, error}` envelopes,
 * 429 with Retry-After), and the file host (Bearer token; a bad one gets the HTML sign-in page).
 * Records every call and keeps channels' messages so tests can read a thread as a user sees it.
 *
 * It serves several workspaces, as Slack does for a distributed app: T0001 (the one of single-workspace mode, whose
 * token is BOT_TOKEN), T0002, and an Enterprise Grid org E0ORG001 with two workspaces. Each bot token belongs to one
 * installation (a team, or an org for an org-wide installation) and sees only its workspace's channels and files;
 * "Add to Slack" goes through its `/oauth/v2/authorize` page and `oauth.v2.access`, which mints a token per
 * installation.
 */

export const BOT_TOKEN = 'xoxb-test-0000-bot-token';
export const BOT_USER_ID = 'UBOT0001';
export const BOT_ID = 'BBOT0001';

/** The workspaces and the org this Slack holds. */
export const TEAM_A = 'T0001';
export const TEAM_B = 'T0002';
export const ORG = 'E0ORG001';
/** The org's two workspaces. */
export const ORG_TEAM_1 = 'T0ORG0A1';
export const ORG_TEAM_2 = 'T0ORG0B1';

/** The Slack app's credentials, as its "Basic Information" page shows them. */
export const CLIENT_ID = '1111111111.2222222222';
export const CLIENT_SECRET = '0123456789abcdef0123456789abcdef';
export const APP_ID = 'A0001';

export interface StandInTeam {
  id: string;
  name: string;
  /** The org a workspace belongs to (Enterprise Grid). */
  enterpriseId?: string;
  /** Its bot user and bot, once the app is installed there. */
  botUserId: string;
  botId: string;
}

/** Who a bot token belongs to. */
export interface TokenInfo {
  /** The team, or the org for an org-wide installation. */
  workspace: string;
  isEnterpriseInstall: boolean;
  botUserId: string;
  botId: string;
  revoked: boolean;
  /** This token's scopes; the stand-in's `scopes` when unset. */
  scopes?: string[];
}

/** What the next person on Slack's approval page does. */
export type Approval =
  | { kind: 'approve'; team: string; user: string; rotation?: boolean; noBot?: boolean }
  | { kind: 'approve-org'; org: string; user: string }
  | { kind: 'deny' };
/** A fully installed app's scopes: those manifest.yml asks for (test/config.test.ts keeps the two equal). */
export const ALL_SCOPES: string[] = [...REQUIRED_SCOPES];

export interface ApiCall {
  method: string;
  args: Record<string, unknown>;
  token?: string;
  /** The workspace of the token (its installation's team or org), when the token is known. */
  workspace?: string;
  at: number;
  /** The HTTP status it was answered with (200, or 429 under the enforced limits), once answered. */
  status?: number;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks?: unknown[];
  user: string;
  bot_id?: string;
  /** The workspace whose token posted it (bot messages). */
  team?: string;
  files?: unknown[];
  /** Message metadata the app attached (`metadata` of chat.postMessage), returned with `include_all_metadata`. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Every version it had, oldest first. */
  history: string[];
}

export interface HostedFile {
  id: string;
  name: string;
  mimetype?: string;
  filetype?: string;
  subtype?: string;
  size: number;
  url_private_download: string;
  url_private: string;
  [key: string]: unknown;
}

/** A file the app uploaded and shared (files.getUploadURLExternal, bytes, files.completeUploadExternal). */
export interface UploadedFile {
  fileId: string;
  filename: string;
  title: string;
  /** The bytes POSTed to the upload URL. */
  bytes: Buffer;
  /** Where files.completeUploadExternal shared it (none: the file is private). */
  channel?: string;
  threadTs?: string;
  initialComment?: string;
}

/** An upload between files.getUploadURLExternal and files.completeUploadExternal. */
interface PendingUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes?: Buffer;
}

type Responder = (call: ApiCall, res: ServerResponse) => boolean;

/**
 * Slack's rate limits, when the stand-in enforces them (`enforce`): per method per workspace (token), over a sliding
 * window, answered 429 with Retry-After (whole seconds) as Slack does; other methods keep working.
 */
export interface EnforcedLimits {
  /**
   * Calls allowed in any window of `windowMs` (a minute), by method, or in a window of its own; methods not listed
   * are not limited.
   */
  perWindow: Record<string, number | { calls: number; windowMs: number }>;
  windowMs: number;
  /** chat.postMessage, per channel: at most `calls` in any `windowMs`. */
  postMessage?: { calls: number; windowMs: number };
  /** conversations.history and conversations.replies answer at most this many messages (15 outside the Marketplace). */
  historyMessages?: number;
}

const TIER_3 = 50;
const TIER_4 = 100;

/** Slack's documented limits for the methods the app calls (docs.slack.dev, "Rate limits" and each method's page). */
export const SLACK_LIMITS: EnforcedLimits = {
  perWindow: {
    'chat.update': TIER_3,
    'chat.delete': TIER_3,
    'reactions.add': TIER_3,
    'reactions.remove': TIER_3,
    'conversations.history': TIER_3,
    'conversations.replies': TIER_3,
    'conversations.info': TIER_3,
    'chat.postEphemeral': TIER_4,
    'chat.getPermalink': TIER_4,
    'files.info': TIER_4,
    'users.info': TIER_4,
    'conversations.members': TIER_4,
    'files.getUploadURLExternal': TIER_4,
    'files.completeUploadExternal': TIER_4,
  },
  windowMs: 60_000,
  postMessage: { calls: 5, windowMs: 5_000 },
};

/** Since 2025-05-29, for apps distributed outside the Marketplace: history and replies once a minute, 15 messages. */
export const OUTSIDE_MARKETPLACE: EnforcedLimits = {
  ...SLACK_LIMITS,
  perWindow: { ...SLACK_LIMITS.perWindow, 'conversations.history': 1, 'conversations.replies': 1 },
  historyMessages: 15,
};

/** Calls a method got through, and those answered 429. */
export interface MethodCounts {
  calls: number;
  limited: number;
}

/** How the file host sends a file, for files that do not behave (all optional; by default it sends at once). */
export interface Transfer {
  /** The content, made anew for each download, instead of `path` or `bytes`: sent without Content-Length. */
  stream?: () => Readable;
  /** Leaves out Content-Length (chunked encoding), so that only the bytes tell the real size. */
  noLength?: boolean;
  /** Waits this long before answering at all (no headers either). */
  delayMs?: number;
  /** Sends `bytes` at a time, one piece every `everyMs`. */
  trickle?: { bytes: number; everyMs: number };
}

/** One request to the file host, updated as the file is sent. */
export interface FileDownload {
  path: string;
  authorization?: string;
  /** Bytes of the file written to the connection so far. */
  sent: number;
  /** 'sent' once the last byte was written; 'cut' when the client went away first. */
  outcome?: 'sent' | 'cut';
}

/** A view as the app sends it to views.publish or views.open. */
export interface SlackView {
  type: string;
  callback_id?: string;
  title?: { text: string };
  blocks: Record<string, unknown>[];
  [key: string]: unknown;
}

export const SIGN_IN_PAGE = `<!DOCTYPE html><html lang="en-US"><head><title>Slack</title></head><body>
<div class="p-signin">Sign in to your workspace</div></body></html>`;

export class SlackStandIn {
  readonly calls: ApiCall[] = [];
  /** Emits 'call' with each ApiCall as it arrives, and 'answered' (the call, and Slack's answer) once answered. */
  readonly events = new EventEmitter();
  readonly messages: PostedMessage[] = [];
  readonly reactions = new Map<string, Set<string>>();
  readonly files = new Map<string, { file: HostedFile; path?: string; bytes?: Buffer; transfer?: Transfer }>();
  /** Requests the file host saw: authorization header, bytes sent, outcome. */
  readonly downloads: FileDownload[] = [];
  scopes = [...ALL_SCOPES];
  /** Calls answered with ok: false. */
  readonly errors: { method: string; error: string }[] = [];
  /** Files whose download answers with a redirect to another URL, as Slack's CDN may. */
  readonly redirects = new Map<string, string>();
  /** What the app POSTed to response_url (`${url}/respond/<id>`): ephemeral answers. */
  readonly responses: { path: string; body: { text?: string; response_type?: string } }[] = [];
  /** Channels the bot cannot read (conversations.* answer not_in_channel). */
  readonly privateChannels = new Set<string>();
  /**
   * Who is in a channel, for conversations.members. A channel not listed has the bot and the test people in it;
   * a channel the bot cannot read (privateChannels) answers channel_not_found unless listed here (as a public
   * channel's members can be listed by any app with channels:read).
   */
  readonly channelMembers = new Map<string, string[]>();
  /** People's Slack locale (users.info with include_locale); anyone else is en-US. */
  readonly userLocales = new Map<string, string>();
  /** Workspace admins (`is_admin` in users.info and users.list), and owners (`is_owner`). */
  readonly admins = new Set<string>();
  readonly owners = new Set<string>();
  /** The people users.list lists besides the bot, Slackbot, admins, owners and anyone with a locale. */
  readonly people = new Set<string>(['UALICE01', 'UBOB0001']);
  /** Every view published to a Home tab (views.publish), oldest first, and each person's current one. */
  readonly published: { user: string; view: SlackView; at: number }[] = [];
  readonly homeViews = new Map<string, SlackView>();
  /** Every modal opened (views.open), with the trigger it was opened with and the workspace whose token opened it. */
  readonly modals: { triggerId: string; view: SlackView; workspace?: string }[] = [];
  /** Messages the app deleted (chat.delete), and files (files.delete). */
  readonly deletedMessages: PostedMessage[] = [];
  readonly deletedFiles: string[] = [];
  /** Delays before answering a method, to hold calls in flight (a slow or rate-limited Slack). */
  readonly delays = new Map<string, number>();
  /** Files uploaded and completed, in order. */
  readonly uploadedFiles: UploadedFile[] = [];
  /** The limits enforced, if any (`enforce`). */
  limits?: EnforcedLimits;
  /** When each call that got through a limited method (or channel) arrived, by method and workspace (token). */
  readonly #windows = new Map<string, number[]>();
  /** Calls that reached the Web API (valid token), and those answered 429, by method. */
  readonly counts = new Map<string, MethodCounts>();
  /** The workspaces (and org) it holds, by id. */
  readonly teams = new Map<string, StandInTeam>([
    [TEAM_A, { id: TEAM_A, name: 'Acme', botUserId: BOT_USER_ID, botId: BOT_ID }],
    [TEAM_B, { id: TEAM_B, name: 'Beta Co', botUserId: 'UBOT0002', botId: 'BBOT0002' }],
    [ORG, { id: ORG, name: 'Grid Corp', botUserId: 'UBOTORG1', botId: 'BBOTORG1' }],
    [ORG_TEAM_1, { id: ORG_TEAM_1, name: 'Grid Sales', enterpriseId: ORG, botUserId: 'UBOTORG1', botId: 'BBOTORG1' }],
    [ORG_TEAM_2, { id: ORG_TEAM_2, name: 'Grid Ops', enterpriseId: ORG, botUserId: 'UBOTORG1', botId: 'BBOTORG1' }],
  ]);
  /** Bot tokens and whose they are. BOT_TOKEN is T0001's (single-workspace mode's token). */
  readonly tokens = new Map<string, TokenInfo>([
    [
      BOT_TOKEN,
      { workspace: TEAM_A, isEnterpriseInstall: false, botUserId: BOT_USER_ID, botId: BOT_ID, revoked: false },
    ],
  ]);
  /** The workspaces that see a channel (a Slack Connect channel: several); a channel not listed is T0001's. */
  readonly channelTeams = new Map<string, string[]>();
  /** The workspace of a person; anyone not listed is in T0001. */
  readonly userTeams = new Map<string, string>();
  /** What the next visitors of the approval page do, in order. */
  readonly approvals: Approval[] = [];
  /** Codes handed out by the approval page, until exchanged (once) or expired. */
  readonly #codes = new Map<string, { approval: Approval; redirectUri: string; expires: number; used: boolean }>();
  /** How long a code is good for (Slack: 10 minutes). */
  codeLifetimeMs = 10 * 60_000;
  #tokenSeq = 0;
  /** Uploads by file id, from files.getUploadURLExternal until completed. */
  readonly #pendingUploads = new Map<string, PendingUpload>();
  #overrides: Responder[] = [];
  #server: Server;
  #seq = 0;
  // Slack's ts is the time of the message: now, as it would be.
  #clock = Math.floor(Date.now() / 1000);
  url = '';

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** A fresh message ts, increasing. */
  nextTs(): string {
    this.#clock += 1;
    return `${this.#clock}.${String(++this.#seq).padStart(6, '0')}`;
  }

  /**
   * Hosts a file; content from a path on disk (streamed), bytes, or `transfer.stream`. `size` is what Slack
   * reports, which may differ from what the file host sends.
   */
  addFile(spec: {
    id?: string;
    name: string;
    mimetype?: string;
    filetype?: string;
    subtype?: string;
    path?: string;
    bytes?: Buffer;
    size?: number;
    transfer?: Transfer;
    /** The workspace it was shared in (T0001 when not said): only that workspace's tokens may download it. */
    team?: string;
    [k: string]: unknown;
  }): HostedFile {
    const { path, bytes, transfer, team, ...rest } = spec;
    const id = spec.id ?? `F${String(++this.#seq).padStart(8, '0')}`;
    const size = spec.size ?? (path ? statSync(path).size : (bytes?.length ?? 0));
    const download = `${this.url}/files-pri/${team ?? TEAM_A}-${id}/download/${encodeURIComponent(spec.name)}`;
    const file: HostedFile = {
      ...rest,
      id,
      size,
      url_private_download: download,
      url_private: download.replace('/download/', '/'),
    };
    this.files.set(id, { file, path, bytes, transfer });
    return file;
  }

  /** Enforces Slack's rate limits (by default its documented tiers) from now on; `undefined` lifts them. */
  enforce(limits: EnforcedLimits | undefined = SLACK_LIMITS): void {
    this.limits = limits;
    this.#windows.clear();
  }

  /** Calls that got through and calls answered 429, by method, since the start. */
  countsOf(method: string): MethodCounts {
    return this.counts.get(method) ?? { calls: 0, limited: 0 };
  }

  /** Every 429 answered, all methods together. */
  get limited(): number {
    return [...this.counts.values()].reduce((n, c) => n + c.limited, 0);
  }

  /**
   * Whether the call passes the enforced limits; records it when it does. Else the seconds Slack would give in
   * Retry-After: until the oldest call in the window leaves it.
   */
  #retryAfter(call: ApiCall): number | undefined {
    const rule = this.#rule(call.method, call.token, String(call.args.channel ?? ''));
    if (!rule) return undefined;
    const now = Date.now();
    const times = (this.#windows.get(rule.key) ?? []).filter((t) => t > now - rule.windowMs);
    this.#windows.set(rule.key, times);
    if (times.length < rule.calls) {
      times.push(now);
      return undefined;
    }
    return Math.max(1, Math.ceil((times[0] + rule.windowMs - now) / 1000));
  }

  /** The limit a call falls under, and the window it is counted in (by method and token; by channel for posts). */
  #rule(method: string, token: string | undefined, channel: string) {
    const limits = this.limits;
    if (!limits) return undefined;
    if (method === 'chat.postMessage')
      return limits.postMessage && { key: `${token}|${method}|${channel}`, ...limits.postMessage };
    const limit = limits.perWindow[method];
    if (limit === undefined) return undefined;
    return {
      key: `${token}|${method}`,
      ...(typeof limit === 'number' ? { calls: limit, windowMs: limits.windowMs } : limit),
    };
  }

  /**
   * Spends a method's whole window now, as other calls of the same app would have: the app's calls of it are answered
   * 429 for the next `forMs`.
   */
  exhaust(method: string, forMs: number, channel = ''): void {
    const rule = this.#rule(method, BOT_TOKEN, channel);
    if (!rule) throw new Error(`${method} is not limited`);
    const at = Date.now() - rule.windowMs + forMs;
    this.#windows.set(
      rule.key,
      Array.from({ length: rule.calls }, () => at),
    );
  }

  /** Answers the next calls of a method with something else (an error, a 429). */
  override(responder: Responder): void {
    this.#overrides.push(responder);
  }

  /**
   * Answers the next call of a method 429 with Slack's Retry-After (whole seconds), as Slack does past its limit;
   * returns when it answered (undefined until then).
   */
  rateLimit(method: string, retryAfterSeconds: number): () => number | undefined {
    let at: number | undefined;
    this.override((call, res) => {
      if (call.method !== method) return false;
      at = Date.now();
      json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfterSeconds) });
      return true;
    });
    return () => at;
  }

  /** Answers the next call of a method as Slack refuses one: `{ ok: false, error }`. */
  refuse(method: string, error: string): void {
    this.override((call, res) => {
      if (call.method !== method) return false;
      json(res, 200, { ok: false, error });
      return true;
    });
  }

  callsOf(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** The replies in a thread, as a user sees them now (bot messages only, of any workspace's bot). */
  thread(channel: string, threadTs: string): PostedMessage[] {
    return this.messages.filter((m) => m.channel === channel && m.thread_ts === threadTs && m.bot_id !== undefined);
  }

  /** Reactions on a message. */
  reactionsOn(channel: string, ts: string): string[] {
    return [...(this.reactions.get(`${channel}/${ts}`) ?? [])];
  }

  /** A user message in the channel's history (for conversations.history / replies). */
  addUserMessage(message: Omit<PostedMessage, 'history' | 'text'> & { text?: string }): PostedMessage {
    const m: PostedMessage = { text: '', ...message, history: [message.text ?? ''] };
    this.messages.push(m);
    return m;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    if (url.pathname.startsWith('/files-pri/')) return this.#serveFile(url, req, res);
    if (url.pathname.startsWith('/respond/')) {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      this.responses.push({ path: url.pathname, body: JSON.parse(raw || '{}') });
      return json(res, 200, { ok: true });
    }
    if (url.pathname.startsWith('/upload/')) return this.#receiveUpload(url, req, res);
    if (url.pathname === '/oauth/v2/authorize') return this.#authorizePage(url, res);
    if (!url.pathname.startsWith('/api/')) return json(res, 404, { ok: false, error: 'unknown_path' });
    const method = url.pathname.slice('/api/'.length);
    const args = await readArgs(req);
    const authorization = req.headers.authorization ?? '';
    const token = authorization.replace(/^Bearer /, '') || (args.token as string | undefined);
    const info = token ? this.tokens.get(token) : undefined;
    const call: ApiCall = { method, args, token, ...(info ? { workspace: info.workspace } : {}), at: Date.now() };
    this.calls.push(call);
    this.events.emit('call', call);
    for (const [i, responder] of this.#overrides.entries()) {
      if (responder(call, res)) {
        this.#overrides.splice(i, 1);
        return;
      }
    }
    if (method === 'oauth.v2.access') return json(res, 200, this.#exchange(args, authorization));
    if (!info) return json(res, 200, { ok: false, error: 'invalid_auth' });
    if (info.revoked) return json(res, 200, { ok: false, error: 'token_revoked' });
    const counts = this.counts.get(method) ?? { calls: 0, limited: 0 };
    this.counts.set(method, counts);
    const retryAfter = this.#retryAfter(call);
    if (retryAfter !== undefined) {
      counts.limited += 1;
      call.status = 429;
      this.events.emit('answered', call);
      return json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
    }
    counts.calls += 1;
    const delay = this.delays.get(method);
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const scopes = info.scopes ?? this.scopes;
    res.setHeader('x-oauth-scopes', scopes.join(','));
    const answer = this.#api(method, args, info);
    if (answer.ok === false) this.errors.push({ method, error: String(answer.error) });
    json(res, 200, answer);
    call.status = 200;
    this.events.emit('answered', call, answer);
  }

  #api(method: string, a: Record<string, unknown>, who: TokenInfo): Record<string, unknown> {
    const channel = String(a.channel ?? a.channel_id ?? '');
    // A channel of another workspace is one this token cannot see; a DM to a person is opened on the way.
    const foreign = channel !== '' && !/^U/.test(channel) && !this.sees(who, channel);
    const channelMethods = [
      'chat.postMessage',
      'chat.update',
      'chat.getPermalink',
      'reactions.add',
      'reactions.remove',
      'conversations.members',
      'conversations.info',
      'conversations.history',
      'conversations.replies',
    ];
    if (foreign && channelMethods.includes(method)) return { ok: false, error: 'channel_not_found' };
    switch (method) {
      case 'auth.test': {
        const team = this.teams.get(who.workspace);
        return {
          ok: true,
          url: `${this.url}/`,
          team: team?.name ?? 'Test',
          user: 'transcriber',
          team_id: who.isEnterpriseInstall ? '' : who.workspace,
          user_id: who.botUserId,
          bot_id: who.botId,
          ...(who.isEnterpriseInstall
            ? { enterprise_id: who.workspace, is_enterprise_install: true }
            : team?.enterpriseId
              ? { enterprise_id: team.enterpriseId }
              : {}),
        };
      }
      case 'auth.revoke':
        who.revoked = true;
        return { ok: true, revoked: true };
      case 'chat.postMessage': {
        if (this.privateChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
        const text = String(a.text ?? '');
        if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
        const blocksError = checkBlocks(a.blocks);
        if (blocksError) return { ok: false, error: blocksError };
        const m: PostedMessage = {
          channel,
          ts: this.nextTs(),
          text,
          blocks: a.blocks as unknown[],
          user: who.botUserId,
          bot_id: who.botId,
          team: who.workspace,
          history: [text],
          ...(a.thread_ts ? { thread_ts: String(a.thread_ts) } : {}),
          ...(a.metadata && typeof a.metadata === 'object'
            ? { metadata: a.metadata as PostedMessage['metadata'] }
            : {}),
        };
        this.messages.push(m);
        return { ok: true, channel, ts: m.ts, message: m };
      }
      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === channel && x.ts === a.ts);
        if (!m) return { ok: false, error: 'message_not_found' };
        const text = String(a.text ?? '');
        if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
        const blocksError = checkBlocks(a.blocks);
        if (blocksError) return { ok: false, error: blocksError };
        m.text = text;
        m.blocks = a.blocks as unknown[];
        m.history.push(text);
        return { ok: true, channel, ts: m.ts };
      }
      case 'chat.getPermalink':
        return { ok: true, permalink: `${this.url}/archives/${channel}/p${String(a.message_ts).replace('.', '')}` };
      case 'reactions.add': {
        const key = `${channel}/${a.timestamp}`;
        const set = this.reactions.get(key) ?? new Set();
        this.reactions.set(key, set);
        if (set.has(String(a.name))) return { ok: false, error: 'already_reacted' };
        set.add(String(a.name));
        return { ok: true };
      }
      case 'reactions.remove': {
        const set = this.reactions.get(`${channel}/${a.timestamp}`);
        if (!set?.delete(String(a.name))) return { ok: false, error: 'no_reaction' };
        return { ok: true };
      }
      case 'files.info': {
        const hosted = this.files.get(String(a.file));
        if (!hosted || !this.#seesTeam(who, this.#fileTeam(hosted.file))) return { ok: false, error: 'file_not_found' };
        return { ok: true, file: hosted.file };
      }
      case 'users.info': {
        if (!(who.scopes ?? this.scopes).includes('users:read'))
          return { ok: false, error: 'missing_scope', needed: 'users:read' };
        const id = String(a.user ?? '');
        if (!this.#seesTeam(who, this.userTeams.get(id) ?? TEAM_A)) return { ok: false, error: 'user_not_found' };
        const locale = this.userLocales.get(id) ?? 'en-US';
        const includeLocale = a.include_locale === true || a.include_locale === 'true';
        return { ok: true, user: { ...this.#user(id), ...(includeLocale ? { locale } : {}) } };
      }
      case 'users.list': {
        if (!(who.scopes ?? this.scopes).includes('users:read'))
          return { ok: false, error: 'missing_scope', needed: 'users:read' };
        const everyone = [
          ...new Set([
            who.botUserId,
            'USLACKBOT',
            'UALICE01',
            'UBOB0001',
            ...this.people,
            ...this.userTeams.keys(),
            ...this.admins,
            ...this.owners,
            ...this.userLocales.keys(),
          ]),
        ];
        const ids = everyone.filter(
          (id) => id === who.botUserId || id === 'USLACKBOT' || this.#seesTeam(who, this.userTeams.get(id) ?? TEAM_A),
        );
        const limit = Math.min(Number(a.limit ?? 200) || 200, 1000);
        const start = Number(a.cursor ? Buffer.from(String(a.cursor), 'base64').toString() : 0);
        const page = ids.slice(start, start + limit).map((id) => ({
          ...this.#user(id),
          is_bot: id === who.botUserId,
        }));
        const next = start + limit < ids.length ? Buffer.from(String(start + limit)).toString('base64') : '';
        return { ok: true, members: page, response_metadata: { next_cursor: next } };
      }
      case 'views.publish': {
        const view = a.view as SlackView | undefined;
        const user = String(a.user_id ?? '');
        if (!user) return { ok: false, error: 'invalid_arguments' };
        if (!view || typeof view !== 'object' || view.type !== 'home') return { ok: false, error: 'invalid_arguments' };
        const problem = checkView(view);
        if (problem) return { ok: false, error: problem };
        this.published.push({ user, view, at: Date.now() });
        this.homeViews.set(user, view);
        return { ok: true, view: { id: `V${++this.#seq}`, ...view } };
      }
      case 'views.open': {
        const view = a.view as SlackView | undefined;
        const triggerId = String(a.trigger_id ?? '');
        if (!triggerId) return { ok: false, error: 'invalid_arguments' };
        if (!view || typeof view !== 'object' || view.type !== 'modal')
          return { ok: false, error: 'invalid_arguments' };
        if ([...(view.title?.text ?? '')].length > 24) return { ok: false, error: 'invalid_arguments' };
        const problem = checkView(view);
        if (problem) return { ok: false, error: problem };
        this.modals.push({ triggerId, view, workspace: who.workspace });
        return { ok: true, view: { id: `V${++this.#seq}`, ...view } };
      }
      case 'chat.delete': {
        const i = this.messages.findIndex((x) => x.channel === channel && x.ts === a.ts);
        if (i < 0) return { ok: false, error: 'message_not_found' };
        if (this.messages[i].bot_id !== BOT_ID) return { ok: false, error: 'cant_delete_message' };
        const [deleted] = this.messages.splice(i, 1);
        this.deletedMessages.push(deleted);
        return { ok: true, channel, ts: deleted.ts };
      }
      case 'files.delete': {
        const missing = this.#missingScope('files:write', who);
        if (missing) return missing;
        const id = String(a.file ?? '');
        const hosted = this.files.get(id);
        if (!hosted) return { ok: false, error: 'file_not_found' };
        if (hosted.file.user !== BOT_USER_ID) return { ok: false, error: 'cant_delete_file' };
        this.files.delete(id);
        this.deletedFiles.push(id);
        // The message that shared it shows it no more; one that had nothing else goes with it, as in Slack.
        for (const m of [...this.messages]) {
          if (!m.files?.some((f) => (f as { id?: string }).id === id)) continue;
          m.files = m.files.filter((f) => (f as { id?: string }).id !== id);
          if (m.files.length === 0 && m.text === '') this.messages.splice(this.messages.indexOf(m), 1);
        }
        return { ok: true };
      }
      case 'conversations.members': {
        const listed = this.channelMembers.get(channel);
        if (!listed && this.privateChannels.has(channel)) return { ok: false, error: 'channel_not_found' };
        const members = listed ?? [who.botUserId, 'UALICE01', 'UBOB0001'];
        const limit = Number(a.limit ?? 100);
        const start = Number(a.cursor ? Buffer.from(String(a.cursor), 'base64').toString() : 0);
        const page = members.slice(start, start + limit);
        const next = start + limit < members.length ? Buffer.from(String(start + limit)).toString('base64') : '';
        return { ok: true, members: page, response_metadata: { next_cursor: next } };
      }
      case 'conversations.info': {
        // A private channel the bot is not in is one it cannot see; a public one says whether the bot is a member.
        const listed = this.channelMembers.get(channel);
        if (this.privateChannels.has(channel) && !listed?.includes(who.botUserId)) {
          return { ok: false, error: 'channel_not_found' };
        }
        const im = channel.startsWith('D');
        return {
          ok: true,
          channel: {
            id: channel,
            is_im: im,
            is_private: this.privateChannels.has(channel),
            ...(im ? {} : { is_member: listed ? listed.includes(who.botUserId) : true }),
          },
        };
      }
      case 'conversations.history': {
        if (this.privateChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
        // The next page (`cursor`, as this stand-in writes it) is the messages older than the last one given.
        const before =
          typeof a.cursor === 'string' && a.cursor.startsWith('ts:') ? Number(a.cursor.slice(3)) : Infinity;
        const inRange = (m: PostedMessage) =>
          (!a.latest || (a.inclusive ? Number(m.ts) <= Number(a.latest) : Number(m.ts) < Number(a.latest))) &&
          (!a.oldest || Number(m.ts) >= Number(a.oldest)) &&
          Number(m.ts) < before;
        const inChannel = this.messages.filter(
          (m) => m.channel === channel && (!m.thread_ts || m.thread_ts === m.ts) && inRange(m),
        );
        const limit = Math.min(Number(a.limit ?? 100), this.limits?.historyMessages ?? Number.POSITIVE_INFINITY);
        const newestFirst = inChannel.sort((x, y) => Number(y.ts) - Number(x.ts));
        const messages = newestFirst.slice(0, limit);
        return {
          ok: true,
          messages: messages.map(({ history, ...m }) => m),
          has_more: newestFirst.length > limit,
          ...(newestFirst.length > limit ? { response_metadata: { next_cursor: `ts:${messages.at(-1)?.ts}` } } : {}),
        };
      }
      case 'conversations.replies': {
        if (this.privateChannels.has(channel)) return { ok: false, error: 'not_in_channel' };
        const ts = String(a.ts);
        const messages = this.messages.filter((m) => m.channel === channel && (m.ts === ts || m.thread_ts === ts));
        if (messages.length === 0) return { ok: false, error: 'thread_not_found' };
        // As Slack answers: the parent first whatever the range, then the replies in it, oldest first, `limit` in all.
        const parentFirst = messages.sort((x, y) => Number(x.ts) - Number(y.ts));
        const inRange = (m: PostedMessage) =>
          (!a.latest || (a.inclusive ? Number(m.ts) <= Number(a.latest) : Number(m.ts) < Number(a.latest))) &&
          (!a.oldest || (a.inclusive ? Number(m.ts) >= Number(a.oldest) : Number(m.ts) > Number(a.oldest)));
        const limit = Math.min(Number(a.limit ?? 1000), this.limits?.historyMessages ?? Number.POSITIVE_INFINITY);
        const wanted = parentFirst.filter((m) => m.ts === ts || inRange(m)).slice(0, limit);
        const shown = wanted.map(({ history, metadata, ...m }) =>
          a.include_all_metadata && metadata ? { ...m, metadata } : m,
        );
        return { ok: true, messages: shown, has_more: false };
      }
      case 'files.getUploadURLExternal':
        return this.#getUploadUrl(a, who);
      case 'files.completeUploadExternal':
        if (foreign) return { ok: false, error: 'channel_not_found' };
        return this.#completeUpload(a, who);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Whether an installation's token sees a channel (its workspace, or one of its org's, is in it). */
  sees(who: TokenInfo, channel: string): boolean {
    return (this.channelTeams.get(channel) ?? [TEAM_A]).some((team) => this.#seesTeam(who, team));
  }

  #seesTeam(who: TokenInfo, team: string): boolean {
    return team === who.workspace || (who.isEnterpriseInstall && this.teams.get(team)?.enterpriseId === who.workspace);
  }

  #fileTeam(file: HostedFile): string {
    return /\/files-pri\/([A-Z0-9]+)-/.exec(file.url_private_download)?.[1] ?? TEAM_A;
  }

  /** A person as users.info and users.list describe them. */
  #user(id: string): Record<string, unknown> {
    return {
      id,
      team_id: this.userTeams.get(id) ?? TEAM_A,
      name: id.toLowerCase(),
      deleted: false,
      tz: 'Asia/Ho_Chi_Minh',
      is_bot: false,
      is_admin: this.admins.has(id) || this.owners.has(id),
      is_owner: this.owners.has(id),
      is_primary_owner: false,
    };
  }

  /** The installation's token, as `oauth.v2.access` gave it last (or BOT_TOKEN for T0001). */
  tokenOf(workspace: string): string | undefined {
    return [...this.tokens].filter(([, t]) => t.workspace === workspace && !t.revoked).at(-1)?.[0];
  }

  /** The app is uninstalled from a workspace (or org): its tokens stop working, as Slack revokes them. */
  uninstall(workspace: string): void {
    for (const info of this.tokens.values()) if (info.workspace === workspace) info.revoked = true;
  }

  /**
   * Slack's approval page (`/oauth/v2/authorize`): the next approval of `approvals` happens, and the browser is sent
   * back to `redirect_uri` with a code and the `state` it came with, or with `error=access_denied`.
   */
  #authorizePage(url: URL, res: ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    const state = q.get('state') ?? '';
    const approval = this.approvals.shift();
    if (q.get('client_id') !== CLIENT_ID || !redirectUri || !approval) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(!approval ? 'nobody approves' : 'invalid_client_id or no redirect_uri');
      return;
    }
    const back = new URL(redirectUri);
    if (approval.kind === 'deny') {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = `${Date.now()}.${++this.#seq}.${Math.random().toString(36).slice(2)}`;
      this.#codes.set(code, { approval, redirectUri, expires: Date.now() + this.codeLifetimeMs, used: false });
      back.searchParams.set('code', code);
    }
    back.searchParams.set('state', state);
    res.writeHead(302, { location: back.href });
    res.end();
  }

  /** `oauth.v2.access`: the code exchanged, once, by the app's client id and secret, for a new bot token. */
  #exchange(a: Record<string, unknown>, authorization: string): Record<string, unknown> {
    let clientId = String(a.client_id ?? '');
    let clientSecret = String(a.client_secret ?? '');
    if (authorization.startsWith('Basic ')) {
      [clientId, clientSecret] = Buffer.from(authorization.slice(6), 'base64').toString().split(':');
    }
    if (clientId !== CLIENT_ID) return { ok: false, error: 'invalid_client_id' };
    if (clientSecret !== CLIENT_SECRET) return { ok: false, error: 'bad_client_secret' };
    const grant = this.#codes.get(String(a.code ?? ''));
    if (!grant || grant.used || grant.expires < Date.now()) return { ok: false, error: 'invalid_code' };
    if (a.redirect_uri !== undefined && a.redirect_uri !== grant.redirectUri)
      return { ok: false, error: 'bad_redirect_uri' };
    grant.used = true;
    const approval = grant.approval;
    if (approval.kind === 'deny') return { ok: false, error: 'invalid_code' };
    const org = approval.kind === 'approve-org';
    const workspace = org ? approval.org : approval.team;
    const team = this.teams.get(workspace);
    if (!team) return { ok: false, error: 'invalid_team' };
    const rotation = approval.kind === 'approve' && approval.rotation === true;
    const noBot = approval.kind === 'approve' && approval.noBot === true;
    const token = `xoxb-${workspace.toLowerCase()}-${++this.#tokenSeq}-${Math.random().toString(36).slice(2, 10)}`;
    if (!noBot)
      this.tokens.set(token, {
        workspace,
        isEnterpriseInstall: org,
        botUserId: team.botUserId,
        botId: team.botId,
        revoked: false,
      });
    const enterprise = org
      ? { id: team.id, name: team.name }
      : team.enterpriseId
        ? { id: team.enterpriseId, name: this.teams.get(team.enterpriseId)?.name ?? '' }
        : null;
    return {
      ok: true,
      app_id: APP_ID,
      authed_user: { id: approval.user },
      ...(noBot
        ? {}
        : { scope: this.scopes.join(','), token_type: 'bot', access_token: token, bot_user_id: team.botUserId }),
      ...(rotation ? { refresh_token: `xoxe-1-${token.slice(5)}`, expires_in: 43_200 } : {}),
      team: org ? null : { id: team.id, name: team.name },
      enterprise,
      is_enterprise_install: org,
    };
  }

  /**
   * files.getUploadURLExternal: `filename` and `length` (bytes) required; needs `files:write`. Answers an
   * `upload_url` and a `file_id`, as Slack does.
   */
  #getUploadUrl(a: Record<string, unknown>, who: TokenInfo): Record<string, unknown> {
    const missing = this.#missingScope('files:write', who);
    if (missing) return missing;
    const filename = typeof a.filename === 'string' ? a.filename.trim() : '';
    const length = Number(a.length);
    if (filename === '' || a.length === undefined || a.length === '' || !Number.isInteger(length) || length < 0) {
      return { ok: false, error: 'invalid_arguments' };
    }
    const fileId = `F${String(++this.#seq).padStart(8, '0')}U`;
    this.#pendingUploads.set(fileId, { fileId, filename, length });
    return { ok: true, upload_url: `${this.url}/upload/v1/${fileId}`, file_id: fileId };
  }

  /**
   * The POST of the bytes to `upload_url`: raw bytes or multipart form (the first file part), as Slack
   * accepts; HTTP 200 on success, anything else is a failure. Stricter than Slack documents: the bytes must
   * number the `length` announced, so that a length counted in characters instead of bytes shows.
   */
  async #receiveUpload(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pending = this.#pendingUploads.get(url.pathname.split('/').pop() ?? '');
    const bytes = await readUploadBody(req).catch(() => undefined);
    if (!pending || !bytes || req.method !== 'POST') {
      res.writeHead(pending ? 400 : 404, { 'content-type': 'text/plain' });
      res.end(pending ? 'bad upload' : 'not found');
      return;
    }
    if (bytes.length !== pending.length) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`length mismatch: announced ${pending.length}, received ${bytes.length}`);
      return;
    }
    pending.bytes = bytes;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${bytes.length}`);
  }

  /**
   * files.completeUploadExternal: `files` (JSON `[{id, title}]`) required; with `channel_id` (and
   * `thread_ts`) the file is shared there by a bot message carrying it (text: `initial_comment`), else it
   * stays private. Needs `files:write`. Unknown ids, or ids whose bytes never arrived: `file_not_found`.
   */
  #completeUpload(a: Record<string, unknown>, who: TokenInfo): Record<string, unknown> {
    const missing = this.#missingScope('files:write', who);
    if (missing) return missing;
    const list = typeof a.files === 'string' ? parseJson(a.files) : a.files;
    if (!Array.isArray(list) || list.length === 0) return { ok: false, error: 'invalid_arguments' };
    const entries: { pending: PendingUpload & { bytes: Buffer }; title: string }[] = [];
    for (const item of list as unknown[]) {
      const entry = typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {};
      const pending = this.#pendingUploads.get(String(entry.id ?? ''));
      if (!pending?.bytes) return { ok: false, error: 'file_not_found' };
      const title = typeof entry.title === 'string' && entry.title !== '' ? entry.title : pending.filename;
      entries.push({ pending: { ...pending, bytes: pending.bytes }, title });
    }
    const channel = typeof a.channel_id === 'string' && a.channel_id !== '' ? a.channel_id : undefined;
    const threadTs = channel && typeof a.thread_ts === 'string' && a.thread_ts !== '' ? a.thread_ts : undefined;
    const initialComment = typeof a.initial_comment === 'string' ? a.initial_comment : undefined;
    if (channel && this.privateChannels.has(channel)) return { ok: false, error: 'not_in_channel' };

    const files = entries.map(({ pending, title }) => {
      this.#pendingUploads.delete(pending.fileId);
      const hosted = this.addFile({
        id: pending.fileId,
        name: pending.filename,
        title,
        bytes: pending.bytes,
        filetype: pending.filename.includes('.') ? pending.filename.split('.').pop() : 'text',
        user: who.botUserId,
        team: who.workspace,
      });
      this.uploadedFiles.push({
        fileId: pending.fileId,
        filename: pending.filename,
        title,
        bytes: pending.bytes,
        ...(channel ? { channel } : {}),
        ...(threadTs ? { threadTs } : {}),
        ...(initialComment !== undefined ? { initialComment } : {}),
      });
      return hosted;
    });
    if (channel) {
      const text = initialComment ?? '';
      this.messages.push({
        channel,
        ts: this.nextTs(),
        text,
        user: who.botUserId,
        bot_id: who.botId,
        team: who.workspace,
        files,
        history: [text],
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
    }
    return { ok: true, files: files.map((f) => ({ id: f.id, name: f.name, title: f.title, size: f.size })) };
  }

  /** Slack's answer to a token without the scope a method needs. */
  #missingScope(scope: string, who: TokenInfo): Record<string, unknown> | undefined {
    const scopes = who.scopes ?? this.scopes;
    if (scopes.includes(scope)) return undefined;
    return { ok: false, error: 'missing_scope', needed: scope, provided: scopes.join(',') };
  }

  async #serveFile(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const download: FileDownload = { path: url.pathname, authorization: req.headers.authorization, sent: 0 };
    this.downloads.push(download);
    const [, fileTeam = '', id = ''] = /\/files-pri\/([A-Z0-9]+)-([A-Z0-9]+)\//.exec(url.pathname) ?? [];
    const redirect = this.redirects.get(id);
    if (redirect) {
      res.writeHead(302, { location: redirect });
      res.end();
      return;
    }
    const who = this.tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    // Another workspace's token, a revoked one, or none: Slack's sign-in page, as for anyone not signed in there.
    if (!who || who.revoked || !this.#seesTeam(who, fileTeam) || !(who.scopes ?? this.scopes).includes('files:read')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(SIGN_IN_PAGE);
      return;
    }
    const hosted = this.files.get(id);
    if (!hosted) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    const size = hosted.path ? statSync(hosted.path).size : (hosted.bytes?.length ?? 0);
    const transfer = hosted.transfer;
    if (!transfer) {
      res.writeHead(200, {
        'content-type': hosted.file.mimetype || 'application/octet-stream',
        'content-length': size,
      });
      res.on('finish', () => {
        download.sent = size;
        download.outcome = 'sent';
      });
      if (hosted.path) createReadStream(hosted.path).pipe(res);
      else res.end(hosted.bytes);
      return;
    }
    if (transfer.delayMs) await new Promise((r) => setTimeout(r, transfer.delayMs));
    if (res.destroyed) {
      download.outcome = 'cut';
      return;
    }
    const headers: Record<string, string | number> = {
      'content-type': hosted.file.mimetype || 'application/octet-stream',
    };
    if (!transfer.stream && !transfer.noLength) headers['content-length'] = size;
    res.writeHead(200, headers);
    const source =
      transfer.stream?.() ??
      (hosted.path ? createReadStream(hosted.path) : Readable.from([hosted.bytes ?? Buffer.alloc(0)]));
    res.on('close', () => {
      download.outcome = res.writableFinished ? 'sent' : 'cut';
      source.destroy();
    });
    // Written piece by piece with back-pressure, so that `sent` counts what the client let through.
    await this.#send(source, res, download, transfer).catch(() => res.destroy());
  }

  async #send(source: Readable, res: ServerResponse, download: FileDownload, transfer: Transfer): Promise<void> {
    for await (const chunk of source) {
      const pieces = transfer.trickle ? split(chunk as Buffer, transfer.trickle.bytes) : [chunk as Buffer];
      for (const piece of pieces) {
        if (res.destroyed) return;
        if (transfer.trickle) await new Promise((r) => setTimeout(r, transfer.trickle?.everyMs));
        if (res.destroyed) return;
        download.sent += piece.length;
        if (!res.write(piece)) {
          // Whichever comes first; the other listener goes too, or a long download piles them up on `res`.
          await new Promise<void>((r) => {
            const done = () => {
              res.off('drain', done);
              res.off('close', done);
              r();
            };
            res.once('drain', done);
            res.once('close', done);
          });
        }
      }
    }
    if (!res.destroyed) res.end();
  }
}

function split(chunk: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < chunk.length; at += size) pieces.push(chunk.subarray(at, at + size));
  return pieces;
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(text);
}

async function readArgs(req: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  if ((req.headers['content-type'] ?? '').includes('application/json')) return raw ? JSON.parse(raw) : {};
  const args: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    args[k] = /^[[{]/.test(v) ? safeJson(v) : v;
  }
  return args;
}

/** The bytes of an upload: the first file part of a multipart form, or the raw body. */
async function readUploadBody(req: IncomingMessage): Promise<Buffer> {
  if (!(req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  return new Promise((resolve, reject) => {
    let found: Buffer | undefined;
    const parser = busboy({ headers: req.headers, limits: { fileSize: Number.MAX_SAFE_INTEGER } });
    parser.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        found ??= Buffer.concat(chunks);
      });
    });
    parser.on('close', () => (found ? resolve(found) : reject(new Error('no file part'))));
    parser.on('error', reject);
    req.pipe(parser);
  });
}

function parseJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

function safeJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * Slack's documented limits on a view (views.publish, views.open): at most 100 blocks; a section's text 1 to 3,000
 * characters, a header's at most 150, a button's at most 75; every block known.
 */
function checkView(view: SlackView): string | undefined {
  if (!Array.isArray(view.blocks) || view.blocks.length > 100) return 'invalid_blocks';
  const KNOWN = new Set(['section', 'header', 'divider', 'context', 'actions', 'input']);
  for (const b of view.blocks as {
    type: string;
    text?: { text?: string };
    accessory?: { type?: string; text?: { text?: string } };
    elements?: { type?: string; text?: string | { text?: string } }[];
  }[]) {
    if (!KNOWN.has(b.type)) return 'invalid_blocks';
    const text = b.text?.text ?? '';
    if (b.type === 'section' && (text.length === 0 || text.length > 3000)) return 'invalid_blocks';
    if (b.type === 'header' && (text.length === 0 || text.length > 150)) return 'invalid_blocks';
    if (b.accessory?.type === 'button' && (b.accessory.text?.text ?? '').length > 75) return 'invalid_blocks';
  }
  return undefined;
}

/** Slack's documented limits on blocks. */
function checkBlocks(blocks: unknown): string | undefined {
  if (blocks === undefined) return undefined;
  if (!Array.isArray(blocks)) return 'invalid_blocks';
  if (blocks.length > 50) return 'invalid_blocks';
  let total = 0;
  for (const b of blocks as { type: string; text?: { text: string }; elements?: { text?: string }[] }[]) {
    const text = b.text?.text ?? '';
    if (b.type === 'section' && (text.length === 0 || text.length > 3000)) return 'invalid_blocks';
    total += text.length + (b.elements ?? []).reduce((n, e) => n + (e.text?.length ?? 0), 0);
  }
  return total > 13_000 ? 'msg_blocks_too_long' : undefined;
}
