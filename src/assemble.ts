import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { findFfmpeg } from './audio/ffmpeg.ts';
import { createWorkdir, sweepStale } from './audio/workdir.ts';
import { type Config, deriveSecret, workspaceWebhookUrl } from './config.ts';
import { errorMessage } from './errors.ts';
import { HomeTab } from './home/index.ts';
import { SLACK_RATES, type SlackRates, TIMINGS, type Timings } from './limits.ts';
import { boltLogger, type Logger, onceIn } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { Foreground } from './pipeline/foreground.ts';
import { createPipeline, type Pipeline } from './pipeline/index.ts';
import { bullQueue, ioredisConnection } from './pipeline/queue/bullmq.ts';
import type { RelayQueue } from './pipeline/queue/index.ts';
import { sqliteQueue } from './pipeline/queue/sqlite.ts';
import type { CallbackLimits } from './pipeline/results.ts';
import type { SpeechProvider } from './providers/index.ts';
import { SlackBudget } from './slack/budget.ts';
import { slackHosts } from './slack/download.ts';
import { UserLanguages } from './slack/users.ts';
import type { Store } from './store/index.ts';
import { redisStore } from './store/redis.ts';
import { openDatabase, sqliteStore } from './store/sqlite.ts';
import { DAY_MS } from './time.ts';
import { Cipher } from './workspaces/cipher.ts';
import { type DistributionWorkspaces, distributionWorkspaces } from './workspaces/distribution.ts';
import { singleWorkspace, type Workspaces } from './workspaces/index.ts';
import { Settings } from './workspaces/settings.ts';

/** What tests change: shorter durations, smaller caps, another temp folder. Production passes nothing. */
export interface Overrides {
  timings?: Partial<Timings>;
  limits?: CallbackLimits;
  /** Slack's rates the app spends its calls by (a local Slack that enforces smaller limits, to be quick). */
  slackRates?: Partial<SlackRates>;
  /** The folder under which the app's private temporary folder is made (the system's temp folder by default). */
  tmpBase?: string;
}

/** Every part of the app, built from its configuration. */
export interface Parts {
  store: Store;
  queue: RelayQueue;
  provider: SpeechProvider;
  workspaces: Workspaces;
  /** Each workspace's settings, as its admins chose them in the Home tab. */
  settings: Settings;
  /** Distribution mode: the same workspaces, with their installations (Bolt's installation store). */
  distribution?: DistributionWorkspaces;
  metrics: Metrics;
  pipeline: Pipeline;
  home: HomeTab;
  languages: UserLanguages;
  timings: Timings;
  foreground: Foreground;
  close(): Promise<void>;
}

/** The name of the embedded store's file in DATA_DIR. */
export const DATABASE_FILE = 'transcriber.db';

