/**
 * Every key the app stores, built here and nowhere else (as BullMQ builds its own in one file). The full schema,
 * with each key's kind and lifetime, is in docs/architecture.md ("Stored keys"); keep the two in step.
 *
 * A workspace's data lives under `ws:{workspace}:`, so that one workspace's keys can never be mistaken for
 * another's and uninstalling deletes them by that prefix. The workspace is the Slack team id (`T…`), or the
 * Enterprise Grid org id (`E…`) for an org-wide installation. The few keys outside a workspace are the process's
 * own: heartbeats, the relay ledger, the deadline schedule, the list of workspaces.
 *
 * Lifetimes: "retention" is the workspace's transcript retention (RETENTION_DAYS, or the admins' setting);
 * "kept" means until deleted (settings last as long as the app is installed).
 */

/** A memo's identity within its workspace: the channel, the message and the file. */
export interface MemoId {
  channel: string;
  ts: string;
  fileId: string;
}

const memo = (m: MemoId) => `${m.channel}:${m.ts}:${m.fileId}`;

/** A memo as a field of the records that list memos (`replies-owed`, `deletions-owed`): `{channel}:{ts}:{file}`. */
export const memoField = memo;

/** The memo a field of those records names. */
export function parseMemoField(field: string): MemoId | undefined {
  const [channel, ts, fileId] = field.split(':');
  return channel && ts && fileId ? { channel, ts, fileId } : undefined;
}

/** Keys of one workspace. */
export function workspaceKeys(workspace: string) {
  const ws = `ws:${workspace}:`;
  return {
    /** Prefix of every key of this workspace. */
    prefix: ws,
    /** Prefixes of the keys of one kind, to look through them all (the retention sweep). */
    jobsPrefix: `${ws}job:`,
    channelsPrefix: `${ws}channel:`,
    peoplePrefix: `${ws}person:`,
    /** Whether a key under `channelsPrefix` or `peoplePrefix` is a list of memos (`…:jobs`). */
    isMemoList: (key: string) => key.endsWith(':jobs'),
    /** Token: the tracking ID of the memo's current attempt. Claimed once; swapped for a new attempt. Retention. */
    memo: (m: MemoId) => `${ws}memo:${memo(m)}`,
    /** Record: one attempt at one memo (the job state machine, src/records/job.ts). Retention. */
    job: (trackingId: string) => `${ws}job:${trackingId}`,
    /** Record: the segments of an attempt, `from|to` → segment. Retention. */
    segments: (trackingId: string) => `${ws}segments:${trackingId}`,
    /** Counter: the characters an attempt's segments and words hold, for the caps. Retention. */
    characters: (trackingId: string) => `${ws}characters:${trackingId}`,
    /** Value: what the memo's thread shows (reply ts, digests, reaction). Retention. */
    reply: (m: MemoId) => `${ws}reply:${memo(m)}`,
    /** Token: the writer of the memo's reply (instance/uuid). 30 s, renewed while writing. */
    replyLock: (m: MemoId) => `${ws}reply-lock:${memo(m)}`,
    /** Record: memo → change number, for replies not yet written (kept until written, across restarts). */
    repliesOwed: () => `${ws}replies-owed`,
    /** Value: 'on' | 'off', automatic transcription in a channel that chose. Kept. */
    channelAuto: (channel: string) => `${ws}channel:${channel}:auto`,
    /** Record: tracking ID → { fileName, since }, a channel's recent jobs for `/transcribe status`. Retention. */
    channelJobs: (channel: string) => `${ws}channel:${channel}:jobs`,
    /** Value: the language someone chose with `/transcribe language`. Kept. */
    personLanguage: (user: string) => `${ws}person:${user}:language`,
    /** Record: tracking ID → { channel, ts, fileId, fileName, since, link }, the memos someone shared. Retention. */
    personJobs: (user: string) => `${ws}person:${user}:jobs`,
    /** Value: when someone last opened the app's Home tab (changes are published only to people who did). Retention. */
    personHome: (user: string) => `${ws}person:${user}:home`,
    /** Token: when someone's Home tab was last published, so that it is published at most once a gap. The gap. */
    homeGap: (user: string) => `${ws}person:${user}:home-gap`,
    /** Record: tracking ID → when, every attempt at a file in this workspace (to find them when it is deleted). Retention. */
    fileJobs: (fileId: string) => `${ws}file:${fileId}:jobs`,
    /** Record: file id → { format, at }, the transcript files the app uploaded into a memo's thread. Retention. */
    uploads: (m: MemoId) => `${ws}uploads:${memo(m)}`,
    /** Record: memo → when, memos deleted in Slack whose transcript and records are still being deleted. Until done. */
    deletionsOwed: () => `${ws}deletions-owed`,
    /** Record: the workspace's settings, as its admins chose them in the Home tab (src/workspaces/settings.ts). Kept. */
    settings: () => `${ws}settings`,
    /** Record: a calendar month's usage (UTC, `YYYY-MM`): seconds and memos, in total and per channel. Two months. */
    usage: (month: string) => `${ws}usage:${month}`,
    /** Token: the admins were told the month's budget of this many minutes is 80 % used. Two months. */
    budgetWarned: (month: string, minutes: number) => `${ws}usage:${month}:warned:${minutes}`,
    /**
     * Value: the workspace's Slack installation (distribution mode): bot user, scopes, installer, and the bot token
     * sealed with ENCRYPTION_KEY (src/workspaces/cipher.ts). Kept until the app is uninstalled.
     */
    installation: () => `${ws}installation`,
    /** Value: the workspace's own provider key, sealed, its last four characters and when it was set. Kept. */
    providerKey: () => `${ws}provider-key`,
    /** Token: the memo's thread was told the workspace has no provider key yet (told once). Retention. */
    noKeyLine: (m: MemoId) => `${ws}no-key-line:${memo(m)}`,
    /** Token: the admins were told by DM how to set the provider key (told once, until a key is set). */
    noKeyTold: () => `${ws}no-key-told`,
    /**
     * Counter: the calls spent on a Slack method in its current window (chat.postMessage: per channel), shared by
     * every instance; a 429 holds it for Slack's Retry-After. Seconds.
     */
    slackBudget: (method: string, channel?: string) =>
      channel === undefined ? `${ws}slack-budget:${method}` : `${ws}slack-budget:${method}:${channel}`,
    /** Counter: the calls of a Slack method a burst took beyond its steady budget, in the burst's window. Seconds. */
    slackBurst: (method: string, channel?: string) =>
      channel === undefined ? `${ws}slack-burst:${method}` : `${ws}slack-burst:${method}:${channel}`,
  };
}

