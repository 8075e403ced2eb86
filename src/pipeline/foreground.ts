import { LIMITS } from '../limits.ts';

/**
 * Slack's requests come first. Each memo is stored before its event is answered (src/pipeline/intake.ts); what
 * follows (the thread reply, the relay) may start a moment later without risking anything, and when 100 memos are
 * shared at once, starting it at once would make Slack's requests wait for the CPU. So the work that can wait asks
 * `yield()` first: it goes on once no signed Slack request has been in hand for a moment, and never waits longer
 * than `LIMITS.foregroundWaitMs`.
 */
export class Foreground {
  #active = 0;
  #lastEnd = 0;
  #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;

  /** A signed Slack request is being handled; call the function returned once it is answered. */
  begin(): () => void {
    this.#active += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#active -= 1;
      this.#lastEnd = Date.now();
      this.#arm();
    };
  }

  /** Resolves when Slack's requests leave room, at the latest after `LIMITS.foregroundWaitMs`. */
  yield(): Promise<void> {
    if (this.#clear()) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const go = () => {
        if (done) return;
        done = true;
        clearTimeout(limit);
        resolve();
      };
      const limit = setTimeout(go, LIMITS.foregroundWaitMs);
      limit.unref();
      this.#waiting.push(go);
      this.#arm();
    });
  }

  #clear(): boolean {
    return this.#active === 0 && Date.now() - this.#lastEnd >= LIMITS.foregroundQuietMs;
  }

  #arm(): void {
    if (this.#waiting.length === 0 || this.#active > 0) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        if (!this.#clear()) return this.#arm();
        for (const go of this.#waiting.splice(0)) go();
      },
      Math.max(0, this.#lastEnd + LIMITS.foregroundQuietMs - Date.now()),
    );
    this.#timer.unref();
  }
}
