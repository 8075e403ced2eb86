import { createHmac } from 'node:crypto';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import { AppError, ConfigError, errorMessage } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { type Logger, onceIn } from '../log.ts';
import type { ProviderAccount, SpeechProvider } from '../providers/index.ts';
import { workspaceAdmins } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import { processKeys, workspaceKeys } from '../store/keys.ts';
import type { Cipher } from './cipher.ts';
import {
  type ClientOptions,
  isWorkspaceAdmin,
  type KeyOutcome,
  type KeyState,
  slackClients,
  WorkspaceRegistry,
  type Workspaces,
} from './index.ts';

/** A workspace id as Slack writes it: a team (`T…`) or an Enterprise Grid org (`E…`). */
const WORKSPACE_ID = /^[TE][A-Z0-9]{2,30}$/;

/** What is kept of an installation (`ws:{W}:installation`); the bot token only sealed. */
export interface StoredInstallation {
  v: 1;
  /** The team's id, or the org's for an org-wide installation (`is_enterprise_install`). */
  workspace: string;
  teamId?: string;
  teamName?: string;
  enterpriseId?: string;
  enterpriseName?: string;
  enterpriseUrl?: string;
  isEnterpriseInstall: boolean;
  appId?: string;
  botUserId: string;
  botId: string;
  scopes: string[];
  /** Who installed it: an admin of the workspace for the app's purposes. */
  installer?: string;
  installedAt: number;
  /** The bot token, sealed (src/workspaces/cipher.ts). */
  token: string;
}

/** What is kept of a workspace's own provider key (`ws:{W}:provider-key`); the key only sealed. */
interface StoredKey {
  v: 1;
  sealed: string;
  last4: string;
  setAt: number;
  setBy: string;
  /** HMAC of the key, for "one key, one workspace" (`provider-keys`). */
  fingerprint: string;
  /** The webhook URL registered with it; registered again at start when it changed (another PUBLIC_URL). */
  webhook?: string;
}

export interface DistributionOptions {
  store: Store;
  cipher: Cipher;
  /** The operator's default key (OMICALL_API_KEY), for workspaces without one of their own. */
  defaultKey?: string;
  retentionMs: (workspace: string) => Promise<number>;
  clients: ClientOptions;
  provider: SpeechProvider;
  /** The webhook URL registered with a workspace's own key (src/config.ts `workspaceWebhookUrl`). */
  webhookUrlOf: (workspace: string) => string | undefined;
  /** Key of the provider keys' fingerprints. */
  fingerprintKey: string;
  log: Logger;
}

/** Distribution mode's workspaces: also the installation store Bolt's installer writes to and reads from. */
export interface DistributionWorkspaces extends Workspaces {
  readonly mode: 'distribution';
  readonly installationStore: InstallationStore;
  /**
   * At start: opens every stored secret with the configured keys and seals again what the previous key sealed.
   * Throws, with the reason, when there are installations and ENCRYPTION_KEY opens none of them.
   */
  checkSecrets(): Promise<{ installations: number; resealed: number; unreadable: string[] }>;
  /** At start: registers again each workspace key whose webhook URL changed (PUBLIC_URL moved). */
  reregister(): Promise<{ registered: number; failed: number }>;
  /** The installed workspaces. */
  installed(): Promise<string[]>;
  /** An installation as stored (token sealed), for `npm run doctor`. */
  installation(workspace: string): Promise<StoredInstallation | undefined>;
}

/** An installation Bolt's installer brought that the app does not keep; the installer's page says why. */
export class InstallationRefused extends AppError {
  readonly reason: 'token-rotation' | 'no-bot';

