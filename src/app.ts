import type { Server } from 'node:http';
import { App, ErrorCode, HTTPReceiver, type HTTPReceiverOptions } from '@slack/bolt';
import { assemble, type Overrides, type Parts } from './assemble.ts';
import { type Config, oauthRedirectUrl, webhookUrl, workspaceWebhookSecret } from './config.ts';
import { healthProofKey, healthRoute } from './http/health.ts';
import { INSTALL_PATH, installPages, installRoutes, REDIRECT_PATH } from './http/install.ts';
import { metricsRoute } from './http/metrics.ts';
import { createHttpServer } from './http/server.ts';
import { webhookRoute, workspaceWebhookRoute } from './http/webhook.ts';
import { LIMITS } from './limits.ts';
import { registerListeners } from './listeners/index.ts';
import { boltLogger, type Logger } from './log.ts';
import type { Pipeline } from './pipeline/index.ts';
import type { RelayQueue } from './pipeline/queue/index.ts';
import type { SpeechProvider } from './providers/index.ts';
import { REQUIRED_SCOPES } from './slack/scopes.ts';
import type { Store } from './store/index.ts';
import { OAuthStates } from './workspaces/oauth-state.ts';

export type { Overrides } from './assemble.ts';

export interface RunningApp {
  port: number;
  pipeline: Pipeline;
  store: Store;
  queue: RelayQueue;
  /** Stops taking requests and work, finishes what it can, closes connections. */
  stop(): Promise<void>;
}

