import { errorMessage } from '../errors.ts';
import { type Logger, onceIn } from '../log.ts';
import type { JobRecord, Jobs } from '../records/job.ts';
import type { Heartbeat, Ledger, LedgerEntry } from '../records/ledger.ts';
import type { JobMoves } from './moves.ts';
import { Periodic } from './periodic.ts';
import { entryId, type RelayJob, type RelayQueue } from './queue/index.ts';

/** The queue entry that relays a job's current run. */
export function relayOf(job: JobRecord): RelayJob {
  return {
    id: entryId(job.trackingId, job.run),
    trackingId: job.trackingId,
    run: job.run,
    ref: {
      workspace: job.workspace,
      channel: job.channel,
      ts: job.ts,
      fileId: job.fileId,
      ...(job.threadTs ? { threadTs: job.threadTs } : {}),
    },
    file: job.file,
    unsure: job.unsure,
    lookUp: job.lookUp,
  };
}

export interface RecoveryOptions {
  jobs: Jobs;
  moves: JobMoves;
  ledger: Ledger;
  heartbeat: Heartbeat;
  queue: RelayQueue;
  instanceId: string;
  lostRelayMs: number;
  log: Logger;
}

/**
 * Finds relays nobody is running any more and puts them back in line, within seconds: a relay whose process died
 * (its heartbeat expired: kill -9, out of memory, a lost host), a relay that never reached the queue (its process
 * died between the memo's claim and the queue), and one the queue handed to a process that died before it could say
 * it had it. It reads the relay ledger (src/records/ledger.ts); every instance
 * that works the queue looks every `checkEveryMs`, and a restarted one as it starts. A job put back moves to a new
 * `run` with a new queue entry, so an old entry that a queue's own stalled check runs later does nothing. Once the
 * provider accepted a file, its job has left the ledger: it is never uploaded again.
 */
export class Recovery {
  readonly #o: RecoveryOptions;
  readonly #periodic = new Periodic(() => this.sweep());
  /** A store that is away fails every sweep: said once in a while, not every second. */
  readonly #warn: ReturnType<typeof onceIn>;

  constructor(options: RecoveryOptions) {
    this.#o = options;
    this.#warn = onceIn(10_000, options.log);
  }

  start(everyMs: number): void {
    this.#periodic.start(everyMs);
  }

  async stop(): Promise<void> {
    await this.#periodic.stop();
  }

  /** Looks through the ledger once. */
  async sweep(): Promise<void> {
    try {
      const alive = new Map<string, boolean>();
      for (const entry of await this.#o.ledger.entries()) {
        if (entry.worker === this.#o.instanceId) continue;
        if (entry.worker !== undefined) {
          let live = alive.get(entry.worker);
          if (live === undefined) {
            live = await this.#o.heartbeat.alive(entry.worker);
            alive.set(entry.worker, live);
          }
          if (!live) await this.#rescue(entry);
        } else if (Date.now() - entry.since > this.#o.lostRelayMs) {
          await this.#rescue(entry);
        }
      }
    } catch (err) {
      this.#warn('recovery: could not look', { error: errorMessage(err) });
    }
  }

  /**
   * Puts a job back in line when nobody runs it: its process is dead, or it is in no queue. Says which it was. Used
   * by the sweep and when someone asks for the memo again.
   */
  async rescue(job: JobRecord): Promise<'put-back' | 'in-line' | 'running' | 'not-relaying'> {
    if (job.state !== 'queued' && job.state !== 'sending') return 'not-relaying';
    if (job.worker !== undefined) {
      if (job.worker === this.#o.instanceId || (await this.#o.heartbeat.alive(job.worker))) return 'running';
      return (await this.#putBack(job, job.worker)) ? 'put-back' : 'running';
    }
    const inQueue = await this.#o.queue.stateOf(entryId(job.trackingId, job.run));
    if (inQueue === 'ready' || inQueue === 'delayed') return 'in-line';
    // Running in the queue with no process recorded on the job: its process died between the queue handing it the
    // entry and the `take` (a live one takes it within milliseconds). Caught by the sweep once the entry is older
    // than `lostRelayMs`; when asked for, at once.
    return (await this.#putBack(job, undefined)) ? 'put-back' : 'in-line';
  }

  async #rescue(entry: LedgerEntry): Promise<void> {
    const job = await this.#o.jobs.ifCurrent(entry.workspace, entry.trackingId);
    if (!job || (job.state !== 'queued' && job.state !== 'sending')) {
      await this.#o.ledger.leave(entry);
      return;
    }
    await this.rescue(job);
  }

  async #putBack(job: JobRecord, deadWorker: string | undefined): Promise<boolean> {
    const run = job.run + 1;
    const wasState = job.state;
    if (!(await this.#o.moves.apply(job, { move: 'recover', deadWorker, run }))) return false;
    job.run = run;
    delete job.worker;
    await this.#o.ledger.enter({ workspace: job.workspace, trackingId: job.trackingId, since: Date.now() });
    await this.#o.queue.add(relayOf(job));
    this.#o.log.info('relay put back in line', { trackingId: job.trackingId, was: wasState, deadWorker, run });
    return true;
  }
}