export async function assemble(config: Config, log: Logger, overrides: Overrides = {}): Promise<Parts> {
  const timings: Timings = { ...TIMINGS, ...overrides.timings };
  // Folders (and ffmpeg children) a killed process left behind; then this process's own private folder.
  for (const swept of await sweepStale(overrides.tmpBase)) log.info('removed a stale temporary folder', { ...swept });
  const workdir = await createWorkdir(overrides.tmpBase);
  const instanceId = randomUUID();
  const queueOptions = {
    concurrency: config.relayConcurrency,
    retryDelaysMs: timings.retryDelaysMs,
    lockMs: config.jobLockMs,
    log: log.child({ component: 'queue' }),
  };
  let store: Store;
  let queue: RelayQueue;
  let db: DatabaseSync | undefined;
  let budgetRedis: ReturnType<typeof ioredisConnection> | undefined;
  if (config.redisUrl) {
    store = await redisStore({ url: config.redisUrl, prefix: config.redisPrefix, tlsVerify: config.redisTlsVerify });
    queue = bullQueue({
      ...queueOptions,
      redisUrl: config.redisUrl,
      tlsVerify: config.redisTlsVerify,
      prefix: `${config.redisPrefix}bull`,
    });
    // A connection of its own, that gives up on a command when Redis is gone (the call then goes ahead).
    budgetRedis = ioredisConnection(config.redisUrl, config.redisTlsVerify, { maxRetriesPerRequest: 1 });
    const warn = onceIn(10_000, log);
    budgetRedis.on('error', (err) => warn('Slack budget connection error', { error: err.message }));
  } else {
    const database = openDatabase(join(config.dataDir, DATABASE_FILE));
    db = database;
    store = await sqliteStore({ path: '', db: database });
    queue = sqliteQueue({ ...queueOptions, db: database, instanceId });
  }
  const settings = new Settings(store, {
    lang: config.appLanguage,
    retentionDays: Math.round(config.retentionMs / DAY_MS),
  });
  const provider = config.provider.create({ timeoutMs: timings.providerTimeoutMs });
  // The workspaces are counted when /metrics is read, once they exist.
  const metrics = createMetrics(
    () => queue.counts(),
    () => workspaces.installedCount(),
  );
  const budgetWarn = onceIn(10_000, log);
  // On Redis every instance spends one budget; the embedded store serves one instance, whose memory holds it.
  const budget = new SlackBudget({
    rates: { ...SLACK_RATES, ...overrides.slackRates },
    historyLimited: config.slackHistoryLimited,
    redis: budgetRedis ? { client: budgetRedis, prefix: config.redisPrefix } : undefined,
    onRateLimited: (method) => metrics.slackRateLimited.inc({ method }),
    onError: (err) => budgetWarn('Slack budget unavailable, calling without it', { error: errorMessage(err) }),
  });
  const clients = { slackApiUrl: config.slackApiUrl, logger: boltLogger(log, config.logLevel), budget };
  const distribution =
    config.slack.mode === 'distribution'
      ? distributionWorkspaces({
          store,
          cipher: new Cipher(config.slack.encryptionKey, config.slack.previousEncryptionKey),
          defaultKey: config.provider.account?.apiKey,
          retentionMs: (workspace) => settings.retentionMs(workspace),
          clients,
          provider,
          webhookUrlOf: (workspace) => workspaceWebhookUrl(config, workspace),
          fingerprintKey: deriveSecret(config.slackSigningSecret, 'provider-key-fingerprint'),
          log: log.child({ component: 'workspaces' }),
        })
      : undefined;
  const workspaces: Workspaces =
    distribution ??
    singleWorkspace({
      store,
      token: config.slack.mode === 'single' ? config.slack.botToken : '',
      apiKey: config.provider.account?.apiKey ?? '',
      settings,
      clients,
    });
  const foreground = new Foreground();
  const languages = new UserLanguages((ws) => workspaces.slack(ws), store, config.appLanguage);
  const home = new HomeTab({
    store,
    workspaces,
    settings,
    languages,
    provider: provider.name,
    gapMs: timings.homeGapMs,
    log: log.child({ component: 'home' }),
  });
  const pipeline = createPipeline({
    foreground,
    store,
    queue,
    workspaces,
    settings,
    languages,
    changes: home,
    provider,
    metrics,
    log,
    instanceId,
    trackingKey: deriveSecret(config.slackSigningSecret, 'tracking-id'),
    lang: config.appLanguage,
    callbackTimeoutMs: config.callbackTimeoutMs,
    timings,
    limits: overrides.limits,
    relay: {
      isSlackHost: slackHosts(config.slackApiUrl),
      maxAudioBytes: config.maxAudioBytes,
      maxAudioSeconds: config.maxAudioSeconds,
      ffmpegPath: findFfmpeg(config.ffmpegPath).path,
      workdir,
      downloadDeadlineMs: timings.downloadDeadlineMs,
      conversionTimeoutMs: timings.conversionTimeoutMs,
    },
  });
  return {
    store,
    queue,
    provider,
    workspaces,
    settings,
    ...(distribution ? { distribution } : {}),
    metrics,
    pipeline,
    home,
    timings,
    foreground,
    languages,
    close: async () => {
      home.stop();
      await workdir.remove();
      await provider.close();
      await store.close();
      if (budgetRedis) await budgetRedis.quit().catch(() => budgetRedis?.disconnect());
      if (db?.isOpen) db.close();
    },
  };
}
