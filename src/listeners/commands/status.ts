import { minutes } from '../../i18n/index.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import { ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/** `/transcribe status`: whether automatic transcription is on here, and each memo of the last day. */
export const status: Subcommand = {
  help: 'status',
  hint: 'status',
  matches: (text) => text.toLowerCase() === 'status',
  run: async ({ deps, workspace, channel, lang, t }) => {
    const auto = (await deps.pipeline.channels.choice(workspace, channel)) === 'off' ? t.statusAutoOff : t.statusAutoOn;
    const entries = await deps.pipeline.status(workspace, channel);
    if (entries.length === 0) return { now: ephemeral(`${auto}\n${t.statusNothing}`) };
    const lines = entries.map((e) =>
      t.statusLine({
        file: escapeMrkdwn(e.fileName),
        state: t.stateName(e.state, deps.provider),
        since: minutes(lang, (Date.now() - e.since) / 60_000),
      }),
    );
    return { now: ephemeral(`${auto}\n${t.statusInProgress}\n${lines.join('\n')}`) };
  },
};
