import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { HTTPReceiverOptions, Installation } from '@slack/bolt';
import { webApi } from '@slack/bolt';
import { OAuthStateError } from '../errors.ts';
import { type InstallFailure, type Lang, langOfLocale, messages } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { InstallationRefused } from '../workspaces/distribution.ts';
import type { Route, RouteCall } from './server.ts';

/** Where "Add to Slack" starts, and where Slack sends the installer back. */
export const INSTALL_PATH = '/slack/install';
export const REDIRECT_PATH = '/slack/oauth_redirect';

type InstallerOptions = NonNullable<HTTPReceiverOptions['installerOptions']>;
type CallbackOptions = NonNullable<InstallerOptions['callbackOptions']>;

export interface InstallPagesOptions {
  /** The app's language, for installers whose browser asks for none the app speaks. */
  lang: Lang;
  /** Slack's Web API (SLACK_API_URL), to revoke a token the app will not keep. */
  slackApiUrl: string;
  /** Runs before an installation is stored (an uninstallation of the workspace still under way is finished). */
  beforeStore: (workspace: string) => Promise<void>;
  log: Logger;
}

/**
 * `GET /slack/install` and `GET /slack/oauth_redirect`, served by Bolt's installer (its InstallProvider, which the
 * HTTPReceiver holds) behind the app's own HTTP server: the install page (or, with SLACK_INSTALL_DIRECT, straight to
 * Slack), the `state` given to the browser in a cookie and to Slack in the link, checked when Slack sends the installer
 * back (this browser's, signed, not expired, not used before: src/workspaces/oauth-state.ts), the code exchanged with
 * `oauth.v2.access`, the installation stored (src/workspaces/distribution.ts), and a page that says what to do next.
 * Whatever fails (cancelled, a forged, expired or reused state, Slack refusing the code) ends on a plain page, with
 * nothing stored.
 */
export function installRoutes(listener: RequestListener): Route[] {
  const handler = ({ req, res }: RouteCall) => listener(req, res);
  return [
    { path: INSTALL_PATH, method: 'GET', handler },
    { path: REDIRECT_PATH, method: 'GET', handler },
  ];
}

/** The installer's pages and what happens around the exchange: Bolt's `installerOptions` of this app. */
export function installPages(o: InstallPagesOptions): Pick<
  InstallerOptions,
  'renderHtmlForInstallPath' | 'installPathOptions'
> & {
  callbackOptions: CallbackOptions;
} {
  return {
    installPathOptions: {
      beforeRedirection: async (_req, res) => {
        pageHeaders(res);
        return true;
      },
    },
    // Bolt hands the page only the URL: it is in the app's language (APP_LANGUAGE).
    renderHtmlForInstallPath: (url) => installPage(url, o.lang),
    callbackOptions: {
      afterInstallation: async (installation, _options, req, res) => {
        const lang = pageLang(req, o.lang);
        const refusal = refusalOf(installation);
        if (refusal) {
          o.log.warn('installation refused', { reason: refusal });
          await revoke(installation.bot?.token, o.slackApiUrl, o.log);
          failurePage(res, refusal, lang);
          return false;
        }
        const workspace = installation.isEnterpriseInstall ? installation.enterprise?.id : installation.team?.id;
        if (workspace) await o.beforeStore(workspace);
        return true;
      },
      success: (installation, _options, req, res) => {
        const lang = pageLang(req, o.lang);
        const t = messages(lang).installPages;
        const team = installation.isEnterpriseInstall ? installation.enterprise?.name : installation.team?.name;
        const open =
          installation.appId && installation.team?.id
            ? `slack://app?team=${encodeURIComponent(installation.team.id)}&id=${encodeURIComponent(installation.appId)}&tab=home`
            : undefined;
        page(
          res,
          200,
          lang,
          t.installedTitle,
          [
            `<h1>${escapeHtml(t.installedTitle)}</h1>`,
            `<p>${escapeHtml(t.installedIn({ team: team ?? '' }))}</p>`,
            `<h2>${escapeHtml(t.nextTitle)}</h2>`,
            `<ol>${t.nextSteps.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ol>`,
            installation.isEnterpriseInstall ? `<p>${escapeHtml(t.orgNote)}</p>` : '',
            open ? `<p><a class="button" href="${escapeHtml(open)}">${escapeHtml(t.openSlack)}</a></p>` : '',
          ].join(''),
        );
      },
      failure: (error, _options, req, res) => {
        const reason = failureOf(error);
        o.log.warn('installation did not complete', { reason, error: error.code });
        failurePage(res, reason, pageLang(req, o.lang));
      },
    },
  };
}

