import { channelJobs, type JobState, loadJob, unlistChannelJob } from '../records/jobs.ts';
import { DAY_MS } from '../store/index.ts';
import type { PipelineContext } from './context.ts';

export interface StatusEntry {
  fileName: string;
  state: JobState;
  since: number;
}

/** The channel's transcriptions of the last day, oldest first, for `/transcribe status`. */
export async function channelStatus(context: PipelineContext, channel: string): Promise<StatusEntry[]> {
  const entries: StatusEntry[] = [];
  for (const entry of (await channelJobs(context.store, channel)).sort((a, b) => a.since - b.since)) {
    const job = await loadJob(context.store, entry.trackingId);
    if (!job || Date.now() - entry.since > DAY_MS) {
      await unlistChannelJob(context.store, { channel, trackingId: entry.trackingId });
      continue;
    }
    entries.push({ fileName: job.fileName, state: job.state, since: entry.since });
  }
  return entries;
}
