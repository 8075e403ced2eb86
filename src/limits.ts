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
  /** Timed words of one segment (`word_alignment`); a segment with more is dropped. Speech has a few per second. */
  wordsPerSegment: 1_000,
  /** Callbacks for a tracking ID issued longer ago than this are refused. */
  callbackWindowMs: 7 * DAY_MS,
  /** Records of transcripts are kept this long, unless a workspace says otherwise (RETENTION_DAYS). */
  retentionMs: 14 * DAY_MS,
  /** The days an operator (RETENTION_DAYS) or a workspace's admins (the Home tab) may keep transcripts for. */
  retentionDaysMin: 1,
  retentionDaysMax: 365,
  /** The largest monthly budget an admin may set, in minutes of audio. */
  budgetMinutesMax: 1_000_000,
  /** Share of the monthly budget at which the admins are told, once, by DM. */
  budgetWarnShare: 0.8,
  /** A month's usage record outlives its month by this much (the Home tab shows the current month). */
  usageKeptMs: 62 * DAY_MS,
  /** Pages of `users.list` (200 people each) read to find a workspace's admins for the budget's DM. */
  adminPages: 25,
  /** Admins told by DM at most. */
  adminsTold: 50,
  /** A workspace's settings are read again from the store after this long (a change on another instance). */
  settingsCacheMs: 5 * SECOND_MS,
  settingsCacheEntries: 5_000,
  /** The Home tab lists someone's last memos, this many… */
  homeMemos: 20,
  /** …from a record of their memos that keeps this many (the oldest leave first). */
  personJobsKept: 40,
  /** The Home tab's usage lists this many channels, the busiest first. */
  busiestChannels: 10,
  /** Slack's limits on a view (docs.slack.dev, "Block Kit" and views.publish): blocks, and text lengths. */
  viewBlocks: 100,
  sectionChars: 3_000,
  headerChars: 150,
  buttonChars: 75,
  modalTitleChars: 24,
  optionChars: 75,
  /** A deleted memo's Slack messages and records, cleaned up after Slack's answer: this many memos per event. */
  memosPerDeletion: 50,
  /**
   * How long the provider has to accept a workspace's key in the key modal: Slack closes a `view_submission` unanswered
   * after 3 s, and the admin check and the answer need the rest.
   */
  keyCheckMs: 1_800,
  /**
   * How long the admin check of a key modal's submission (`users.info`) and the submitter's language may take; an
   * admin check that takes longer counts as "not an admin" (say so, and let them try again).
   */
  adminCheckMs: 600,
  /** The admins of a workspace without a provider key are told once; one still without a key after this, once more. */
  noKeyToldMs: 365 * DAY_MS,
  /** The longest provider key taken from the key modal (OMICall's are a few dozen characters). */
  providerKeyChars: 200,
  /** Web API clients kept, one pair per bot token in use (the oldest go first). */
  clientsCached: 1_000,
  /** `npm run doctor` checks this many installed workspaces' tokens, and counts the rest. */
  doctorWorkspaces: 50,
  /** `/transcribe` without a link looks at this many of the channel's latest messages, budget allowing. */
  historyDepth: 50,
  /**
   * Messages asked for per `conversations.history`/`conversations.replies` call: Slack's most for apps distributed
   * outside the Slack Marketplace (since 2025-05-29), and enough for everyone else.
   */
  historyPage: 15,
  /** A Slack call the app makes for someone (not a thread reply) waits at most this long for its method's budget. */
  slackBudgetWaitMs: 2 * MINUTE_MS,
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
  /** Pages of `conversations.members` one membership check reads (1,000 members each); beyond, the answer is "no". */
  memberPages: 5,
  /** Members asked for per page of `conversations.members` (the most Slack returns in one). */
  membersPerPage: 1_000,

  // The HTTP server (src/http/server.ts). A caller holds the server's memory and time only while it sends what its
  // route receives, and each kind of caller (Slack, the provider's callbacks) has body slots of its own, counted per
  // client address too, so that no flood of one kind, nor one address, keeps another from being served.
  /** A request's headers must arrive within this from its first byte (Node's `headersTimeout`). */
  headersTimeoutMs: 10 * SECOND_MS,
  /** A whole request, headers and body, within this (Node's `requestTimeout`); the body deadlines below are shorter. */
  requestTimeoutMs: 60 * SECOND_MS,
  /** How often Node looks for requests past those two (its default, 30 s, would let them run 30 s late). */
  connectionsCheckMs: SECOND_MS,
  /** The longest request target (path and query) the server parses; a longer one is refused (414). */
  targetChars: 2_048,
  // The body deadlines of each route are Timings (below).
  /** Slack bodies read at once, from every address. */
  slackBodySlots: 32,
  /** Callback bodies read at once: a pool of their own, so Slack's requests and callbacks never wait for each other. */
  callbackBodySlots: 16,
  /** Bodies one client address may always read at once in each pool: its share (an IPv6 /64 counts as one address). */
  bodySlotsPerAddress: 4,
  /**
   * Beyond its share, an address takes a free slot only while more than this part of the pool stays free for the
   * others: a burst from one address (Slack's, a proxy's) is read 16 at a time, and never holds more than half a pool.
   */
  bodySlotsKeptFree: 0.5,
  /** How long a request waits for a body slot; then 503 with `retry-after` (Slack and OMICall send again). */
  bodySlotWaitMs: 2 * SECOND_MS,
  /** Requests waiting for a body slot in one pool; one more is answered 503 at once. */
  bodyWaitersPerPool: 1_000,
  /** Requests of one client address waiting for a body slot in one pool; one more is answered 503 at once. */
  bodyWaitersPerAddress: 200,
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
  /** Slack's Tier 2 (about 20 a minute): users.list. */
  tier2: SlackRate;
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
 * 100. Tier 2: 1 per 5 s (12) and 3 per minute (6): 18 of 20. chat.postMessage: one a second per channel, at most 5
 * in any 5 s. The margin absorbs calls that reach Slack a moment later than they were counted. A 429 pauses its
 * method for the Retry-After Slack gives (src/slack/budget.ts).
 */
