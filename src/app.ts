import type { Server } from 'node:http';
import { App, HTTPReceiver } from '@slack/bolt';
import { assemble, type Overrides } from './assemble.ts';
import { type Config, webhookUrl } from './config.ts';
import { healthProofKey, healthRoute } from './http/health.ts';
import { metricsRoute } from './http/metrics.ts';
import { createHttpServer } from './http/server.ts';
import { webhookRoute } from './http/webhook.ts';
import { LIMITS } from './limits.ts';
import { registerListeners } from './listeners/index.ts';
import { boltLogger, type Logger } from './log.ts';
import type { Pipeline } from './pipeline/index.ts';
import type { SpeechProvider } from './providers/index.ts';
import type { Store } from './store/index.ts';

export type { Overrides } from './assemble.ts';

export interface RunningApp {
  port: number;
  pipeline: Pipeline;
  store: Store;
  /** Stops taking requests and work, finishes what it can, closes connections. */
  stop(): Promise<void>;
}

/** Wires the app from its configuration, starts the one HTTP server and, unless ROLE=web, the queue's workers. */
export async function startApp(config: Config, log: Logger, overrides: Overrides = {}): Promise<RunningApp> {
  const parts = await assemble(config, log, overrides);
  const web = config.role !== 'worker';
  const receiver = new HTTPReceiver({
    signingSecret: config.slackSigningSecret,
    logger: boltLogger(log, config.logLevel),
    bodyLimit: LIMITS.slackBodyBytes,
    // Slack gets its answer once the listeners are done: an event's listener returns only when its memo is durably
    // queued (src/listeners/events/file-share.ts). Listeners that answer a person (commands, shortcuts, buttons)
    // acknowledge first and do their work after returning.
    processBeforeResponse: true,
  });
  const bolt = new App({
    token: config.slackBotToken,
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
          ]
        : []),
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
  return {
    port,
    pipeline: parts.pipeline,
    store: parts.store,
    stop: async () => {
      if (server.stopping) return;
      server.stopping = true;
      const closed = new Promise((resolve) => server.close(resolve));
      await parts.pipeline.stop(parts.timings.drainMs);
      await Promise.race([parts.pipeline.replies.idle(), new Promise((r) => setTimeout(r, 3000).unref())]);
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

/** Tells the provider where to send results; one clear line either way. */
async function registerCallback(config: Config, provider: SpeechProvider, log: Logger): Promise<void> {
  if (provider.results.kind !== 'callback') return;
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
