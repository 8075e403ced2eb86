import { minutes } from '../../i18n/index.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import { ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/**
 * `/transcribe status`: whether automatic transcription is on here and by which rule (the channel's own choice, or the
 * workspace's for channels that never chose), and each memo of the last day.
 */
export const status: Subcommand = {
  help: 'status',
  hint: 'status',
  matches: (text) => text.toLowerCase() === 'status',
  run: async ({ deps, workspace, channel, lang, t }) => {
    const rule = await deps.pipeline.autoRule(workspace, channel);
    const auto =
      rule.by === 'channel'
        ? rule.on
          ? t.statusAutoOn
          : t.statusAutoOff
        : rule.on
          ? t.statusAutoByDefault
          : t.statusOptIn;
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
