import type { Store } from '../store/index.ts';
import { DAY_MS } from '../store/index.ts';
import { type Segment, segmentKey } from './segments.ts';
import type { MemoRef } from './tracking-id.ts';

/** Where a transcription stands, as its thread reply shows it. */
export type JobState = 'working' | 'waiting' | 'failed';

/** One audio file's transcription, shared by every instance through the store. */
export interface JobRecord extends MemoRef {
  trackingId: string;
  fileName: string;
  state: JobState;
  /** Plain words for the user, when state is 'failed'. */
  failure?: string;
  createdAt: number;
}

/** What the thread shows for one file; written only under the file's render lock. */
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
  claim: (trackingId: string) => `claim:${trackingId}`,
  job: (trackingId: string) => `job:${trackingId}`,
  reply: (trackingId: string) => `reply:${trackingId}`,
  renderLock: (trackingId: string) => `render-lock:${trackingId}`,
  channelAuto: (channel: string) => `channel:${channel}:auto`,
  channelJobs: (channel: string) => `channel:${channel}:jobs`,
  segments: (trackingId: string) => `segments:${trackingId}`,
};

export async function loadJob(store: Store, trackingId: string): Promise<JobRecord | undefined> {
  return store.get<JobRecord>(keys.job(trackingId));
}

export async function saveJob(store: Store, job: JobRecord): Promise<void> {
  await store.set(keys.job(job.trackingId), job, JOB_TTL_MS);
}

export async function addSegment(store: Store, trackingId: string, segment: Segment): Promise<boolean> {
  return store.mapAdd(keys.segments(trackingId), segmentKey(segment), segment, JOB_TTL_MS);
}

export async function loadSegments(store: Store, trackingId: string): Promise<Segment[]> {
  return store.mapValues<Segment>(keys.segments(trackingId));
}

/** A job listed under its channel while it has not failed, for `/transcribe status`. */
export interface ChannelJob {
  trackingId: string;
  ts: string;
  fileName: string;
  since: number;
}

export async function listChannelJob(store: Store, job: JobRecord): Promise<void> {
  const entry: ChannelJob = { trackingId: job.trackingId, ts: job.ts, fileName: job.fileName, since: job.createdAt };
  await store.mapAdd(keys.channelJobs(job.channel), job.trackingId, entry, JOB_TTL_MS);
}

export async function unlistChannelJob(store: Store, job: Pick<JobRecord, 'channel' | 'trackingId'>): Promise<void> {
  await store.mapRemove(keys.channelJobs(job.channel), job.trackingId);
}

export async function channelJobs(store: Store, channel: string): Promise<ChannelJob[]> {
  return store.mapValues<ChannelJob>(keys.channelJobs(channel));
}
