import { ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/** `/transcribe on` and `/transcribe off`: automatic transcription in this channel, for everyone. */
export const switchAuto: Subcommand = {
  help: 'switch',
  hint: 'on | off',
  matches: (text) => /^(on|off)$/i.test(text),
  run: async ({ deps, workspace, channel, user, text, t }) => {
    const on = text.toLowerCase() === 'on';
    await deps.pipeline.channels.choose(workspace, channel, on);
    deps.log.info('auto transcription switched', { channel, auto: on ? 'on' : 'off', user });
    return { now: ephemeral(on ? t.autoOn : t.autoOff) };
  },
};
