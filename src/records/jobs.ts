import { DAY_MS, type Store } from '../store/index.ts';
import { type Segment, segmentKey } from './segments.ts';
import type { MemoRef } from './tracking-id.ts';

/**
 * Where a file's transcription stands. Its life: queued → sending → waiting → receiving → complete, or failed
 * (nothing was accepted by the provider, said in the thread) or timed_out (accepted, but no result came in
 * time; a late result still lands).
 */
export type JobState = 'queued' | 'sending' | 'waiting' | 'receiving' | 'complete' | 'failed' | 'timed_out';

/** States in which the memo may be asked for again from scratch. */
export const RESTARTABLE: readonly JobState[] = ['failed', 'timed_out'];

/** Why a file could not be transcribed, in terms the i18n catalogues turn into words. */
export type Failure =
  /** sizeMb: unknown when the download was cut at the limit (Slack's reported size was wrong). */
  | { code: 'too_large'; sizeMb?: number; limitMb: number }
  | { code: 'too_long'; minutes: number; limitMinutes: number }
  | { code: 'sign_in_page' }
  | { code: 'no_download_link' }
  | { code: 'download_failed'; status?: number }
  | { code: 'not_convertible' }
  /** ffmpeg cannot run here: an admin's problem, named as such. */
  | { code: 'converter_unavailable' }
  /** The file's link leads off Slack: never followed with the token. */
  | { code: 'off_slack' }
  | { code: 'provider_refused'; error: string }
  | { code: 'provider_unreachable'; attempts: number; error: string }
  | { code: 'restarted' }
  | { code: 'internal' };

/** One attempt at transcribing one shared file, shared by every instance through the store. */
export interface JobRecord extends MemoRef {
  trackingId: string;
  fileName: string;
  state: JobState;
  /** Set when state is 'failed'. */
  failure?: Failure;
  createdAt: number;
  /** When the provider accepted the upload. */
  acceptedAt?: number;
  /** When the latest new segment arrived. */
  lastSegmentAt?: number;
  /** Length of the audio, when known (Slack's duration_ms, the file's header, or ffmpeg's output). */
  durationSeconds?: number;
  /** The worker process running the relay (state 'sending'), to tell a live one from a dead one. */
  worker?: string;
}

/** What the thread shows for one shared file (across attempts); written only under the memo's render lock. */
export interface ReplyRecord {
  fileName: string;
  /** The thread replies that show this file (more than one for long transcripts). */
  replyTs: string[];
  /** A digest of what each reply last showed, to skip updates that change nothing. */
  shown: string[];
  /** The reaction this file put on the memo. */
  reaction?: string;
}

export const JOB_TTL_MS = 14 * DAY_MS;

export const keys = {
  /** The memo's current attempt: its tracking ID. Set only when absent, or swapped from a known attempt. */
  memo: (memoKey: string) => `memo:${memoKey}`,
  job: (trackingId: string) => `job:${trackingId}`,
  reply: (memoKey: string) => `reply:${memoKey}`,
  renderLock: (memoKey: string) => `render-lock:${memoKey}`,
  channelAuto: (channel: string) => `channel:${channel}:auto`,
  channelJobs: (channel: string) => `channel:${channel}:jobs`,
  segments: (trackingId: string) => `segments:${trackingId}`,
  characters: (trackingId: string) => `characters:${trackingId}`,
  /** Present while the worker process with this id lives (renewed every few seconds). */
  worker: (id: string) => `worker:${id}`,
};

/** How often a worker says it is alive, and how long that lasts. */
export const HEARTBEAT_MS = 1_500;
export const HEARTBEAT_TTL_MS = 5_000;

/** Whether the worker with this id is alive (its heartbeat has not expired). */
export async function workerAlive(store: Store, id: string): Promise<boolean> {
  return (await store.get<number>(keys.worker(id))) !== undefined;
}

export async function loadJob(store: Store, trackingId: string): Promise<JobRecord | undefined> {
  return store.get<JobRecord>(keys.job(trackingId));
}

export async function saveJob(store: Store, job: JobRecord): Promise<void> {
  await store.set(keys.job(job.trackingId), job, JOB_TTL_MS);
}

/** The tracking ID of the memo's current attempt. */
export async function currentAttempt(store: Store, memoKey: string): Promise<string | undefined> {
  return store.get<string>(keys.memo(memoKey));
}

export async function addSegment(store: Store, trackingId: string, segment: Segment) {
  return store.mapAdd(keys.segments(trackingId), segmentKey(segment), segment, JOB_TTL_MS);
}

export async function loadSegments(store: Store, trackingId: string): Promise<Segment[]> {
  return store.mapValues<Segment>(keys.segments(trackingId));
}

/** A job listed under its channel, for `/transcribe status`. */
export interface ChannelJob {
  trackingId: string;
  fileName: string;
  since: number;
}

export async function listChannelJob(store: Store, job: JobRecord): Promise<void> {
  const entry: ChannelJob = { trackingId: job.trackingId, fileName: job.fileName, since: job.createdAt };
  await store.mapAdd(keys.channelJobs(job.channel), job.trackingId, entry, JOB_TTL_MS);
}

export async function unlistChannelJob(store: Store, job: Pick<JobRecord, 'channel' | 'trackingId'>): Promise<void> {
  await store.mapRemove(keys.channelJobs(job.channel), job.trackingId);
}

export async function channelJobs(store: Store, channel: string): Promise<ChannelJob[]> {
  return store.mapValues<ChannelJob>(keys.channelJobs(channel));
}
