/**
 * Work done now and then every `everyMs` (a sweep, a check), one run at a time: a run still going when the next is due
 * is not doubled, the timer never keeps the process alive, and `stop` waits for the run in progress.
 */
export class Periodic {
  readonly #work: () => Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(work: () => Promise<void>) {
    this.#work = work;
  }

  /** Starts the runs; the first at once unless `now` is false. */
  start(everyMs: number, { now = true }: { now?: boolean } = {}): void {
    const tick = () => {
      this.#running ??= this.#work().finally(() => {
        this.#running = undefined;
      });
    };
    if (now) tick();
    this.#timer = setInterval(tick, everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }
}
