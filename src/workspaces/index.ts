import { createHash } from 'node:crypto';
import type { Logger as BoltLogger } from '@slack/bolt';
import { webApi } from '@slack/bolt';
import { LIMITS, SLACK_RATES } from '../limits.ts';
import type { ProviderAccount } from '../providers/index.ts';
import { budgetChannel, retryAfterOf, SlackBudget, type WorkspaceBudget } from '../slack/budget.ts';
import { workspaceAdmins } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import { processKeys } from '../store/keys.ts';
import type { Settings } from './settings.ts';

/** A workspace's Slack: its bot token, its Web API clients and its budget of calls. */
export interface WorkspaceSlack {
  workspace: string;
  /** The bot token, for Slack's file host and the Web API. */
  token: string;
  /**
   * Every call waits for its method's budget in this workspace (src/slack/budget.ts); a 429 pauses that method
   * alone, and the call is made again after Slack's Retry-After.
   */
  web: webApi.WebClient;
  /** For transcript files someone waits for: gives up within minutes, not the default half hour. Budgeted as `web`. */
  uploads: webApi.WebClient;
  /** The workspace's budget, for callers that choose what to spend it on (the thread replies) and use `direct`. */
  budget: WorkspaceBudget;
  /**
   * Calls made at once, by callers that took their budget first: a 429 is thrown (the caller pauses the method), a
   * failure is not retried, and a call that has not answered within `slackCallTimeoutMs` fails.
   */
  direct: webApi.WebClient;
}

/**
 * The workspaces the app serves, and what each one brings: its Slack installation (token) and its provider
 * account (OMICall key). Single-workspace mode has one of each from the environment; distribution mode
 * (src/workspaces/distribution.ts) keeps them per workspace in the store.
 */
export interface Workspaces {
  readonly mode: 'single' | 'distribution';
  /** The workspace's Slack, or undefined when the app is not installed there. */
  slack(workspace: string): Promise<WorkspaceSlack | undefined>;
  /** The account the workspace's uploads go with, or undefined when it has none yet. */
  account(workspace: string): Promise<ProviderAccount | undefined>;
  /** How long the workspace keeps its transcripts' records: RETENTION_DAYS, or its admins' setting. */
  retentionMs(workspace: string): Promise<number>;
  /** Records that the app serves a workspace (its first memo, its installation). */
  note(workspace: string): Promise<void>;
  /** Every workspace the app has served. */
  list(): Promise<string[]>;
  /** Where the workspace's provider key comes from, as its Home tab tells the admins. */
  keyState(workspace: string): Promise<KeyState>;
  /** Whether someone may change the workspace's settings: a workspace admin or owner (or, installed by OAuth, its installer). */
  isAdmin(workspace: string, user: string): Promise<boolean>;
  /** The people to tell what only an admin can do (its installer first, then its admins and owners), a few at most. */
  admins(workspace: string): Promise<string[]>;
  /**
   * Sets the workspace's own provider key once the provider accepted it: its webhook is registered with the key
   * (so a refused key is never stored), and it is stored encrypted. `signal` bounds the provider's answer.
   */
  setKey(workspace: string, key: string, by: string, signal?: AbortSignal): Promise<KeyOutcome>;
  /** Forgets the workspace's installation and provider key (it uninstalled the app). Its records go elsewhere. */
  forget(workspace: string): Promise<void>;
  /** How many workspaces have the app installed (for /metrics: a count, never names). */
  installedCount(): Promise<number>;
}

/** What became of a provider key an admin submitted. */
export type KeyOutcome =
  | { status: 'saved'; last4: string }
  /** Not a key at all: nothing, too long, or with spaces or control characters inside. */
  | { status: 'invalid'; why: 'empty' | 'too-long' | 'characters' }
  /** The operator's default key (OMICALL_API_KEY): its webhook serves every workspace without a key of its own. */
  | { status: 'default-key' }
  /** The key serves another installed workspace: the provider sends one key's results to one URL only. */
  | { status: 'taken' }
  /** The provider refused it (its error name). */
  | { status: 'refused'; error: string }
  /** The provider could not be reached, or did not answer in time. */
  | { status: 'unreachable'; error: string }
  /** Single-workspace mode: the key is OMICALL_API_KEY, set by whoever runs the app. */
  | { status: 'environment' };

/** Where a workspace's provider key comes from. */
export type KeyState =
  /** Single-workspace mode: OMICALL_API_KEY, set by whoever runs the app. */
  | { kind: 'environment' }
  /** Distribution mode: the workspace's own key, set from the Home tab (only its last four characters are shown). */
  | { kind: 'own'; last4: string; setAt: number }
  /** Distribution mode, no key of its own: the operator's default key (OMICALL_API_KEY). */
  | { kind: 'default' }
  /** Distribution mode, no key of its own and no default: nothing is uploaded until an admin sets one. */
  | { kind: 'none' };

export interface ClientOptions {
  slackApiUrl: string;
  logger: BoltLogger;
  /** The app's budget of Slack calls (shared by every instance on Redis); without one, these clients keep their own. */
  budget?: SlackBudget;
}

