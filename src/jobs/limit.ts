/** Runs at most `concurrency` tasks at a time; the rest wait in order. */
export class Limiter {
  #active = 0;
  readonly #queue: (() => void)[] = [];
  readonly #idle: (() => void)[] = [];
  readonly concurrency: number;

  constructor(concurrency: number) {
    this.concurrency = concurrency;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#queue.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.concurrency) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active += 1;
    try {
      return await task();
    } finally {
      this.#active -= 1;
      const next = this.#queue.shift();
      if (next) next();
      else if (this.#active === 0) this.#idle.splice(0).forEach((resolve) => resolve());
    }
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    return this.#active === 0 && this.#queue.length === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }
}
