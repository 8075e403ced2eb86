import { LIMITS } from '../../limits.ts';
import { permalink, type SlackMessage } from '../../slack/messages.ts';
import { askFor, cannotRead, ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/** `/transcribe` alone: the newest message here with audio and no transcript yet. */
export const newest: Subcommand = {
  help: 'newest',
  hint: '',
  matches: (text) => text === '',
  run: async ({ deps, workspace, channel, user, lang, t }) => ({
    later: async () => {
      const slack = await deps.workspaces.slack(workspace);
      if (!slack) return ephemeral(t.botNotInChannel({ channel }));
      let found: SlackMessage[];
      try {
        const history = await slack.web.conversations.history({ channel, limit: LIMITS.historyDepth });
        found = (history.messages ?? []) as SlackMessage[];
      } catch (err) {
        return cannotRead(deps.log, channel, err, t);
      }
      for (const m of found) {
        const files = await deps.pipeline.intake.audioFiles(workspace, m.files ?? []);
        if (files.length === 0) continue;
        const refs = files.map((f) => ({ workspace, channel, ts: m.ts, fileId: f.id }));
        if (!(await Promise.all(refs.map((r) => deps.pipeline.askable(r)))).every(Boolean)) continue;
        const message = { workspace, channel, ts: m.ts, threadTs: m.thread_ts, user: m.user ?? user };
        return askFor(deps.pipeline, message, files, lang, await permalink(slack.web, channel, m.ts));
      }
      return ephemeral(t.nothingRecent({ depth: LIMITS.historyDepth }));
    },
  }),
};
