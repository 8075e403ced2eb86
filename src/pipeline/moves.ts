import type { Metrics } from '../metrics.ts';
import { type JobEvent, type JobRecord, type Jobs, MOVES } from '../records/job.ts';
import { type JobObserver, NO_OBSERVER } from './observer.ts';
import type { ReplyWriter } from './thread.ts';

/**
 * Every change of a job's state in the pipeline goes through here: the state machine's move (src/records/job.ts),
 * then the count of jobs entering the state, then the thread reply shown anew, and whoever shared the memo told
 * (their Home tab).
 */
export class JobMoves {
  readonly #jobs: Jobs;
  readonly #metrics: Metrics;
  readonly #replies: ReplyWriter;
  readonly #changes: JobObserver;

  constructor(jobs: Jobs, metrics: Metrics, replies: ReplyWriter, changes: JobObserver = NO_OBSERVER) {
    this.#jobs = jobs;
    this.#metrics = metrics;
    this.#replies = replies;
    this.#changes = changes;
  }

  /**
   * Applies the event to the job; true when its state allowed it. `job` is the caller's copy: its state is updated
   * when the move happened. `show: false` leaves the thread as it is (the caller refreshes it itself).
   */
  async apply(job: JobRecord, event: JobEvent, options: { show?: boolean } = {}): Promise<boolean> {
    const moved = await this.#jobs.apply(job, event);
    if (!moved) return false;
    const to = MOVES[event.move].to;
    const changed = to !== job.state;
    if (changed) this.#metrics.jobs.inc({ state: to });
    job.state = to;
    if (changed && job.user) this.#changes.changed({ workspace: job.workspace, user: job.user });
    if (options.show !== false) await this.#replies.refresh(job);
    return true;
  }
}
