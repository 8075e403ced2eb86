import { ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/** `/transcribe help`, and anything the command does not know. */
export const help: Subcommand = {
  help: 'help',
  hint: 'help',
  matches: () => true,
  run: async ({ usage }) => ({ now: ephemeral(usage) }),
};
