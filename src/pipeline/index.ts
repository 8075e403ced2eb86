import { errorMessage } from '../errors.ts';
import type { Lang } from '../i18n/index.ts';
import { LIMITS, type Timings } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { SpeechProvider } from '../providers/index.ts';
import { Channels } from '../records/channels.ts';
import { type JobState, Jobs, RESTARTABLE } from '../records/job.ts';
import { Heartbeat, Ledger } from '../records/ledger.ts';
import { MemoIndex } from '../records/memo-index.ts';
import { PersonJobs } from '../records/people.ts';
import { Segments } from '../records/segments.ts';
import type { MemoRef } from '../records/tracking-id.ts';
import { Usage } from '../records/usage.ts';
import type { UserLanguages } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { Settings } from '../workspaces/settings.ts';
import { Budget } from './budget.ts';
import { Deadlines } from './deadlines.ts';
import { Deletions } from './deletion.ts';
import { Exports } from './exports.ts';
import type { Foreground } from './foreground.ts';
import { Intake } from './intake.ts';
import { KeyMissing } from './key-missing.ts';
import { JobMoves } from './moves.ts';
import { type JobObserver, NO_OBSERVER } from './observer.ts';
import type { RelayQueue } from './queue/index.ts';
import { Recovery } from './recovery.ts';
import { Relay, type RelaySettings } from './relay.ts';
import { type CallbackLimits, Results } from './results.ts';
import { RetentionSweep } from './retention.ts';
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
  /** Memos deleted in Slack: their transcripts and records go too. */
  deletions: Deletions;
  /** What outlived its workspace's retention (shortened by its admins, or listed), deleted. */
  retention: RetentionSweep;
  /**
   * Whether memos shared in a channel are transcribed automatically, and whose choice that is: the channel's
   * (`/transcribe on|off`), else the workspace's setting for channels that never chose.
   */
  autoRule(workspace: string, channel: string): Promise<AutoRule>;
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

/** Whether a channel's memos are transcribed automatically, by its own choice or by the workspace's. */
export interface AutoRule {
  on: boolean;
  by: 'channel' | 'workspace';
}

export interface PipelineOptions {
  store: Store;
  queue: RelayQueue;
  workspaces: Workspaces;
  /** The workspaces' settings: thread language, automatic transcription, budget. */
  settings: Settings;
  /** People's languages, for the budget's DM to the admins. */
  languages: UserLanguages;
  /** Told when someone's memos change (their Home tab). */
  changes?: JobObserver;
  provider: SpeechProvider;
  metrics: Metrics;
  log: Logger;
  instanceId: string;
  trackingKey: string;
  lang: Lang;
  callbackTimeoutMs: number;
  relay: Omit<RelaySettings, 'instanceId'>;
  timings: Timings;
  limits?: CallbackLimits;
  /** Slack's requests first: replies and relays wait while they are being answered. */
  foreground: Foreground;
}

export function createPipeline(o: PipelineOptions): Pipeline {
  const { store, log, metrics, workspaces, timings, settings } = o;
  const changes = o.changes ?? NO_OBSERVER;
  const jobs = new Jobs(store, (ws) => workspaces.retentionMs(ws));
  const segments = new Segments(store);
  const channels = new Channels(store);
  const people = new PersonJobs(store, LIMITS.personJobsKept);
  const index = new MemoIndex(store);
  const usage = new Usage(store, LIMITS.usageKeptMs);
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
    langOf: async (ws) => (await settings.of(ws)).lang,
    provider: o.provider.name,
    instanceId: o.instanceId,
    timings,
    foreground: o.foreground,
  });
  const moves = new JobMoves(jobs, metrics, replies, changes);
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
    people,
    index,
    changes,
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
  const budget = new Budget({ store, jobs, usage, settings, workspaces, languages: o.languages, metrics, log });
  const relay = new Relay({
    results,
    jobs,
    moves,
    ledger,
    channels,
    people,
    index,
    deadlines,
    replies,
    workspaces,
    workspaceSettings: settings,
    budget,
    provider: o.provider,
    metrics,
    log,
    settings: { ...o.relay, instanceId: o.instanceId },
  });
  const deletions = new Deletions({
    store,
    jobs,
    index,
    channels,
    people,
    ledger,
    queue: o.queue,
    deadlines,
    replies,
    workspaces,
    changes,
    trackingKey: o.trackingKey,
    log: log.child({ component: 'deletions' }),
  });
  const retention = new RetentionSweep({
    store,
    index,
    workspaces,
    trackingKey: o.trackingKey,
    log: log.child({ component: 'retention' }),
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
    exports: new Exports({ jobs, segments, index, workspaces, trackingKey: o.trackingKey, log }),
    replies,
    channels,
    deletions,
    retention,
    autoRule: async (workspace, channel) => {
      const choice = await channels.choice(workspace, channel);
      if (choice) return { on: choice === 'on', by: 'channel' };
      return { on: (await settings.of(workspace)).auto === 'on', by: 'workspace' };
    },
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
      deletions.start(timings.deletionsSweepMs);
      uninstalls.start(timings.uninstallSweepMs);
      if (!work) return;
      working = true;
      recovery.start(timings.checkEveryMs);
      deadlines.start(timings.checkEveryMs);
      retention.start(timings.retentionSweepMs);
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
      await deletions.stop();
      await uninstalls.stop();
      if (working) {
        await recovery.stop();
        await deadlines.stop();
        await retention.stop();
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
