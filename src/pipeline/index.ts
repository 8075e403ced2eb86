import type { webApi } from '@slack/bolt';
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
  /** Starts working the queue (ROLE=worker or all). */
  work(): void;
  /** Stops taking memos, lets relays finish until the deadline, and tells the threads of those that cannot. */
  stop(deadlineMs: number): Promise<void>;
}

export function createPipeline(context: PipelineContext, uploads: webApi.WebClient): Pipeline {
  const lifecycle = new Lifecycle(context);
  const relay = new Relay(context, lifecycle);
  const intake = new Intake(context);
  return {
    intake,
    results: new Results(context, lifecycle),
    exports: new Exports(context, uploads),
    status: (channel) => channelStatus(context, channel),
    work: () =>
      context.queue.work({
        relay: (job, attempt) => relay.run(job, attempt),
        deadline: (deadline) => lifecycle.deadline(deadline),
        abandoned: (job) => relay.abandoned(job),
      }),
    stop: async (deadlineMs) => {
      intake.stop();
      const unfinished = await context.queue.close(deadlineMs);
      await Promise.all(unfinished.map((job) => relay.abandoned(job)));
    },
  };
}

export type { ExportOutcome } from './exports.ts';
export type { AskOutcome, MessageRef, SubmitOutcome } from './intake.ts';
export type { StatusEntry } from './status.ts';
