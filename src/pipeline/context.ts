import type { webApi } from '@slack/bolt';
import type { Workdir } from '../audio/workdir.ts';
import type { Lang } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { SpeechProvider } from '../providers/index.ts';
import type { Store } from '../store/index.ts';
import type { Bursts } from './bursts.ts';
import type { JobQueue } from './queue/index.ts';
import type { ReplyWriter } from './thread.ts';

/** What every part of the pipeline works with. Built once in app.ts. */
export interface PipelineContext {
  store: Store;
  queue: JobQueue;
  slack: webApi.WebClient;
  provider: SpeechProvider;
  replies: ReplyWriter;
  /** Work waits for a burst of Slack's requests to be acknowledged. */
  bursts: Bursts;
  metrics: Metrics;
  log: Logger;
  settings: PipelineSettings;
}

export interface PipelineSettings {
  /** This process, among the workers sharing the queue. */
  instanceId: string;
  /** Key of the tracking IDs' signature. */
  trackingKey: string;
  /** The language of thread replies (APP_LANGUAGE). */
  lang: Lang;
  slackToken: string;
  /** Whether a URL is Slack's, the only hosts that may see the bot token. */
  isSlackHost: (url: URL) => boolean;
  maxAudioBytes: number;
  maxAudioSeconds: number;
  ffmpegPath: string;
  /** Where files that ffmpeg must seek in wait for it: a private folder, swept at start. */
  workdir: Workdir;
  /** The whole download, first byte to last. */
  downloadDeadlineMs: number;
  /** The whole conversion, wall clock. */
  conversionTimeoutMs: number;
  /** With no segment this long after the upload was accepted (plus twice the audio's length), the thread says so. */
  callbackTimeoutMs: number;
  /** A transcript that reached the end of its audio is complete once no segment came for this long. */
  quietMs: number;
  /** Callbacks for a tracking ID issued longer ago than this are refused. */
  callbackWindowMs: number;
  limits: CallbackLimits;
}

/** Caps on what one callback body, and all callbacks of one job, may bring. */
export interface CallbackLimits {
  segmentsPerBody: number;
  segmentsPerJob: number;
  charactersPerJob: number;
  charactersPerSegment: number;
}

export const DEFAULT_LIMITS: CallbackLimits = {
  segmentsPerBody: 2_000,
  segmentsPerJob: 10_000,
  charactersPerJob: 400_000,
  charactersPerSegment: 5_000,
};
