import type { Server } from 'node:http';
import { App, HTTPReceiver, webApi } from '@slack/bolt';
import { findFfmpeg } from './audio/ffmpeg.ts';
import { type Config, deriveSecret, webhookUrl } from './config.ts';
import { healthRoute } from './http/health.ts';
import { webhookRoute } from './http/webhook.ts';
import { listenForCommands } from './listeners/commands/transcribe.ts';
import { listenForFileShares } from './listeners/events/file-share.ts';
import { boltLogger, type Logger } from './log.ts';
import { Transcriber } from './pipeline/relay.ts';
import { ReplyWriter } from './pipeline/thread.ts';
import { createOmicallClient, type OmicallClient } from './providers/omicall/client.ts';
import { slackHosts } from './slack/download.ts';
import { createStore, type Store } from './store/index.ts';

/** Knobs tests turn down; production uses the defaults. */
export interface Tuning {
  retryDelaysMs?: number[];
  omicallTimeoutMs?: number;
  coalesceMs?: number;
  /** How long SIGTERM waits for accepted files before telling their threads. */
  drainMs?: number;
  /** Where converted files wait for ffmpeg (the system's temp folder by default). */
  tmpDir?: string;
}

export interface RunningApp {
  port: number;
  server: Server;
  store: Store;
  transcriber: Transcriber;
  replies: ReplyWriter;
  /** Stops taking requests and work, finishes what it can, closes connections. */
  stop(): Promise<void>;
}

/** Wires the app from its configuration and starts the one HTTP server. */
export async function startApp(config: Config, log: Logger, tuning: Tuning = {}): Promise<RunningApp> {
  const store = await createStore({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    tlsVerify: config.redisTlsVerify,
  });
  const slack = new webApi.WebClient(config.slackBotToken, {
    slackApiUrl: config.slackApiUrl,
    logger: boltLogger(log, config.logLevel),
  });
  const omicall = createOmicallClient({
    baseUrl: config.omicallApiUrl,
    apiKey: config.omicallApiKey,
    timeoutMs: tuning.omicallTimeoutMs,
  });
  const trackingKey = deriveSecret(config.slackSigningSecret, 'tracking-id');
  const replies = new ReplyWriter({ store, slack, log, coalesceMs: tuning.coalesceMs });
  const transcriber = new Transcriber({
    store,
    slack,
    omicall,
    replies,
    log,
    trackingKey,
    slackToken: config.slackBotToken,
    isSlackHost: slackHosts(config.slackApiUrl),
    maxAudioBytes: config.maxAudioBytes,
    concurrency: config.relayConcurrency,
    ffmpegPath: findFfmpeg(config.ffmpegPath).path,
    retryDelaysMs: tuning.retryDelaysMs,
    tmpDir: tuning.tmpDir,
  });

  let stopping = false;
  const receiver = new HTTPReceiver({
    signingSecret: config.slackSigningSecret,
    logger: boltLogger(log, config.logLevel),
    customRoutes: [
      webhookRoute({
        secret: config.webhookSecret,
        trackingKey,
        store,
        replies,
        log: log.child({ component: 'webhook' }),
      }),
      healthRoute(store, () => stopping),
    ],
  });
  const app = new App({
    token: config.slackBotToken,
    receiver,
    logger: boltLogger(log, config.logLevel),
    clientOptions: { slackApiUrl: config.slackApiUrl },
    deferInitialization: true,
  });
  const fileShares = listenForFileShares(app, { transcriber, store, slack, log });
  listenForCommands(app, { transcriber, store, slack, log });
  await app.init();

  const server = (await app.start(config.port)) as Server;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info('listening', { port, store: config.redisUrl ? 'redis' : 'memory' });
  await registerWebhook(config, omicall, log);

  return {
    port,
    server,
    store,
    transcriber,
    replies,
    stop: async () => {
      if (stopping) return;
      stopping = true;
      const closed = app.stop();
      await fileShares.flush();
      await transcriber.stop(tuning.drainMs ?? 20_000);
      await Promise.race([replies.idle(), new Promise((r) => setTimeout(r, 3000).unref())]);
      server.closeAllConnections();
      await closed.catch(() => {});
      await omicall.close();
      await store.close();
      log.info('stopped');
    },
  };
}

/** Tells OMICall where to send results; one clear line either way. */
async function registerWebhook(config: Config, omicall: OmicallClient, log: Logger): Promise<void> {
  const url = webhookUrl(config);
  if (!url) {
    log.warn(
      'PUBLIC_URL is not set: the OMICall webhook was not registered, so transcripts will not arrive unless it was registered before',
    );
    return;
  }
  const shown = url.replace(config.webhookSecret, '…');
  const result = await omicall.registerWebhook(url);
  if (result.ok) log.info('OMICall webhook registered', { url: shown });
  else
    log.error(`OMICall refused the webhook registration (${result.error}): check OMICALL_API_KEY and OMICALL_API_URL`, {
      url: shown,
      error: result.error,
    });
}