  constructor(reason: 'token-rotation' | 'no-bot') {
    super('installation_refused', `installation refused: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Distribution mode ("Add to Slack"): every workspace that installed the app, each with its own bot token, and its
 * own provider key once an admin set one, kept in the store under the workspace (`ws:{W}:`), sealed with
 * ENCRYPTION_KEY. Installations are per team, or per Enterprise Grid org for an org-wide installation (its id `E…`
 * then names the workspace, and every team of the org is served by it).
 *
 * Token rotation is refused: a rotating bot token expires every 12 hours, and this app uses tokens outside Slack's
 * requests (relays, thread replies), which Bolt refreshes only within a request. The installer's page says to turn
 * it off (the Slack app's "OAuth & Permissions" page).
 */
export function distributionWorkspaces(o: DistributionOptions): DistributionWorkspaces {
  const { store, cipher, log } = o;
  if (store.kind === 'memory') {
    throw new ConfigError([
      'distribution mode needs a store that survives a restart: the memory store forgets every installation and OMICall key when the process ends. Set REDIS_URL, or DATA_DIR for the embedded store on a disk that outlives the process',
    ]);
  }
  const registry = new WorkspaceRegistry(store);
  const clients = new Map<string, ReturnType<typeof slackClients>>();
  const warn = onceIn(60_000, log);

  // By token, each on the budget of the workspace it serves (one token, one installation).
  const clientsOf = (token: string, workspace: string) => {
    let found = clients.get(token);
    if (found) {
      // Most recently used last: the oldest leave first.
      clients.delete(token);
      clients.set(token, found);
      return found;
    }
    found = slackClients(token, o.clients, workspace);
    if (clients.size >= LIMITS.clientsCached) clients.delete(clients.keys().next().value ?? '');
    clients.set(token, found);
    return found;
  };

  const readInstallation = (workspace: string) =>
    WORKSPACE_ID.test(workspace)
      ? store.get<StoredInstallation>(workspaceKeys(workspace).installation())
      : Promise.resolve(undefined);

  /** The installation with its token opened, or undefined (not installed, or sealed with a key no longer set). */
  const open = async (workspace: string): Promise<{ stored: StoredInstallation; token: string } | undefined> => {
    const stored = await readInstallation(workspace);
    if (!stored) return undefined;
    const key = workspaceKeys(workspace).installation();
    const opened = cipher.open(stored.token, key);
    if (!opened.ok) {
      warn(
        `the Slack token of workspace ${workspace} cannot be opened (${opened.why}): ENCRYPTION_KEY is not the key it was sealed with`,
      );
      return undefined;
    }
    if (opened.stale) await store.set(key, { ...stored, token: cipher.seal(opened.plain, key) });
    return { stored, token: opened.plain };
  };

  const readKey = async (workspace: string): Promise<{ stored: StoredKey; apiKey: string } | undefined> => {
    if (!WORKSPACE_ID.test(workspace)) return undefined;
    const key = workspaceKeys(workspace).providerKey();
    const stored = await store.get<StoredKey>(key);
    if (!stored) return undefined;
    const opened = cipher.open(stored.sealed, key);
    if (!opened.ok) {
      warn(
        `the OMICall key of workspace ${workspace} cannot be opened (${opened.why}): ENCRYPTION_KEY is not the key it was sealed with`,
      );
      return undefined;
    }
    if (opened.stale) await store.set(key, { ...stored, sealed: cipher.seal(opened.plain, key) });
    return { stored, apiKey: opened.plain };
  };

  const fingerprint = (apiKey: string) =>
    createHmac('sha256', o.fingerprintKey).update(apiKey).digest('base64url').slice(0, 32);

  const installed = async () => Object.keys((await store.record(processKeys.installations())) ?? {});

  const installationStore: InstallationStore = {
    storeInstallation: async (installation) => {
      const record = toStored(installation);
      const key = workspaceKeys(record.workspace).installation();
      await store.set(key, { ...record, token: cipher.seal(record.token, key) });
      await store.update(processKeys.installations(), { [record.workspace]: record.installedAt });
      await registry.note(record.workspace, { again: true });
      log.info('installed', {
        workspace: record.workspace,
        enterprise: record.isEnterpriseInstall,
        scopes: record.scopes.length,
      });
    },
    fetchInstallation: async (query) => {
      const workspace = workspaceOfQuery(query);
      const found = workspace ? await open(workspace) : undefined;
      if (!found) throw new Error(`the app is not installed in ${workspace ?? 'this workspace'}`);
      return toInstallation(found.stored, found.token);
    },
    deleteInstallation: async (query) => {
      const workspace = workspaceOfQuery(query);
      if (workspace) await forget(workspace);
    },
  };

  const forget = async (workspace: string) => {
    const found = await readInstallation(workspace).catch(() => undefined);
    const own = await store.get<StoredKey>(workspaceKeys(workspace).providerKey()).catch(() => undefined);
    const keys = workspaceKeys(workspace);
    await store.delete(keys.installation(), keys.providerKey());
    await store.update(processKeys.installations(), { [workspace]: null });
    const owners = (await store.record<Record<string, string>>(processKeys.providerKeys())) ?? {};
    const mine = Object.keys(owners).filter((f) => owners[f] === workspace || f === own?.fingerprint);
    if (mine.length > 0) await store.update(processKeys.providerKeys(), Object.fromEntries(mine.map((f) => [f, null])));
    await registry.forget(workspace);
    if (found) {
      const opened = cipher.open(found.token, keys.installation());
      if (opened.ok) clients.delete(opened.plain);
    }
  };

  return {
    mode: 'distribution',
    installationStore,
    slack: async (workspace) => {
      const found = await open(workspace);
      return found ? { workspace, token: found.token, ...clientsOf(found.token, workspace) } : undefined;
    },
    account: async (workspace): Promise<ProviderAccount | undefined> => {
      const own = await readKey(workspace);
      if (own) return { apiKey: own.apiKey, source: 'own' };
      return o.defaultKey ? { apiKey: o.defaultKey, source: 'default' } : undefined;
    },
    retentionMs: (workspace) => o.retentionMs(workspace),
    note: (workspace) => registry.note(workspace),
    list: () => registry.list(),
    keyState: async (workspace): Promise<KeyState> => {
      const own = await readKey(workspace);
      if (own) return { kind: 'own', last4: own.stored.last4, setAt: own.stored.setAt };
      return o.defaultKey ? { kind: 'default' } : { kind: 'none' };
    },
    isAdmin: async (workspace, user) => {
      const found = await open(workspace);
      if (!found) return false;
      if (found.stored.installer === user) return true;
      return isWorkspaceAdmin(clientsOf(found.token, workspace).web, user);
    },
    admins: async (workspace) => {
      const found = await open(workspace);
      if (!found) return [];
      const listed = await workspaceAdmins(
        clientsOf(found.token, workspace).web,
        LIMITS.adminPages,
        LIMITS.adminsTold,
      ).catch((err: unknown) => {
        log.warn('could not list the admins', { workspace, error: errorMessage(err) });
        return [];
      });
      const installer = found.stored.installer ? [found.stored.installer] : [];
      return [...new Set([...installer, ...listed])].slice(0, LIMITS.adminsTold);
    },
    setKey: async (workspace, submitted, by, signal): Promise<KeyOutcome> => {
      const apiKey = submitted.trim();
      if (apiKey === '') return { status: 'invalid', why: 'empty' };
      if (apiKey.length > LIMITS.providerKeyChars) return { status: 'invalid', why: 'too-long' };
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
      if (/[\s\u0000-\u001f\u007f]/.test(apiKey)) return { status: 'invalid', why: 'characters' };
      if (o.defaultKey !== undefined && apiKey === o.defaultKey) return { status: 'default-key' };
      const print = fingerprint(apiKey);
      const owner = (await store.record<Record<string, string>>(processKeys.providerKeys()))?.[print];
      if (owner && owner !== workspace && (await readInstallation(owner))) return { status: 'taken' };
      const url = o.webhookUrlOf(workspace);
      const { results } = o.provider;
      if (results.kind === 'callback') {
        if (!url) return { status: 'unreachable', error: 'no_public_url' };
        const answer = await results.register(url, { apiKey, source: 'own' }, { signal });
        if (!answer.ok) {
          log.info('a workspace key was refused', { workspace, error: answer.error });
          return answer.retryable
            ? { status: 'unreachable', error: answer.error }
            : { status: 'refused', error: answer.error };
        }
      }
      const keys = workspaceKeys(workspace);
      const previous = await store.get<StoredKey>(keys.providerKey());
      const record: StoredKey = {
        v: 1,
        sealed: cipher.seal(apiKey, keys.providerKey()),
        last4: apiKey.slice(-4),
        setAt: Date.now(),
        setBy: by,
        fingerprint: print,
        ...(results.kind === 'callback' && url ? { webhook: url } : {}),
      };
      await store.set(keys.providerKey(), record);
      await store.update(processKeys.providerKeys(), {
        [print]: workspace,
        ...(previous && previous.fingerprint !== print ? { [previous.fingerprint]: null } : {}),
      });
      await store.delete(keys.noKeyTold());
      log.info('a workspace key was set', { workspace });
      return { status: 'saved', last4: record.last4 };
    },
    forget,
    installedCount: async () => (await installed()).length,
    installed,
    installation: readInstallation,
    checkSecrets: async () => {
      const workspaces = await installed();
      const unreadable: string[] = [];
      let resealed = 0;
      for (const workspace of workspaces) {
        const keys = workspaceKeys(workspace);
        const stored = await readInstallation(workspace);
        const own = await store.get<StoredKey>(keys.providerKey());
        const token = stored ? cipher.open(stored.token, keys.installation()) : undefined;
        const apiKey = own ? cipher.open(own.sealed, keys.providerKey()) : undefined;
        if (token?.ok === false || apiKey?.ok === false) unreadable.push(workspace);
        // Opening seals again what the previous key sealed.
        if (token?.ok && token.stale && (await open(workspace))) resealed += 1;
        if (apiKey?.ok && apiKey.stale && (await readKey(workspace))) resealed += 1;
      }
      if (workspaces.length > 0 && unreadable.length === workspaces.length) {
        throw new ConfigError([
          `ENCRYPTION_KEY opens none of the ${workspaces.length} stored installations: it is not the key they were sealed with. Set it back to that key; to change keys, set the old one as ENCRYPTION_KEY_PREVIOUS (docs/setup-distribution.md, "Rotating ENCRYPTION_KEY")`,
        ]);
      }
      return { installations: workspaces.length, resealed, unreadable };
    },
    reregister: async () => {
      let registered = 0;
      let failed = 0;
      const { results } = o.provider;
      if (results.kind !== 'callback') return { registered, failed };
      for (const workspace of await installed()) {
        const own = await readKey(workspace);
        const url = o.webhookUrlOf(workspace);
        if (!own || !url || own.stored.webhook === url) continue;
        const answer = await results.register(url, { apiKey: own.apiKey, source: 'own' });
        if (answer.ok) {
          registered += 1;
          await store.set(workspaceKeys(workspace).providerKey(), { ...own.stored, webhook: url });
        } else {
          failed += 1;
          log.error(`${o.provider.name} refused a workspace's webhook at its new address (${answer.error})`, {
            workspace,
          });
        }
      }
      return { registered, failed };
    },
  };
}

