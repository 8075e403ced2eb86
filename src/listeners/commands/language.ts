import { LANGS, messages } from '../../i18n/index.ts';
import { chooseLanguage } from '../../records/people.ts';
import { ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

const FORM = /^(?:language|lang)(?:\s+(\S+))?$/i;

/** `/transcribe language vi|en|auto`: the language the app answers this person in. */
export const language: Subcommand = {
  help: 'language',
  hint: 'language vi|en|auto',
  matches: (text) => FORM.test(text),
  run: async ({ deps, workspace, user, text, usage }) => {
    const word = FORM.exec(text)?.[1]?.toLowerCase();
    const choice = LANGS.find((l) => l === word);
    if (word !== 'auto' && !choice) return { now: ephemeral(usage) };
    await chooseLanguage(deps.store, workspace, user, choice);
    const now = messages(await deps.languages.of(workspace, user));
    return { now: ephemeral(choice ? now.languageChosen : now.languageAuto) };
  },
};