/** An installation the app does not keep: one with a rotating token, or without a bot. */
function refusalOf(installation: Installation): InstallFailure | undefined {
  if (!installation.bot?.token) return 'no-bot';
  if (installation.bot.refreshToken !== undefined || installation.bot.expiresAt !== undefined) return 'token-rotation';
  return undefined;
}

/** What went wrong, as the installer is told. */
function failureOf(error: Error & { code?: string }): InstallFailure {
  if (error instanceof OAuthStateError) return error.reason === 'reused' ? 'reused' : error.reason;
  if (error instanceof InstallationRefused) return error.reason;
  switch (error.code) {
    case 'slack_oauth_installer_authorization_error':
      return 'denied';
    // Not the state this browser was given (its cookie), or none at all: another browser's link, or a forged one.
    case 'slack_oauth_invalid_state':
    case 'slack_oauth_missing_state':
    case 'slack_oauth_missing_code':
      return 'forged';
  }
  // Slack refused the code (used already, expired) or could not be reached.
  const slack = (error as { data?: { error?: string } }).data?.error;
  if (slack === 'invalid_code' || slack === 'code_already_used' || slack === 'code_expired') return 'expired';
  return 'failed';
}

/** The token of an installation the app refused, given back to Slack, so that no half-installed app is left. */
async function revoke(token: string | undefined, slackApiUrl: string, log: Logger): Promise<void> {
  if (!token) return;
  try {
    await new webApi.WebClient(token, { slackApiUrl, retryConfig: { retries: 0 } }).auth.revoke();
  } catch (err) {
    log.warn('could not give back the token of a refused installation', { error: (err as Error).message });
  }
}

function failurePage(res: ServerResponse, reason: InstallFailure, lang: Lang): void {
  const t = messages(lang).installPages;
  const status = reason === 'failed' ? 502 : 400;
  page(
    res,
    status,
    lang,
    t.failedTitle,
    [
      `<h1>${escapeHtml(t.failedTitle)}</h1>`,
      `<p>${escapeHtml(t.failure(reason))}</p>`,
      reason === 'token-rotation' || reason === 'no-bot'
        ? ''
        : `<p><a class="button" href="${INSTALL_PATH}">${escapeHtml(t.tryAgain)}</a></p>`,
    ].join(''),
  );
}

/** The install page: what the app does, and the Add to Slack button (a plain link, nothing loaded from elsewhere). */
function installPage(url: string, lang: Lang): string {
  const t = messages(lang).installPages;
  return html(
    lang,
    t.installTitle,
    [
      `<h1>${escapeHtml(t.installTitle)}</h1>`,
      `<p>${escapeHtml(t.installIntro)}</p>`,
      `<p><a class="button" href="${escapeHtml(url)}">${escapeHtml(t.addToSlack)}</a></p>`,
      `<p class="small">${escapeHtml(t.installNote)}</p>`,
    ].join(''),
  );
}

function page(res: ServerResponse, status: number, lang: Lang, title: string, body: string): void {
  if (res.headersSent) return;
  pageHeaders(res);
  const text = html(lang, title, body);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Nothing on these pages is loaded from elsewhere or framed; the redirect's URL (its code and state) is never sent on
 * as a referrer; nothing is cached.
 */
function pageHeaders(res: ServerResponse): void {
  res.setHeader(
    'content-security-policy',
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('cache-control', 'no-store');
}

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#1d1c1d}' +
  '.button{display:inline-block;background:#4a154b;color:#fff;padding:.6em 1.2em;border-radius:6px;text-decoration:none;font-weight:600}' +
  '.small{color:#616061;font-size:.9em}';

function html(lang: Lang, title: string, body: string): string {
  return `<!DOCTYPE html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** The language of the installer's browser (`Accept-Language`, its first choice the app speaks), else the app's. */
function pageLang(req: IncomingMessage, fallback: Lang): Lang {
  const header = String(req.headers['accept-language'] ?? '').slice(0, 200);
  for (const part of header.split(',')) {
    const found = langOfLocale(part.split(';')[0]?.trim());
    if (found) return found;
  }
  return fallback;
}