/**
 * The Web API clients of one bot token, spending `workspace`'s budget (without a workspace, one of the token's own).
 * Slack's 429s are returned to the app (`rejectRateLimitedCalls`): the Web API client would otherwise pause its whole
 * queue, every method and every caller, for one rate-limited method.
 */
export function slackClients(
  token: string,
  options: ClientOptions,
  workspace?: string,
): Pick<WorkspaceSlack, 'web' | 'uploads' | 'budget' | 'direct'> {
  const budget = (options.budget ?? new SlackBudget({ rates: SLACK_RATES, historyLimited: false })).of(
    workspace ?? `token-${createHash('sha256').update(token).digest('hex').slice(0, 16)}`,
  );
  const clientOptions = { slackApiUrl: options.slackApiUrl, logger: options.logger, rejectRateLimitedCalls: true };
  return {
    web: new BudgetedWebClient(token, clientOptions, budget),
    uploads: new BudgetedWebClient(
      token,
      { ...clientOptions, retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes },
      budget,
    ),
    budget,
    direct: new webApi.WebClient(token, {
      ...clientOptions,
      retryConfig: { retries: 0 },
      timeout: LIMITS.slackCallTimeoutMs,
    }),
  };
}

/**
 * A Web API client whose every call first waits for its method's budget, and which, answered 429, pauses that method
 * for Slack's Retry-After and calls again (for at most `slackBudgetWaitMs` in all).
 */
class BudgetedWebClient extends webApi.WebClient {
  readonly #budget: WorkspaceBudget;

  constructor(token: string, options: webApi.WebClientOptions, budget: WorkspaceBudget) {
    super(token, options);
    this.#budget = budget;
  }

  override async apiCall(method: string, options?: Record<string, unknown>): Promise<webApi.WebAPICallResult> {
    const channel = budgetChannel(method, options);
    const until = Date.now() + LIMITS.slackBudgetWaitMs;
    for (;;) {
      await this.#budget.wait(method, channel, { maxWaitMs: until - Date.now() });
      try {
        return await super.apiCall(method, options);
      } catch (err) {
        const retryAfter = retryAfterOf(err);
        if (retryAfter === undefined) throw err;
        await this.#budget.pause(method, channel, retryAfter);
      }
    }
  }
}

/** The registry of workspaces served, kept in the store. */
export class WorkspaceRegistry {
  readonly #store: Store;
  readonly #noted = new Set<string>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** `again`: written even when this process noted it before (an installation, after an uninstallation elsewhere). */
  async note(workspace: string, options: { again?: boolean } = {}): Promise<void> {
    if (this.#noted.has(workspace) && !options.again) return;
    await this.#store.update(processKeys.workspaces(), { [workspace]: Date.now() }, {});
    this.#noted.add(workspace);
  }

  async forget(workspace: string): Promise<void> {
    this.#noted.delete(workspace);
    await this.#store.update(processKeys.workspaces(), { [workspace]: null });
  }

  async list(): Promise<string[]> {
    return Object.keys((await this.#store.record(processKeys.workspaces())) ?? {});
  }
}

/** Single-workspace mode: the bot token and the OMICall key of the environment serve every memo. */
export function singleWorkspace(options: {
  store: Store;
  token: string;
  apiKey: string;
  /** The workspace's settings, where its admins may keep transcripts for another time than RETENTION_DAYS. */
  settings: Pick<Settings, 'retentionMs'>;
  clients: ClientOptions;
}): Workspaces {
  const registry = new WorkspaceRegistry(options.store);
  // One set of clients per workspace the token serves (one, or an Enterprise Grid org's), each on its budget.
  const clients = new Map<string, ReturnType<typeof slackClients>>();
  const clientsOf = (workspace: string) => {
    let found = clients.get(workspace);
    if (!found) {
      if (clients.size >= LIMITS.clientsCached) clients.clear();
      found = slackClients(options.token, options.clients, workspace);
      clients.set(workspace, found);
    }
    return found;
  };
  return {
    mode: 'single',
    slack: async (workspace) => ({ workspace, token: options.token, ...clientsOf(workspace) }),
    account: async () => ({ apiKey: options.apiKey, source: 'default' }),
    retentionMs: (workspace) => options.settings.retentionMs(workspace),
    note: (workspace) => registry.note(workspace),
    list: () => registry.list(),
    keyState: async () => ({ kind: 'environment' }),
    isAdmin: async (workspace, user) => isWorkspaceAdmin(clientsOf(workspace).web, user),
    admins: (workspace) =>
      workspaceAdmins(clientsOf(workspace).web, LIMITS.adminPages, LIMITS.adminsTold).catch(() => []),
    setKey: async () => ({ status: 'environment' }),
    // The token and the key are the environment's: uninstalling leaves nothing of them in the store.
    forget: (workspace) => registry.forget(workspace),
    installedCount: async () => 1,
  };
}

/** Whether Slack says this person administers the workspace (`users.info`: admin, owner or primary owner). */
export async function isWorkspaceAdmin(web: webApi.WebClient, user: string): Promise<boolean> {
  try {
    const info = await web.users.info({ user });
    return Boolean(info.user?.is_admin || info.user?.is_owner || info.user?.is_primary_owner);
  } catch {
    // Slack would not say (missing users:read, an unknown user): not an admin.
    return false;
  }
}
