import type { webApi } from '@slack/bolt';
import { errorMessage } from '../errors.ts';
import { HEARTBEAT_MS, HEARTBEAT_TTL_MS, keys } from '../records/jobs.ts';
import type { PipelineContext } from './context.ts';
import { Exports } from './exports.ts';
import { Intake } from './intake.ts';
import { Lifecycle } from './lifecycle.ts';
import { Relay } from './relay.ts';
import { Results } from './results.ts';
import { channelStatus, type StatusEntry } from './status.ts';

/**
 * The middle of the app, between inbound Slack (src/listeners) and the providers and Slack helpers below:
 * a memo enters at `intake`, is relayed by `relay` (run by the queue's workers), and its result lands through
 * `results` into the thread (`thread.ts`); `lifecycle` times out and completes it; `exports` makes files of it.
 */
export interface Pipeline {
  intake: Intake;
  results: Results;
  exports: Exports;
  status(channel: string): Promise<StatusEntry[]>;
  /**
   * Starts saying this process is alive (every role: relays and reply locks carry its id), and unless `web`
   * only, working the queue.
   */
  start(options: { work: boolean }): void;
  /** Stops taking memos, lets relays finish until the deadline, and tells the threads of those that cannot. */
  stop(deadlineMs: number): Promise<void>;
}

export function createPipeline(context: PipelineContext, uploads: webApi.WebClient): Pipeline {
  const lifecycle = new Lifecycle(context);
  const relay = new Relay(context, lifecycle);
  const intake = new Intake(context);
  const { store, settings, log } = context;
  let heartbeat: NodeJS.Timeout | undefined;
  // This process says it is alive every few seconds; when it dies, the key expires: asking for one of its memos
  // again re-queues it at once, and a reply lock it held is taken over, instead of waiting for locks to expire.
  const beat = () =>
    store
      .set(keys.worker(settings.instanceId), Date.now(), HEARTBEAT_TTL_MS)
      .catch((err: unknown) => log.warn('heartbeat failed', { error: errorMessage(err) }));
  return {
    intake,
    results: new Results(context, lifecycle),
    exports: new Exports(context, uploads),
    status: (channel) => channelStatus(context, channel),
    start: ({ work }) => {
      heartbeat = setInterval(beat, HEARTBEAT_MS);
      heartbeat.unref();
      void beat();
      if (!work) return;
      context.queue.work({
        relay: async (job, attempt) => {
          await context.bursts.quiet();
          return relay.run(job, attempt);
        },
        deadline: (deadline) => lifecycle.deadline(deadline),
        abandoned: (job) => relay.abandoned(job),
      });
    },
    stop: async (deadlineMs) => {
      intake.stop();
      clearInterval(heartbeat);
      const unfinished = await context.queue.close(deadlineMs);
      await Promise.all(unfinished.map((job) => relay.abandoned(job)));
    },
  };
}

export type { ExportOutcome } from './exports.ts';
export type { AskOutcome, MessageRef, SubmitOutcome } from './intake.ts';
export type { StatusEntry } from './status.ts';
