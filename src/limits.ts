/**
 * Every limit and duration the app works by, named once. Those an operator may change are read from the
 * environment (src/config.ts, docs/configuration.md) and say so; `Timings` are the durations tests shorten, passed
 * to `startApp`. Facts of file formats (box names, header sizes) stay beside the code that reads them.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './time.ts';

export const LIMITS = {
  /** Slack's own request bodies are a few KB; nothing legitimate comes near this. */
  slackBodyBytes: 1024 * 1024,
  /** Callback bodies: OMICall documents no size; 1 MB holds thousands of segments. */
  callbackBodyBytes: 1024 * 1024,
  /** Segments one callback body may bring; a body with more is refused (413). */
  segmentsPerBody: 2_000,
  /** Segments one attempt keeps; more are dropped and logged. */
  segmentsPerJob: 10_000,
  /** Characters (text and timed words) one attempt keeps. */
  charactersPerJob: 400_000,
  /** Characters (text and timed words) of one segment; a longer one is dropped. */
  charactersPerSegment: 5_000,
  /** Callbacks for a tracking ID issued longer ago than this are refused. */
  callbackWindowMs: 7 * DAY_MS,
  /** Records of transcripts are kept this long, unless a workspace says otherwise (RETENTION_DAYS). */
  retentionMs: 14 * DAY_MS,
  /** `/transcribe` without a link looks at this many of the channel's latest messages, budget allowing. */
  historyDepth: 50,
  /**
   * Messages asked for per `conversations.history`/`conversations.replies` call: Slack's most for apps distributed
   * outside the Slack Marketplace (since 2025-05-29), and enough for everyone else.
   */
  historyPage: 15,
  /** A Slack call the app makes for someone (not a thread reply) waits at most this long for its method's budget. */
  slackBudgetWaitMs: 2 * MINUTE_MS,
  /** Sets of Slack clients kept at once, one per workspace served (each holds its workspace's budget). */
  workspaceClients: 1_000,
  /** A thread reply's call Slack did not answer is made again 1 s later, then twice as long each time, up to this. */
  replyRetryMaxMs: 30 * SECOND_MS,
  /** A thread reply's Slack call (chat.update, reactions.add, …) that has not answered by then is tried again. */
  slackCallTimeoutMs: 30 * SECOND_MS,
  /** How long the store has to answer /healthz's ping; a store that hangs is as bad as one that is gone. */
  pingTimeoutMs: 2 * SECOND_MS,
  /** A person's Slack language is asked again after this long. */
  languageCacheMs: HOUR_MS,
  languageCacheEntries: 5_000,
  /** Work that can wait (replies, relays) goes on once no Slack request was in hand for this long… */
  foregroundQuietMs: 10,
  /** …and never waits longer than this for Slack's requests. */
  foregroundWaitMs: 500,
} as const;

/** A window of Slack calls: at most `calls` in each window of `seconds`, the window opening at its first call. */
export interface SlackWindow {
  calls: number;
  /** Whole seconds: the Redis limiter's windows are. */
  seconds: number;
}

/** One budget of Slack calls: a steady window, and calls beyond it that a burst may take. */
export interface SlackRate extends SlackWindow {
  burst?: SlackWindow;
}

/** The budgets the app spends Slack's Web API by, per workspace and method (src/slack/budget.ts). */
export interface SlackRates {
  /** Slack's Tier 3 (about 50 a minute): chat.update, reactions.add/remove, conversations.*, and unknown methods. */
  tier3: SlackRate;
  /** Slack's Tier 4 (about 100 a minute): chat.postEphemeral, files.info, users.info, chat.getPermalink, uploads. */
  tier4: SlackRate;
  /** chat.postMessage, per channel (about one a second). */
  postMessage: SlackRate;
  /** conversations.history and conversations.replies for an app outside the Marketplace (one a minute). */
  historyLimited: SlackRate;
}

/**
 * Slack evaluates its limits over a sliding minute. Windows that open at their first call let through at most
 * `calls` × (⌊60 / seconds⌋ + 1) calls in any minute. Tier 3: 2 per 4 s (at most 32 in a minute) and bursts of 5 per
 * 30 s (at most 15): 47 of Slack's 50, about 40 a minute sustained. Tier 4: 3 per 3 s (63) and 9 per 30 s (27): 90 of
 * 100. chat.postMessage: one a second per channel, at most 5 in any 5 s. The margin absorbs calls that reach Slack a
 * moment later than they were counted. A 429 pauses its method for the Retry-After Slack gives (src/slack/budget.ts).
 */
export const SLACK_RATES: SlackRates = {
  tier3: { calls: 2, seconds: 4, burst: { calls: 5, seconds: 30 } },
  tier4: { calls: 3, seconds: 3, burst: { calls: 9, seconds: 30 } },
  postMessage: { calls: 1, seconds: 1 },
  historyLimited: { calls: 1, seconds: 61 },
};

/** The durations tests shorten; production uses `TIMINGS`. */
export interface Timings {
  /** Waits between attempts of a relay (a failing provider, a cut download): one attempt more than entries. */
  retryDelaysMs: readonly number[];
  /** How long the provider may stay silent during an upload. */
  providerTimeoutMs: number;
  /** Least time between two writes of one thread reply; changes in between are gathered into the next. */
  replyGapMs: number;
  /** How long to wait when another instance is writing the same reply. */
  replyLockRetryMs: number;
  /** The reply lock's lifetime; renewed while its owner writes. */
  replyLockTtlMs: number;
  /** How often replies owed (by this or a dead process) are looked for. */
  repliesOwedSweepMs: number;
  /** How long SIGTERM waits for relays in flight before putting them back in the queue. */
  drainMs: number;
  /** A transcript whose text reached the end of its audio is complete once no segment came for this long. */
  quietMs: number;
  /** A transcript whose text never reached the end is complete once no segment came for this long. */
  longQuietMs: number;
  /** How often deadlines (time-outs, completion) and dead workers are looked for. */
  checkEveryMs: number;
  /**
   * A relay in the ledger this long with no process on it, that the queue does not hold waiting, is put back in line
   * (a process died between the claim and the queue, or between the queue and the relay's first step).
   */
  lostRelayMs: number;
  /** The whole download, first byte to last. */
  downloadDeadlineMs: number;
  /** The whole conversion, wall clock. */
  conversionTimeoutMs: number;
}

export const TIMINGS: Timings = {
  retryDelaysMs: [2 * SECOND_MS, 8 * SECOND_MS, 20 * SECOND_MS],
  providerTimeoutMs: 2 * MINUTE_MS,
  replyGapMs: 300,
  replyLockRetryMs: 400,
  replyLockTtlMs: 30 * SECOND_MS,
  repliesOwedSweepMs: 30 * SECOND_MS,
  drainMs: 20 * SECOND_MS,
  quietMs: 20 * SECOND_MS,
  longQuietMs: 10 * MINUTE_MS,
  checkEveryMs: SECOND_MS,
  lostRelayMs: 5 * SECOND_MS,
  downloadDeadlineMs: 10 * MINUTE_MS,
  conversionTimeoutMs: 30 * MINUTE_MS,
};
