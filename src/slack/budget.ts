import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../errors.ts';
import { LIMITS, type SlackRate, type SlackRates, type SlackWindow } from '../limits.ts';
import { workspaceKeys } from '../store/keys.ts';

/** What the budget answered a request for one call: go, or ask again in `retryInMs`. */
export type Grant = { ok: true } | { ok: false; retryInMs: number };

/** Slack's Tier 4 methods among those the app calls (docs.slack.dev, each method's page); others are Tier 3. */
const TIER_4 = new Set([
  'auth.test',
  'chat.getPermalink',
  'chat.postEphemeral',
  'conversations.members',
  'files.completeUploadExternal',
  'files.getUploadURLExternal',
  'files.info',
  'users.info',
  'views.open',
  'views.publish',
  'views.update',
]);

/** Slack's Tier 2 methods among those the app calls. */
const TIER_2 = new Set(['users.list']);

/** The methods Slack allows an app distributed outside the Marketplace once a minute, 15 messages each. */
const HISTORY = new Set(['conversations.history', 'conversations.replies']);

/** Not Slack methods but the client's own helpers, whose Slack calls are counted one by one. */
const HELPERS = new Set(['files.uploadV2']);

export interface BudgetOptions {
  rates: SlackRates;
  /** conversations.history/replies once a minute: an app distributed outside the Slack Marketplace. */
  historyLimited: boolean;
  /** Shared by every instance, in Redis under the app's key prefix; without it, in this process's memory. */
  redis?: { client: Redis; prefix: string };
  /** Each 429 Slack answered, by method. */
  onRateLimited?: (method: string) => void;
  /** The budget's store could not be asked; the call goes ahead, and Slack's 429s still pause its method. */
  onError?: (err: unknown) => void;
}

/**
 * The app's budget of Slack Web API calls, per workspace and per method (chat.postMessage per channel), following
 * Slack's tiers (`SLACK_RATES`) and what its 429s say. Each budget is a rate-limiter-flexible counter whose window
 * opens at its first call, and a second one for the calls a burst may take beyond it: in Redis (`RateLimiterRedis`),
 * so that every instance spends the same budget, or in this process's memory (`RateLimiterMemory`) for the embedded
 * store, which serves one instance (after a restart it starts full; Slack's 429s cover the difference). A 429 holds
 * only its method (in its channel, for chat.postMessage) in its workspace, for every instance, until Slack's
 * Retry-After. When the budget's store cannot be asked, calls go ahead: Slack's own 429s still stop them.
 */
export class SlackBudget {
  readonly kind: 'redis' | 'memory';
  readonly #o: BudgetOptions;
  readonly #limiters: Record<keyof SlackRates, Limiters>;
  readonly #prefix: string;