export const SLACK_RATES: SlackRates = {
  tier2: { calls: 1, seconds: 5, burst: { calls: 3, seconds: 60 } },
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
  /** A Slack body (a few KB, and Slack waits 3 s for the answer) must arrive within this once its reading starts. */
  slackBodyDeadlineMs: number;
  /** A callback body (up to `LIMITS.callbackBodyBytes`) must arrive within this once its reading starts. */
  callbackBodyDeadlineMs: number;
  /** Someone's Home tab is published again after a change at most once in this long. */
  homeGapMs: number;
  /** How often deletions left unfinished (by this or a dead process) are looked for. */
  deletionsSweepMs: number;
  /** How often every workspace's records are looked through for what outlived its retention. */
  retentionSweepMs: number;
  /** An "Add to Slack" link (its OAuth `state`, and the browser's cookie of it) is good this long, and once. */
  oauthStateMs: number;
  /** How often uninstallations left unfinished (by this or a dead process) are looked for. */
  uninstallSweepMs: number;
  /**
   * An uninstalled workspace's records are deleted at once, and again this long after, when every relay and reply
   * write that was under way (and may have written one more record) has ended; then its uninstallation is done.
   */
  uninstallSettleMs: number;
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
  slackBodyDeadlineMs: 5 * SECOND_MS,
  callbackBodyDeadlineMs: 30 * SECOND_MS,
  homeGapMs: 10 * SECOND_MS,
  deletionsSweepMs: 30 * SECOND_MS,
  retentionSweepMs: HOUR_MS,
  oauthStateMs: 10 * MINUTE_MS,
  uninstallSweepMs: 30 * SECOND_MS,
  uninstallSettleMs: 3 * MINUTE_MS,
};
