import { slackError } from '../../slack/errors.ts';
import { membership } from '../../slack/members.ts';
import { permalink, readMessage, type SlackMessage } from '../../slack/messages.ts';
import { parsePermalink } from '../../slack/permalink.ts';
import { askFor, cannotRead, ephemeral } from '../answers.ts';
import type { Subcommand } from './subcommand.ts';

/**
 * `/transcribe <message link>`: the linked message, only for someone who is a member of its channel. "No such
 * message" and "not yours to see" get the same answer, so the answer tells an outsider nothing about a channel.
 */
export const link: Subcommand = {
  help: 'link',
  hint: '[message link]',
  matches: (text) => parsePermalink(text) !== undefined,
  run: async ({ deps, workspace, channel, user, text, lang, t }) => ({
    later: async (progress) => {
      const linked = parsePermalink(text);
      const slack = await deps.workspaces.slack(workspace);
      if (!linked || !slack) return ephemeral(t.notFoundOrNotAllowed);
      if (linked.channel !== channel) {
        const asker = await membership(slack.web, linked.channel, user);
        if (!asker.member) {
          deps.log.info('linked memo refused: the asker is not a member', {
            channel: linked.channel,
            user,
            why: asker.why,
          });
          return ephemeral(t.notFoundOrNotAllowed);
        }
      }
      let message: SlackMessage | undefined;
      try {
        message = await readMessage(slack, linked, (ms) =>
          progress(ephemeral(t.readingSoon({ seconds: Math.ceil(ms / 1000) }))),
        );
      } catch (err) {
        const error = slackError(err);
        if (error === 'not_in_channel') return ephemeral(t.botNotInChannel({ channel: linked.channel }));
        if (!['thread_not_found', 'message_not_found', 'channel_not_found'].includes(error))
          return cannotRead(deps.log, linked.channel, err, t);
      }
      if (!message) return ephemeral(t.notFoundOrNotAllowed);
      const ref = {
        workspace,
        channel: linked.channel,
        ts: message.ts,
        threadTs: message.thread_ts ?? linked.threadTs,
        user: message.user,
      };
      return askFor(
        deps.pipeline,
        ref,
        message.files ?? [],
        lang,
        await permalink(slack.web, linked.channel, message.ts),
      );
    },
  }),
};
