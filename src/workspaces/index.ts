import type { Logger as BoltLogger } from '@slack/bolt';
import { webApi } from '@slack/bolt';
import type { ProviderAccount } from '../providers/index.ts';
import type { Store } from '../store/index.ts';
import { processKeys } from '../store/keys.ts';
import type { Settings } from './settings.ts';

/** A workspace's Slack: its bot token and Web API clients. */
export interface WorkspaceSlack {
  workspace: string;
  /** The bot token, for Slack's file host and the Web API. */
  token: string;
  web: webApi.WebClient;
  /** For transcript files someone waits for: gives up within minutes, not the default half hour. */
  uploads: webApi.WebClient;
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
}

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
}

/** The Web API clients of one bot token. */
export function slackClients(token: string, options: ClientOptions): Pick<WorkspaceSlack, 'web' | 'uploads'> {
  const clientOptions = { slackApiUrl: options.slackApiUrl, logger: options.logger };
  return {
    web: new webApi.WebClient(token, clientOptions),
    uploads: new webApi.WebClient(token, {
      ...clientOptions,
      retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
    }),
  };
}

/** The registry of workspaces served, kept in the store. */
export class WorkspaceRegistry {
  readonly #store: Store;
  readonly #noted = new Set<string>();

  constructor(store: Store) {
    this.#store = store;
  }

  async note(workspace: string): Promise<void> {
    if (this.#noted.has(workspace)) return;
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
  const clients = slackClients(options.token, options.clients);
  return {
    mode: 'single',
    slack: async (workspace) => ({ workspace, token: options.token, ...clients }),
    account: async () => ({ apiKey: options.apiKey, source: 'default' }),
    retentionMs: (workspace) => options.settings.retentionMs(workspace),
    note: (workspace) => registry.note(workspace),
    list: () => registry.list(),
    keyState: async () => ({ kind: 'environment' }),
    isAdmin: async (_workspace, user) => isWorkspaceAdmin(clients.web, user),
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