/** The workspace an installation query is for: the org for an org-wide installation, else the team. */
function workspaceOfQuery(query: InstallationQuery<boolean>): string | undefined {
  const id = query.isEnterpriseInstall ? query.enterpriseId : (query.teamId ?? query.enterpriseId);
  return id && WORKSPACE_ID.test(id) ? id : undefined;
}

/** What is kept of an installation Bolt's installer made from `oauth.v2.access`; the token still in the clear. */
function toStored(installation: Installation): StoredInstallation {
  const bot = installation.bot;
  if (!bot?.token || !bot.userId) throw new InstallationRefused('no-bot');
  if (bot.refreshToken !== undefined || bot.expiresAt !== undefined) throw new InstallationRefused('token-rotation');
  const enterprise = installation.enterprise;
  const isEnterpriseInstall = installation.isEnterpriseInstall === true;
  const workspace = isEnterpriseInstall ? enterprise?.id : installation.team?.id;
  if (!workspace || !WORKSPACE_ID.test(workspace)) throw new Error('an installation without a valid team or org id');
  return {
    v: 1,
    workspace,
    ...(installation.team?.id ? { teamId: installation.team.id } : {}),
    ...(installation.team?.name ? { teamName: installation.team.name.slice(0, 200) } : {}),
    ...(enterprise?.id ? { enterpriseId: enterprise.id } : {}),
    ...(enterprise?.name ? { enterpriseName: enterprise.name.slice(0, 200) } : {}),
    ...(installation.enterpriseUrl ? { enterpriseUrl: installation.enterpriseUrl } : {}),
    isEnterpriseInstall,
    ...(installation.appId ? { appId: installation.appId } : {}),
    botUserId: bot.userId,
    botId: bot.id,
    scopes: bot.scopes ?? [],
    ...(installation.user?.id ? { installer: installation.user.id } : {}),
    installedAt: Date.now(),
    token: bot.token,
  };
}

/** The installation as Bolt's installer hands it to `authorize` (user tokens are never kept). */
function toInstallation(stored: StoredInstallation, token: string): Installation<'v2', boolean> {
  return {
    team: stored.teamId ? { id: stored.teamId, ...(stored.teamName ? { name: stored.teamName } : {}) } : undefined,
    enterprise: stored.enterpriseId
      ? { id: stored.enterpriseId, ...(stored.enterpriseName ? { name: stored.enterpriseName } : {}) }
      : undefined,
    user: { token: undefined, scopes: undefined, id: stored.installer ?? '' },
    bot: { token, scopes: stored.scopes, id: stored.botId, userId: stored.botUserId },
    ...(stored.appId ? { appId: stored.appId } : {}),
    tokenType: 'bot',
    ...(stored.enterpriseUrl ? { enterpriseUrl: stored.enterpriseUrl } : {}),
    isEnterpriseInstall: stored.isEnterpriseInstall,
    authVersion: 'v2',
  };
}