export type WorkspaceKeys = ReturnType<typeof workspaceKeys>;

/** Keys outside any workspace. */
export const processKeys = {
  /** Value: present while the process with this id lives. HEARTBEAT_TTL_MS, renewed every HEARTBEAT_MS. */
  worker: (instanceId: string) => `worker:${instanceId}`,
  /**
   * Record: job key → { worker, since }, every relay between intake and the provider's answer: what recovery
   * looks at when a worker dies. Entries leave as their relay ends.
   */
  relays: () => 'relays',
  /** Schedule: job key → when its next check is due (time-out, completion). */
  deadlines: () => 'deadlines',
  /** Record: workspace → when it was first served, for the work that goes through every workspace. */
  workspaces: () => 'workspaces',
  /** Record: workspace → when it was installed (distribution mode), for /metrics and `npm run doctor`. */
  installations: () => 'installations',
  /**
   * Record: fingerprint of a provider key (an HMAC, never the key) → the workspace it serves: one key serves one
   * workspace, since the provider sends a key's results to one URL.
   */
  providerKeys: () => 'provider-keys',
  /** Record: workspace → when its uninstallation began: the deletion of its records, finished by any instance. */
  uninstalls: () => 'uninstalls',
  /** Token: an OAuth `state` that was used once (it cannot be used again). Until the state would have expired. */
  oauthState: (nonce: string) => `oauth-state:${nonce}`,
};

/** The workspace a job key belongs to, read back from the key (`ws:{workspace}:job:{trackingId}`). */
export function jobKeyParts(key: string): { workspace: string; trackingId: string } | undefined {
  const m = /^ws:([^:]+):job:([^:]+)$/.exec(key);
  return m ? { workspace: m[1], trackingId: m[2] } : undefined;
}
