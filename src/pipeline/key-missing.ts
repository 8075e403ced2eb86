import { type Lang, messages } from '../i18n/index.ts';
import { LIMITS } from '../limits.ts';
import type { Logger } from '../log.ts';
import { replyThreadTs } from '../records/tracking-id.ts';
import { slackError } from '../slack/errors.ts';
import { displayName, type SlackFile } from '../slack/files.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';
import type { UserLanguages } from '../slack/users.ts';
import type { Store } from '../store/index.ts';
import { workspaceKeys } from '../store/keys.ts';
import type { Workspaces } from '../workspaces/index.ts';
import type { SharedMessage } from './intake.ts';

export interface KeyMissingOptions {
  store: Store;
  workspaces: Workspaces;
  languages: UserLanguages;
  /** The language of thread replies. */
  lang: Lang;
  /** The provider's name, as users read it. */
  provider: string;
  /** How long a memo's "no key" line is remembered (so Slack's retries do not post it twice). */
  retentionMs: (workspace: string) => Promise<number>;
  log: Logger;
}

/**
 * A workspace without a provider key of its own, where the operator set no default (distribution mode): nothing is
 * uploaded. Each memo shared there gets one plain line in its thread, and the workspace's admins (its installer
 * first) are told once, by DM, how to set the key; once a key is set and goes again, they would be told again.
 */
export class KeyMissing {
  readonly #o: KeyMissingOptions;

  constructor(options: KeyMissingOptions) {
    this.#o = options;
  }

  /** The provider's name, as users read it. */
  get provider(): string {
    return this.#o.provider;
  }

  /** A memo that was not sent: its thread is told once; then the admins, once. Never throws. */
  async memo(message: SharedMessage, file: SlackFile): Promise<void> {
    const { store, workspaces, log } = this.#o;
    const ref = { channel: message.channel, ts: message.ts, fileId: file.id };
    try {
      const ttlMs = await this.#o.retentionMs(message.workspace);
      if (await store.claim(workspaceKeys(message.workspace).noKeyLine(ref), String(Date.now()), ttlMs)) {
        const slack = await workspaces.slack(message.workspace);
        const text = messages(this.#o.lang).noKeyInThread({
          file: escapeMrkdwn(displayName(file)),
          provider: this.#o.provider,
        });
        await slack?.web.chat.postMessage({ channel: message.channel, thread_ts: replyThreadTs(message), text });
      }
    } catch (err) {
      log.warn('could not say in a thread that the workspace has no key', { error: slackError(err) });
    }
    await this.tellAdmins(message.workspace);
  }

  /** Tells the workspace's admins by DM how to set the key, once. Never throws. */
  async tellAdmins(workspace: string): Promise<void> {
    const { store, workspaces, languages, log } = this.#o;
    try {
      if (!(await store.claim(workspaceKeys(workspace).noKeyTold(), String(Date.now()), LIMITS.noKeyToldMs))) return;
      const slack = await workspaces.slack(workspace);
      if (!slack) return;
      const admins = await workspaces.admins(workspace);
      for (const admin of admins) {
        const t = messages(await languages.of(workspace, admin));
        await slack.web.chat
          .postMessage({ channel: admin, text: t.noKeyForAdmins({ provider: this.#o.provider }) })
          .catch((err: unknown) => log.warn('could not tell an admin about the key', { error: slackError(err) }));
      }
      log.info('admins told the workspace has no key', { workspace, admins: admins.length });
    } catch (err) {
      log.warn('could not tell the admins about the key', { error: slackError(err) });
    }
  }
}
