const QUIET_MS = 20;
const MAX_WAIT_MS = 500;

/**
 * Knows when Slack's requests come in a burst, so that the work they bring waits until they are all
 * acknowledged: a memo's claim, its relay (download, ffmpeg, upload) and its thread reply start once Slack's
 * requests pause for 20 ms, at most 500 ms after the burst began, and at once when Slack is quiet. 100 memos
 * shared at once are then acknowledged about as fast as a bare HTTP server would answer them, instead of
 * competing with their own work for the CPU. The price, measured: a process killed within those 20 ms after a
 * burst loses the burst's events (Slack does not send an acknowledged event again); from the claim on, the job
 * is in the queue.
 */
export class Bursts {
  #first = 0;
  #last = 0;
  #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** A Slack request arrived. */
  touch(): void {
    const now = Date.now();
    if (now - this.#last > QUIET_MS) this.#first = now;
    this.#last = now;
    this.#arm();
  }

  /** Resolves at once when Slack is quiet, else when the burst ends (or has lasted 500 ms). */
  quiet(): Promise<void> {
    if (this.#isQuiet()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#arm();
    });
  }

  #isQuiet(): boolean {
    const now = Date.now();
    return now - this.#last >= QUIET_MS || now - this.#first >= MAX_WAIT_MS;
  }

  #arm(): void {
    if (this.#waiting.length === 0) return;
    clearTimeout(this.#timer);
    const now = Date.now();
    const wait = Math.max(0, Math.min(this.#last + QUIET_MS, this.#first + MAX_WAIT_MS) - now);
    this.#timer = setTimeout(() => {
      if (!this.#isQuiet()) return this.#arm();
      for (const resolve of this.#waiting.splice(0)) resolve();
    }, wait);
    this.#timer.unref();
  }
}
