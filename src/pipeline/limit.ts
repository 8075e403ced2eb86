/** Runs at most `concurrency` tasks at a time; the rest wait in order. */
export class Limiter {
  #active = 0;
  readonly #queue: (() => void)[] = [];
  readonly concurrency: number;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next in line, so no newcomer can slip in between.
    if (this.#active < this.concurrency) this.#active += 1;
    else await new Promise<void>((resolve) => this.#queue.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#active -= 1;
    }
  }
}
