import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';

/** A job listed under its channel, for `/transcribe status`. */
export interface ChannelJob {
  trackingId: string;
  fileName: string;
  since: number;
}

/** What each channel of a workspace chose, and the jobs it had recently. */
export class Channels {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** What the channel chose with `/transcribe on|off`, or undefined when it never chose. */
  async choice(workspace: string, channel: string): Promise<'on' | 'off' | undefined> {
    const value = await this.#store.get<string>(workspaceKeys(workspace).channelAuto(channel));
    return value === 'on' || value === 'off' ? value : undefined;
  }

  /** Switches automatic transcription in a channel, for everyone, on every instance. */
  async choose(workspace: string, channel: string, on: boolean): Promise<void> {
    await this.#store.set(workspaceKeys(workspace).channelAuto(channel), on ? 'on' : 'off');
  }

  async list(workspace: string, channel: string, job: ChannelJob, ttlMs: number): Promise<void> {
    await this.#store.addField(workspaceKeys(workspace).channelJobs(channel), job.trackingId, job, ttlMs);
  }

  async unlist(workspace: string, channel: string, trackingId: string): Promise<void> {
    await this.#store.update(workspaceKeys(workspace).channelJobs(channel), { [trackingId]: null });
  }

  async jobs(workspace: string, channel: string): Promise<ChannelJob[]> {
    const all = await this.#store.record<Record<string, ChannelJob>>(workspaceKeys(workspace).channelJobs(channel));
    return Object.values(all ?? {}).filter((j): j is ChannelJob => j !== undefined);
  }
}
