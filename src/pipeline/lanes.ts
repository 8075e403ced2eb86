/**
 * How much a Slack call matters to the people reading the thread, most first: a memo's first reply (⏳, so that
 * everyone sees it was taken), then what is final (the whole transcript, its ✅, a failure), then the states in
 * between (📝, "sent to OMICall", a transcript still growing), which are merged into the next write or skipped when
 * the budget is short.
 */
export type Urgency = 'first' | 'final' | 'intermediate';

const RANK: Record<Urgency, number> = { first: 0, final: 1, intermediate: 2 };

/** One Slack method's budget in one workspace; chat.postMessage's is per channel. */
export interface LaneKey {
  workspace: string;
  method: string;
  channel?: string;
}

/** What one turn of a lane did for a memo. */
export type Turn =
  /** A call was made; or nothing was left to do for the memo on this lane. */
  | { kind: 'done'; called: boolean }
  /** The method's budget (or Slack's 429) says wait: the lane waits, the memo keeps its place. */
  | { kind: 'busy'; retryInMs: number }
  /** This memo cannot go now (another instance writes it, or the call failed): the others go first. */
  | { kind: 'later'; retryInMs: number };

interface Waiting {
  urgency: Urgency;
  /** When it joined the line: the oldest goes first among the same urgency. */
  since: number;
  /** Not before then (the gap between two writes of one memo, or a back-off). */
  notBefore: number;
  /** Bumped by each `want`, so that a want that came during a turn is not dropped with it. */
  version: number;
  /** The urgency wanted during its turn: what it needs next, which replaces what it needed. */
  next?: Urgency;
}

export interface LanesOptions {
  /** Makes the memo's next call on the lane's method, if it needs one. Never throws. */
  turn: (memo: string, lane: LaneKey) => Promise<Turn>;
  /** Least time between two calls for one memo on one lane; changes in between are gathered into the next. */
  gapMs: number;
  /** Called whenever the lanes have nothing left to do. */
  onIdle: () => void;
  /** Called when a memo leaves a lane, its calls there done. */
  onLeave: (memo: string) => void;
}

/**
 * The calls waiting for Slack, one lane per method per workspace (per channel for chat.postMessage), so that a
 * method out of budget holds back only its own calls. In each lane the most urgent memo goes first, the oldest first
 * among equals, one call at a time; each turn renders the memo's latest state, so a memo waiting in line is written
 * once with whatever it has become.
 */
export class Lanes {
  readonly #o: LanesOptions;
  readonly #lanes = new Map<string, Lane>();
  /** When each memo's last call on each lane was made, kept one gap: its next call waits for the gap to pass. */
  readonly #lastCalls = new Map<string, number>();
  #stopped = false;

  constructor(options: LanesOptions) {
    this.#o = options;
  }

