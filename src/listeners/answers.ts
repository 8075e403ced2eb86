import type { types } from '@slack/bolt';
import { type Lang, type Messages, messages } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { AskOutcome, Pipeline, SharedMessage } from '../pipeline/index.ts';
import { exportButtons } from '../pipeline/render.ts';
import { slackError } from '../slack/errors.ts';
import { classifyFile, isStub, type SlackFile } from '../slack/files.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';

/** An answer only the asker sees: text, and buttons when a finished transcript can be downloaded. */
export interface Ephemeral {
  response_type: 'ephemeral';
  text: string;
  blocks?: types.KnownBlock[];
}

export function ephemeral(text: string, blocks?: types.KnownBlock[]): Ephemeral {
  return { response_type: 'ephemeral', text, ...(blocks ? { blocks } : {}) };
}

/** Files of a message that may be audio (stubs are looked up by the pipeline). */
export function mayBeAudio(file: SlackFile): boolean {
  return isStub(file) || classifyFile(file) !== 'not-audio';
}

/**
 * Asks for each audio file of a message (shortcut, /transcribe) and words the outcome for the asker, in
 * their language. A finished transcript comes with its download buttons.
 */
export async function askFor(
  pipeline: Pipeline,
  message: SharedMessage,
  files: SlackFile[],
  lang: Lang,
  link?: string,
): Promise<Ephemeral> {
  const t = messages(lang);
  const that = t.thatMessage({ link });
  const candidates = files.filter(mayBeAudio);
  if (candidates.length === 0) return ephemeral(t.noAudio({ that }));
  const outcomes: AskOutcome[] = [];
  for (const file of candidates) outcomes.push(await pipeline.intake.ask(message, file));
  if (outcomes.some((o) => o.status === 'no-account')) {
    // Its admins are told once how to set the key; the asker at once.
    void pipeline.keyMissing.tellAdmins(message.workspace);
    return ephemeral(t.noKeyAsked({ provider: pipeline.keyMissing.provider }));
  }
  return answerFor(outcomes, t, that);
}

/** What to tell someone when Slack would not let the app read a channel's messages. */
export function cannotRead(log: Logger, channel: string, err: unknown, t: Messages): Ephemeral {
  const error = slackError(err);
  log.warn('cannot read channel', { channel, error });
  if (['not_in_channel', 'channel_not_found', 'missing_scope', 'access_denied'].includes(error)) {
    return ephemeral(t.botNotInChannel({ channel }));
  }
  return ephemeral(t.cannotReadChannel({ error: escapeMrkdwn(error) }));
}

function answerFor(outcomes: AskOutcome[], t: Messages, that: string): Ephemeral {
  const first = (status: AskOutcome['status']) => outcomes.find((o) => o.status === status);
  if (first('stopping')) return ephemeral(t.appStopping);
  if (first('started')) return ephemeral(t.started({ that }));
  if (first('requeued')) return ephemeral(t.requeued({ that }));
  const growing = outcomes.find((o) => o.status === 'in-progress' && o.growing);
  if (growing && 'trackingId' in growing) {
    const text = `${t.inProgress({ that })} ${t.soFar}`;
    return ephemeral(text, [{ type: 'section', text: { type: 'mrkdwn', text } }, exportButtons(growing.trackingId)]);
  }
  if (first('in-progress')) return ephemeral(t.inProgress({ that }));
  const done = first('done');
  if (done && 'trackingId' in done) {
    return ephemeral(t.alreadyDone({ that }), [
      { type: 'section', text: { type: 'mrkdwn', text: t.alreadyDone({ that }) } },
      exportButtons(done.trackingId),
    ]);
  }
  if (first('unreadable')) return ephemeral(t.unreadable({ that }));
  return ephemeral(t.noAudio({ that }));
}
