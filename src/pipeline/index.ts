import { errorMessage } from '../errors.ts';
import type { Lang } from '../i18n/index.ts';
import type { Timings } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { SpeechProvider } from '../providers/index.ts';
import { Channels } from '../records/channels.ts';
import { type JobState, Jobs, RESTARTABLE } from '../records/job.ts';
import { Heartbeat, Ledger } from '../records/ledger.ts';
import { Segments } from '../records/segments.ts';
import type { MemoRef } from '../records/tracking-id.ts';
import type { UserLanguages } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import type { Workspaces } from '../workspaces/index.ts';
import { Deadlines } from './deadlines.ts';
import { Exports } from './exports.ts';
import type { Foreground } from './foreground.ts';
import { Intake } from './intake.ts';
import { KeyMissing } from './key-missing.ts';
import { JobMoves } from './moves.ts';
import type { RelayQueue } from './queue/index.ts';
import { Recovery } from './recovery.ts';
import { Relay, type RelaySettings } from './relay.ts';
import { type CallbackLimits, Results } from './results.ts';
import { channelStatus, type StatusEntry } from './status.ts';
import { ReplyWriter } from './thread.ts';
import { Uninstalls } from './uninstall.ts';

/**
 * The middle of the app, between inbound Slack (src/listeners) and the providers, stores and Slack helpers below:
 * a memo enters at `intake`, is relayed by the relay (run by the queue's workers), and its result lands through
 * `results` into the thread (`thread.ts`); deadlines time it out and complete it; recovery puts back in line what a
 * dead process left; `exports` makes files of it.
 */
export interface Pipeline {
  intake: Intake;
  results: Results;
  exports: Exports;
  replies: ReplyWriter;
  channels: Channels;
  /** What a workspace without a provider key is told. */
  keyMissing: KeyMissing;
  /** Uninstalled workspaces' records, deleted. */
  uninstalls: Uninstalls;
  /** The state of the memo's current attempt, if it has one. */
  attempt(ref: MemoRef): Promise<JobState | undefined>;
  /** Whether asking for the memo would start an attempt (none yet, or the last one failed or timed out). */
  askable(ref: MemoRef): Promise<boolean>;
  status(workspace: string, channel: string): Promise<StatusEntry[]>;
  /** Starts saying this process is alive, writing replies owed, and unless `work` is false, working the queue. */
  start(options: { work: boolean }): void;
  /** Stops taking memos, lets relays finish until the deadline (a durable queue keeps the rest), and stops. */
  stop(deadlineMs: number): Promise<void>;
}

export interface PipelineOptions {
  store: Store;
  queue: RelayQueue;
  workspaces: Workspaces;
  provider: SpeechProvider;
  metrics: Metrics;
  log: Logger;
  instanceId: string;
  trackingKey: string;
  lang: Lang;
  /** Each person's language, for what only they read (a DM to an admin). */
  languages: UserLanguages;
  callbackTimeoutMs: number;
  relay: Omit<RelaySettings, 'instanceId' | 'lang'>;
  timings: Timings;
  limits?: CallbackLimits;
  /** Slack's requests first: replies and relays wait while they are being answered. */
  foreground: Foreground;
}

export function createPipeline(o: PipelineOptions): Pipeline {
  const { store, log, metrics, workspaces, timings } = o;
  const jobs = new Jobs(store, (ws) => workspaces.retentionMs(ws));
  const segments = new Segments(store);
  const channels = new Channels(store);
  const ledger = new Ledger(store);
  const heartbeat = new Heartbeat(store, o.instanceId);
  const replies = new ReplyWriter({
    store,
    jobs,
    segments,
    workspaces,
    heartbeat,
    log,
    metrics,
    lang: o.lang,
    provider: o.provider.name,
    instanceId: o.instanceId,
    timings,
    foreground: o.foreground,
  });
  const moves = new JobMoves(jobs, metrics, replies);
  const deadlines = new Deadlines({
    store,
    jobs,
    segments,
    moves,
    log,
    rules: { quietMs: timings.quietMs, longQuietMs: timings.longQuietMs, callbackTimeoutMs: o.callbackTimeoutMs },
  });
  const recovery = new Recovery({
    jobs,
    moves,
    ledger,
    heartbeat,
    queue: o.queue,
    instanceId: o.instanceId,
    lostRelayMs: timings.lostRelayMs,
    log: log.child({ component: 'recovery' }),
  });
  const intake = new Intake({
    jobs,
    channels,
    ledger,
    queue: o.queue,
    replies,
    recovery,
    workspaces,
    metrics,
    log,
    trackingKey: o.trackingKey,
  });
  const results = new Results({
    jobs,
    moves,
    segments,
    deadlines,
    replies,
    workspaces,
    provider: o.provider,
    metrics,
    log,
    trackingKey: o.trackingKey,
    limits: o.limits,
  });
  const relay = new Relay({
    results,
    jobs,
    moves,
    ledger,
    channels,
    deadlines,
    replies,
    workspaces,
    provider: o.provider,
    metrics,
    log,
    settings: { ...o.relay, instanceId: o.instanceId, lang: o.lang },
  });
  const attempt = async (ref: MemoRef) => {
    const current = await jobs.current(ref);
    return current ? (await jobs.load(ref.workspace, current))?.state : undefined;
  };
  const uninstalls = new Uninstalls({
    store,
    jobs,
    ledger,
    deadlines,
    queue: o.queue,
    workspaces,
    settleMs: timings.uninstallSettleMs,
    log: log.child({ component: 'uninstall' }),
  });
  const keyMissing = new KeyMissing({
    store,
    workspaces,
    languages: o.languages,
    lang: o.lang,
    provider: o.provider.name,
    retentionMs: (ws) => workspaces.retentionMs(ws),
    log,
  });
  let working = false;
  return {
    intake,
    results,
    keyMissing,
    uninstalls,
    exports: new Exports({ jobs, segments, workspaces, trackingKey: o.trackingKey, log }),
    replies,
    channels,
    attempt,
    askable: async (ref) => {
      const state = await attempt(ref);
      return state === undefined || RESTARTABLE.includes(state);
    },
    status: (workspace, channel) => channelStatus({ jobs, channels }, workspace, channel),
    start: ({ work }) => {
      const warn = onceIn(10_000, log);
      heartbeat.start((err) => warn('heartbeat failed', { error: errorMessage(err) }));
      replies.start();
      uninstalls.start(timings.uninstallSweepMs);
      if (!work) return;
      working = true;
      recovery.start(timings.checkEveryMs);
      deadlines.start(timings.checkEveryMs);
      o.queue.work({
        relay: async (job, attempt) => {
          await o.foreground.yield();
          return relay.run(job, attempt);
        },
        abandoned: (job) => relay.abandoned(job),
      });
    },
    stop: async (deadlineMs) => {
      intake.stop();
      replies.stop();
      await uninstalls.stop();
      if (working) {
        await recovery.stop();
        await deadlines.stop();
      }
      await o.queue.close(deadlineMs);
      await heartbeat.stop();
    },
  };
}

export type { ExportOutcome } from './exports.ts';
export type { AskOutcome, SharedMessage, SubmitOutcome } from './intake.ts';
export type { CallbackScope } from './results.ts';
export type { StatusEntry } from './status.ts';
