import type { Channels } from '../records/channels.ts';
import type { JobState, Jobs } from '../records/job.ts';
import { DAY_MS } from '../time.ts';

export interface StatusEntry {
  fileName: string;
  state: JobState;
  since: number;
}

/** The channel's transcriptions of the last day, oldest first, for `/transcribe status`. */
export async function channelStatus(
  deps: { jobs: Jobs; channels: Channels },
  workspace: string,
  channel: string,
): Promise<StatusEntry[]> {
  const entries: StatusEntry[] = [];
  for (const entry of (await deps.channels.jobs(workspace, channel)).sort((a, b) => a.since - b.since)) {
    const job = await deps.jobs.load(workspace, entry.trackingId);
    if (!job || Date.now() - entry.since > DAY_MS) {
      await deps.channels.unlist(workspace, channel, entry.trackingId);
      continue;
    }
    entries.push({ fileName: job.fileName, state: job.state, since: entry.since });
  }
  return entries;
}
