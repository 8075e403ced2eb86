import { LIMITS } from '../../limits.ts';
import { permalink, recentMessages } from '../../slack/messages.ts';
import { askFor, cannotRead, ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/**
 * `/transcribe` alone: the newest message here with audio and no transcript yet, among the channel's latest
 * `historyDepth` messages, or as many as Slack's rate limit lets the app read now (an app outside the Marketplace
 * reads 15 messages, once a minute: the asker is told when the read must wait).
 */
export const newest: Subcommand = {
  help: 'newest',
  hint: '',
  matches: (text) => text === '',
  run: async ({ deps, workspace, channel, user, lang, t }) => ({
    later: async (progress) => {
      const slack = await deps.workspaces.slack(workspace);
      if (!slack) return ephemeral(t.botNotInChannel({ channel }));
      const onWait = (ms: number) => progress(ephemeral(t.readingSoon({ seconds: Math.ceil(ms / 1000) })));
      let looked = 0;
      try {
        for await (const page of recentMessages(slack, channel, LIMITS.historyDepth, onWait)) {
          for (const m of page) {
            const files = await deps.pipeline.intake.audioFiles(workspace, m.files ?? []);
            if (files.length === 0) continue;
            const refs = files.map((f) => ({ workspace, channel, ts: m.ts, fileId: f.id }));
            if (!(await Promise.all(refs.map((r) => deps.pipeline.askable(r)))).every(Boolean)) continue;
            const message = { workspace, channel, ts: m.ts, threadTs: m.thread_ts, user: m.user ?? user };
            return askFor(deps.pipeline, message, files, lang, await permalink(slack.web, channel, m.ts));
          }
          looked += page.length;
        }
      } catch (err) {
        return cannotRead(deps.log, channel, err, t);
      }
      return ephemeral(t.nothingRecent({ depth: looked }));
    },
  }),
};
