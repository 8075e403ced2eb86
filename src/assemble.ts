import { randomUUID } from 'node:crypto';
import { webApi } from '@slack/bolt';
import { findFfmpeg } from './audio/ffmpeg.ts';
import { createWorkdir, sweepStale } from './audio/workdir.ts';
import { type Config, deriveSecret } from './config.ts';
import { boltLogger, type Logger } from './log.ts';
import { createMetrics, type Metrics } from './metrics.ts';
import { Bursts } from './pipeline/bursts.ts';
import { DEFAULT_LIMITS, type PipelineContext } from './pipeline/context.ts';
import { createPipeline, type Pipeline } from './pipeline/index.ts';
import { bullQueue } from './pipeline/queue/bullmq.ts';
import type { JobQueue } from './pipeline/queue/index.ts';
import { memoryQueue } from './pipeline/queue/memory.ts';
import { ReplyWriter } from './pipeline/thread.ts';
import { createProvider, type SpeechProvider } from './providers/index.ts';
import { slackHosts } from './slack/download.ts';
import { UserLanguages } from './slack/users.ts';
import { createStore, DAY_MS, type Store } from './store/index.ts';

/** Knobs tests turn down; production uses the defaults. */
export interface Tuning {
  retryDelaysMs?: number[];
  omicallTimeoutMs?: number;
  coalesceMs?: number;
  /** How long SIGTERM waits for relays in flight before giving up on them. */
  drainMs?: number;
  quietMs?: number;
  lockRetryMs?: number;
  /** The reply lock's lifetime (renewed while its owner writes). */
  lockTtlMs?: number;
  conversionTimeoutMs?: number;
  downloadDeadlineMs?: number;
  /** The folder under which the app's private temporary folder is made (the system's temp folder by default). */
  tmpBase?: string;
}

/** Every part of the app, built from its configuration. */
export interface Parts {
  store: Store;
  queue: JobQueue;
  provider: SpeechProvider;
  slack: webApi.WebClient;
  metrics: Metrics;
  replies: ReplyWriter;
  bursts: Bursts;
  pipeline: Pipeline;
  languages: UserLanguages;
  close(): Promise<void>;
}

export async function assemble(config: Config, log: Logger, tuning: Tuning = {}): Promise<Parts> {
  // Folders (and ffmpeg children) a killed process left behind; then this process's own private folder.
  for (const swept of await sweepStale(tuning.tmpBase)) log.info('removed a stale temporary folder', { ...swept });
  const workdir = await createWorkdir(tuning.tmpBase);
  const store = await createStore({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    tlsVerify: config.redisTlsVerify,
  });
  const queue = config.redisUrl
    ? bullQueue({
        redisUrl: config.redisUrl,
        tlsVerify: config.redisTlsVerify,
        prefix: `${config.redisPrefix}bull`,
        concurrency: config.relayConcurrency,
        retryDelaysMs: tuning.retryDelaysMs,
        lockMs: config.jobLockMs,
        log: log.child({ component: 'queue' }),
      })
    : memoryQueue({ concurrency: config.relayConcurrency, retryDelaysMs: tuning.retryDelaysMs });
  const clientOptions = { slackApiUrl: config.slackApiUrl, logger: boltLogger(log, config.logLevel) };
  const slack = new webApi.WebClient(config.slackBotToken, clientOptions);
  // A person waits for a transcript file: give up within minutes, not the default half hour.
  const uploads = new webApi.WebClient(config.slackBotToken, {
    ...clientOptions,
    retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
  });
  const provider = createProvider({
    omicallApiUrl: config.omicallApiUrl,
    omicallApiKey: config.omicallApiKey,
    timeoutMs: tuning.omicallTimeoutMs,
  });
  const metrics = createMetrics(() => queue.counts());
  const instanceId = randomUUID();
  const bursts = new Bursts();
  const replies = new ReplyWriter({
    store,
    slack,
    log,
    metrics,
    lang: config.appLanguage,
    provider: provider.name,
    instanceId,
    quiet: () => bursts.quiet(),
    coalesceMs: tuning.coalesceMs,
    lockRetryMs: tuning.lockRetryMs,
    lockTtlMs: tuning.lockTtlMs,
  });
  const context: PipelineContext = {
    store,
    queue,
    slack,
    provider,
    replies,
    bursts,
    metrics,
    log,
    settings: {
      instanceId,
      trackingKey: deriveSecret(config.slackSigningSecret, 'tracking-id'),
      lang: config.appLanguage,
      slackToken: config.slackBotToken,
      isSlackHost: slackHosts(config.slackApiUrl),
      maxAudioBytes: config.maxAudioBytes,
      maxAudioSeconds: config.maxAudioSeconds,
      ffmpegPath: findFfmpeg(config.ffmpegPath).path,
      workdir,
      downloadDeadlineMs: tuning.downloadDeadlineMs ?? 10 * 60_000,
      conversionTimeoutMs: tuning.conversionTimeoutMs ?? 30 * 60_000,
      callbackTimeoutMs: config.callbackTimeoutMs,
      quietMs: tuning.quietMs ?? 20_000,
      callbackWindowMs: 7 * DAY_MS,
      limits: DEFAULT_LIMITS,
    },
  };
  return {
    store,
    queue,
    provider,
    slack,
    metrics,
    replies,
    bursts,
    pipeline: createPipeline(context, uploads),
    languages: new UserLanguages(slack, store, config.appLanguage),
    close: async () => {
      await workdir.remove();
      await provider.close();
      await store.close();
    },
  };
}