/** Wires the app from its configuration, starts the one HTTP server and, unless ROLE=web, the queue's workers. */
export async function startApp(config: Config, log: Logger, overrides: Overrides = {}): Promise<RunningApp> {
  const parts = await assemble(config, log, overrides);
  try {
    await checkDistribution(parts, log);
  } catch (err) {
    await parts.close();
    throw err;
  }
  const web = config.role !== 'worker';
  const receiver = new HTTPReceiver({
    signingSecret: config.slackSigningSecret,
    logger: boltLogger(log, config.logLevel),
    bodyLimit: LIMITS.slackBodyBytes,
    // Slack gets its answer once the listeners are done: an event's listener returns only when its memo is durably
    // queued (src/listeners/events/file-share.ts). Listeners that answer a person (commands, shortcuts, buttons)
    // acknowledge first and do their work after returning.
    processBeforeResponse: true,
    ...installerOptions(config, parts, log),
  });
  const bolt = new App({
    // Distribution mode: no token; Bolt's installer authorizes each request from its workspace's installation.
    ...(config.slack.mode === 'single' ? { token: config.slack.botToken } : {}),
    receiver,
    logger: boltLogger(log, config.logLevel),
    clientOptions: { slackApiUrl: config.slackApiUrl },
    deferInitialization: true,
  });
  if (web) registerListeners(bolt, { ...parts, lang: config.appLanguage, provider: parts.provider.name, log });
  // A listener that fails is logged and its request fails (500): an event whose memo could not be stored is sent
  // again by Slack, which is what keeps it. Listeners that answer a person have acknowledged before their work, and
  // that work reports its own failures in Slack (src/listeners/context.ts `afterAck`).
  bolt.error(async (err) => {
    // A request from a workspace that has no installation (never installed, or uninstalled): answered 200, since
    // Slack sending it again would change nothing.
    if (err.code === ErrorCode.AuthorizationError) {
      log.info('a request from a workspace without an installation, ignored', { error: err.message });
      return;
    }
    log.error('listener failed', { error: err.message });
    throw err;
  });
  await bolt.init();
  const server = createHttpServer({
    slack: web ? receiver.requestListener : undefined,
    routes: [
      healthRoute(parts.store, healthProofKey(config.slackSigningSecret)),
      metricsRoute(parts.metrics, config.metricsToken),
      ...(web && parts.provider.results.kind === 'callback'
        ? [
            webhookRoute({
              providerId: parts.provider.id,
              secret: config.webhookSecret,
              bodyDeadlineMs: parts.timings.callbackBodyDeadlineMs,
              results: parts.pipeline.results,
              metrics: parts.metrics,
              log: log.child({ component: 'webhook' }),
            }),
            ...(config.slack.mode === 'distribution'
              ? [
                  workspaceWebhookRoute({
                    providerId: parts.provider.id,
                    secretOf: (workspace) => workspaceWebhookSecret(config.webhookSecret, workspace),
                    bodyDeadlineMs: parts.timings.callbackBodyDeadlineMs,
                    results: parts.pipeline.results,
                    metrics: parts.metrics,
                    log: log.child({ component: 'webhook' }),
                  }),
                ]
              : []),
          ]
        : []),
      ...(web && receiver.installer ? installRoutes(receiver.requestListener) : []),
    ],
    slackBodyLimit: LIMITS.slackBodyBytes,
    slackSigningSecret: config.slackSigningSecret,
    slackBodyDeadlineMs: parts.timings.slackBodyDeadlineMs,
    proxyHops: config.proxyHops,
    foreground: parts.foreground,
    log,
  });
  const port = await listen(server, config.port);
  log.info('listening', { port, role: config.role, store: parts.store.kind, queue: parts.queue.kind });
  parts.pipeline.start({ work: config.role !== 'web' });
  if (web) await registerCallback(config, parts.provider, log);
  if (web && parts.distribution) {
    const { registered, failed } = await parts.distribution.reregister();
    if (registered + failed > 0)
      log.info("workspaces' webhooks registered at their new address", { registered, failed });
  }
  return {
    port,
    pipeline: parts.pipeline,
    store: parts.store,
    queue: parts.queue,
    stop: async () => {
      if (server.stopping) return;
      server.stopping = true;
      const closed = new Promise((resolve) => server.close(resolve));
      await parts.pipeline.stop(parts.timings.drainMs);
      await Promise.race([parts.pipeline.replies.idle(), new Promise((r) => setTimeout(r, 3000).unref())]);
      parts.pipeline.replies.close();
      server.closeAllConnections();
      await closed;
      await parts.close();
      log.info('stopped');
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Distribution mode's checks at start: every installation's token and every workspace key opens with the configured
 * keys (what the previous key sealed is sealed again with the current one); when there are installations and none
 * opens, ENCRYPTION_KEY is the wrong key, and the start is refused with the reason.
 */
async function checkDistribution(parts: Parts, log: Logger): Promise<void> {
  if (!parts.distribution) return;
  const { installations, resealed, unreadable } = await parts.distribution.checkSecrets();
  if (resealed > 0) log.info('secrets sealed again with the current ENCRYPTION_KEY', { resealed });
  if (unreadable.length > 0)
    log.error('some workspaces cannot be served: their secrets do not open with ENCRYPTION_KEY', {
      workspaces: unreadable.length,
    });
  log.info('distribution mode', { installations, store: parts.store.kind });
}

/**
 * Distribution mode: Bolt's installer (its InstallProvider, held by the HTTPReceiver, whose own server is never
 * started), with the app's installation store, state store, pages and Slack's authorize URL beside SLACK_API_URL.
 */
function installerOptions(config: Config, parts: Parts, log: Logger): Partial<HTTPReceiverOptions> {
  const { slack, publicUrl } = config;
  if (slack.mode !== 'distribution' || !parts.distribution || !publicUrl) return {};
  const redirectUri = oauthRedirectUrl(publicUrl);
  const installOptions = { scopes: [...REQUIRED_SCOPES], redirectUri };
  return {
    clientId: slack.clientId,
    clientSecret: slack.clientSecret,
    stateSecret: slack.stateSecret,
    redirectUri,
    scopes: [...REQUIRED_SCOPES],
    installationStore: parts.distribution.installationStore,
    installerOptions: {
      installPath: INSTALL_PATH,
      redirectUriPath: REDIRECT_PATH,
      directInstall: slack.directInstall,
      stateStore: new OAuthStates({
        secret: slack.stateSecret,
        store: parts.store,
        lifetimeMs: parts.timings.oauthStateMs,
        options: () => installOptions,
      }),
      stateCookieExpirationSeconds: Math.ceil(parts.timings.oauthStateMs / 1000),
      authorizationUrl: new URL('../oauth/v2/authorize', config.slackApiUrl).href,
      clientOptions: { slackApiUrl: config.slackApiUrl },
      ...installPages({
        lang: config.appLanguage,
        slackApiUrl: config.slackApiUrl,
        beforeStore: (workspace) => parts.pipeline.uninstalls.beforeInstall(workspace),
        log: log.child({ component: 'install' }),
      }),
    },
  };
}

/** Tells the provider where to send results; one clear line either way. */
async function registerCallback(config: Config, provider: SpeechProvider, log: Logger): Promise<void> {
  if (provider.results.kind !== 'callback') return;
  // Distribution mode without OMICALL_API_KEY: each workspace registers its own webhook with its own key.
  if (config.slack.mode === 'distribution' && !config.provider.account) return;
  const url = webhookUrl(config);
  if (!url) {
    log.warn(
      `PUBLIC_URL is not set: the ${provider.name} webhook was not registered, so transcripts will not arrive unless it was registered before`,
    );
    return;
  }
  const shown = url.replace(config.webhookSecret, '…');
  const result = await provider.results.register(url, {
    apiKey: config.provider.account?.apiKey ?? '',
    source: 'default',
  });
  if (result.ok) log.info(`${provider.name} webhook registered`, { url: shown });
  else
    log.error(`${provider.name} refused the webhook registration (${result.error}): ${provider.diagnose(result)}`, {
      url: shown,
      error: result.error,
    });
}