  /** The memo needs a call on this lane, this urgent (a memo already in line keeps its place, at this urgency). */
  want(key: LaneKey, memo: string, urgency: Urgency): void {
    if (this.#stopped) return;
    const id = `${key.workspace}\n${key.method}\n${key.channel ?? ''}`;
    let lane = this.#lanes.get(id);
    if (!lane) {
      lane = new Lane(key, this.#o, {
        empty: () => {
          this.#lanes.delete(id);
          if (!this.busy()) this.#o.onIdle();
        },
        called: (memo) => this.#called(`${id}\n${memo}`),
      });
      this.#lanes.set(id, lane);
    }
    lane.want(memo, urgency, (this.#lastCalls.get(`${id}\n${memo}`) ?? 0) + this.#o.gapMs);
  }

  #called(id: string): void {
    const now = Date.now();
    for (const [key, at] of this.#lastCalls) if (at + this.#o.gapMs <= now) this.#lastCalls.delete(key);
    this.#lastCalls.set(id, now);
  }

  busy(): boolean {
    return this.#lanes.size > 0;
  }

  /** Whether the memo waits in a lane, or has its turn in one. */
  holds(memo: string): boolean {
    for (const lane of this.#lanes.values()) if (lane.holds(memo)) return true;
    return false;
  }

  /** Stops every lane after its turn in progress; what is left is still owed in the store. */
  stop(): void {
    this.#stopped = true;
    for (const lane of this.#lanes.values()) lane.stop();
  }
}

class Lane {
  readonly #key: LaneKey;
  readonly #o: LanesOptions;
  readonly #hooks: { empty: () => void; called: (memo: string) => void };
  readonly #waiting = new Map<string, Waiting>();
  #running = false;
  #stopped = false;
  /** The memo whose turn is under way. */
  #serving: string | undefined;
  #wake: (() => void) | undefined;
  #interrupt: (() => void) | undefined;

  constructor(key: LaneKey, options: LanesOptions, hooks: { empty: () => void; called: (memo: string) => void }) {
    this.#key = key;
    this.#o = options;
    this.#hooks = hooks;
  }

  holds(memo: string): boolean {
    return this.#waiting.has(memo);
  }

  /** `notBefore`: one gap after the memo's last call on this lane. */
  want(memo: string, urgency: Urgency, notBefore: number): void {
    const now = Date.now();
    const w = this.#waiting.get(memo);
    if (w) {
      if (memo === this.#serving) w.next = w.next && RANK[w.next] < RANK[urgency] ? w.next : urgency;
      else if (RANK[urgency] < RANK[w.urgency]) w.urgency = urgency;
      w.version += 1;
    } else {
      this.#waiting.set(memo, { urgency, since: now, notBefore, version: 0 });
    }
    this.#wake?.();
    if (!this.#running) void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#interrupt?.();
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (!this.#stopped && this.#waiting.size > 0) {
        const now = Date.now();
        const next = this.#next(now);
        if (!next) {
          const soonest = Math.min(...[...this.#waiting.values()].map((w) => w.notBefore));
          await this.#sleep(soonest - now, true);
          continue;
        }
        const [memo, w] = next;
        const version = w.version;
        w.next = undefined;
        this.#serving = memo;
        const turn = await this.#o.turn(memo, this.#key).finally(() => {
          this.#serving = undefined;
        });
        const after = Date.now();
        if (turn.kind === 'done' && turn.called) this.#hooks.called(memo);
        const wanted = w.next;
        w.next = undefined;
        switch (turn.kind) {
          case 'done':
            if (w.version === version) {
              this.#waiting.delete(memo);
              this.#o.onLeave(memo);
            } else {
              // Wanted again while it was being written: for what it needs now, and after a call one gap later and
              // behind the memos already waiting.
              if (wanted) w.urgency = wanted;
              if (turn.called) Object.assign(w, { since: after, notBefore: after + this.#o.gapMs });
            }
            break;
          case 'later':
            w.notBefore = after + turn.retryInMs;
            break;
          case 'busy':
            // The budget refills on its own time: new wants do not wake the lane.
            await this.#sleep(turn.retryInMs, false);
            break;
        }
      }
    } finally {
      this.#running = false;
      if (this.#waiting.size === 0 || this.#stopped) this.#hooks.empty();
    }
  }

  /** The memo whose turn it is: ready, most urgent, waiting longest. */
  #next(now: number): [string, Waiting] | undefined {
    let best: [string, Waiting] | undefined;
    for (const entry of this.#waiting) {
      const w = entry[1];
      if (w.notBefore > now) continue;
      if (
        !best ||
        RANK[w.urgency] < RANK[best[1].urgency] ||
        (w.urgency === best[1].urgency && w.since < best[1].since)
      )
        best = entry;
    }
    return best;
  }

  /** Waits ms, or until stopped, or (`byWant`) until a memo joins the line. */
  #sleep(ms: number, byWant: boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = byWant
        ? () => {
            this.#wake = undefined;
            done();
          }
        : undefined;
      this.#interrupt = () => {
        this.#interrupt = undefined;
        done();
      };
    });
  }
}
