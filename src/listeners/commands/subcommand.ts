import type { HelpTopic, Lang, Messages } from '../../i18n/index.ts';
import type { Ephemeral } from '../answers.ts';
import type { ListenerDeps } from '../index.ts';

/** One `/transcribe` request, as a subcommand sees it. */
export interface CommandRequest {
  deps: ListenerDeps;
  workspace: string;
  channel: string;
  user: string;
  /** The command's text, trimmed. */
  text: string;
  /** The asker's language, and its catalogue. */
  lang: Lang;
  t: Messages;
  /** `/transcribe help` in the asker's language. */
  usage: string;
}

/** Tells the asker where things stand before the answer (an answer that waits for Slack's rate limit). */
export type Progress = (note: Ephemeral) => void;

/**
 * An answer given with the acknowledgement, or one that needs Slack first and follows through `respond` (`progress`
 * says something meanwhile when it must wait).
 */
export type CommandAnswer = { now: Ephemeral } | { later: (progress: Progress) => Promise<Ephemeral> };

/** A row of the `/transcribe` table (src/listeners/commands/subcommands.ts). */
export interface Subcommand {
  /** Its line in `/transcribe help`, in every catalogue. */
  help: HelpTopic;
  /** How it is written in the manifest's `usage_hint`. */
  hint: string;
  /** Whether the command's text (trimmed, as typed) asks for it. */
  matches(text: string): boolean;
  run(request: CommandRequest): Promise<CommandAnswer>;
}