  constructor(options: BudgetOptions) {
    this.#o = options;
    this.kind = options.redis ? 'redis' : 'memory';
    this.#prefix = options.redis?.prefix ?? '';
    const limiter = (window: SlackWindow): RateLimiterAbstract => {
      // The key passed is the whole key (src/store/keys.ts, under the store's prefix): no prefix of the limiter's own.
      const shape = { keyPrefix: '', points: window.calls, duration: window.seconds };
      return options.redis
        ? new RateLimiterRedis({ ...shape, storeClient: options.redis.client })
        : new RateLimiterMemory(shape);
    };
    const limiters = (rate: SlackRate): Limiters => ({
      steady: limiter(rate),
      burst: rate.burst ? limiter(rate.burst) : undefined,
    });
    this.#limiters = {
      tier2: limiters(options.rates.tier2),
      tier3: limiters(options.rates.tier3),
      tier4: limiters(options.rates.tier4),
      postMessage: limiters(options.rates.postMessage),
      historyLimited: limiters(options.rates.historyLimited),
    };
  }

  /** One workspace's budget. */
  of(workspace: string): WorkspaceBudget {
    return new WorkspaceBudget(this, workspace);
  }

  /** Spends one call of `method` in the workspace if its budget has one now: the steady window's, else a burst's. */
  async take(workspace: string, method: string, channel?: string): Promise<Grant> {
    if (HELPERS.has(method)) return { ok: true };
    const { steady, burst } = this.#limiter(method);
    const keys = this.#keys(workspace, method, channel);
    try {
      await steady.consume(keys.steady);
      return { ok: true };
    } catch (refused) {
      if (!(refused instanceof RateLimiterRes)) return this.#unavailable(refused);
      if (!burst) return { ok: false, retryInMs: Math.max(1, refused.msBeforeNext) };
      try {
        await burst.consume(keys.burst);
        return { ok: true };
      } catch (also) {
        if (!(also instanceof RateLimiterRes)) return this.#unavailable(also);
        return { ok: false, retryInMs: Math.max(1, Math.min(refused.msBeforeNext, also.msBeforeNext)) };
      }
    }
  }

  /** Slack answered 429: holds the method (in the channel, for chat.postMessage) for `seconds`, in every instance. */
  async pause(workspace: string, method: string, channel: string | undefined, seconds: number): Promise<void> {
    this.#o.onRateLimited?.(method);
    const { steady, burst } = this.#limiter(method);
    const keys = this.#keys(workspace, method, channel);
    const held = Math.max(1, Math.ceil(seconds));
    try {
      await Promise.all([steady.block(keys.steady, held), burst?.block(keys.burst, held)]);
    } catch (err) {
      this.#o.onError?.(err);
    }
  }

  #unavailable(err: unknown): Grant {
    this.#o.onError?.(err);
    return { ok: true };
  }

  #limiter(method: string): Limiters {
    if (method === 'chat.postMessage') return this.#limiters.postMessage;
    if (HISTORY.has(method) && this.#o.historyLimited) return this.#limiters.historyLimited;
    if (TIER_2.has(method)) return this.#limiters.tier2;
    return TIER_4.has(method) ? this.#limiters.tier4 : this.#limiters.tier3;
  }

  #keys(workspace: string, method: string, channel: string | undefined): { steady: string; burst: string } {
    const keys = workspaceKeys(workspace);
    const perChannel = method === 'chat.postMessage' ? channel : undefined;
    return {
      steady: `${this.#prefix}${keys.slackBudget(method, perChannel)}`,
      burst: `${this.#prefix}${keys.slackBurst(method, perChannel)}`,
    };
  }
}

interface Limiters {
  steady: RateLimiterAbstract;
  burst?: RateLimiterAbstract;
}

/** The budget of one workspace. */
export class WorkspaceBudget {
  readonly #budget: SlackBudget;
  readonly workspace: string;

  constructor(budget: SlackBudget, workspace: string) {
    this.#budget = budget;
    this.workspace = workspace;
  }

  take(method: string, channel?: string): Promise<Grant> {
    return this.#budget.take(this.workspace, method, channel);
  }

  pause(method: string, channel: string | undefined, seconds: number): Promise<void> {
    return this.#budget.pause(this.workspace, method, channel, seconds);
  }

  /**
   * Waits until one call of the method may be made, and spends it. `onWait` hears how long first, when it must
   * wait. Throws `SlackBusyError` when the wait would pass `maxWaitMs`.
   */
  async wait(
    method: string,
    channel?: string,
    options: { maxWaitMs?: number; onWait?: (ms: number) => void } = {},
  ): Promise<void> {
    const until = Date.now() + (options.maxWaitMs ?? LIMITS.slackBudgetWaitMs);
    let told = false;
    for (;;) {
      const grant = await this.take(method, channel);
      if (grant.ok) return;
      if (Date.now() + grant.retryInMs > until) throw new SlackBusyError(method, grant.retryInMs);
      if (!told) options.onWait?.(grant.retryInMs);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, grant.retryInMs));
    }
  }
}

/**
 * A call the budget would not allow soon enough. Reads as Slack's own `ratelimited` (src/slack/errors.ts
 * `slackError`), the error Slack names in its 429 answers.
 */
export class SlackBusyError extends AppError {
  readonly data = { error: 'ratelimited' };
  readonly retryInMs: number;

  constructor(method: string, retryInMs: number) {
    super('slack_busy', `${method}: Slack's rate limit allows no call for ${Math.ceil(retryInMs / 1000)} s`);
    this.retryInMs = retryInMs;
  }
}

/** The part of a call's arguments its budget is kept by: the channel of a chat.postMessage. */
export function budgetChannel(method: string, args: Record<string, unknown> | undefined): string | undefined {
  return method === 'chat.postMessage' && typeof args?.channel === 'string' ? args.channel : undefined;
}

/** Slack's Retry-After (seconds) when the error is a 429 the Web API client returned, else undefined. */
export function retryAfterOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, retryAfter } = err as { code?: unknown; retryAfter?: unknown };
  return code === 'slack_webapi_rate_limited_error' && typeof retryAfter === 'number' ? retryAfter : undefined;
}
