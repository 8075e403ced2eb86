import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { LANGS, type Lang, messages, minutes } from '../../i18n/index.ts';
import { isAutoOn, setAuto } from '../../records/channels.ts';
import { currentAttempt, loadJob } from '../../records/jobs.ts';
import { chooseLanguage } from '../../records/people.ts';
import { memoKey } from '../../records/tracking-id.ts';
import { slackError } from '../../slack/errors.ts';
import type { SlackFile } from '../../slack/files.ts';
import { isMember } from '../../slack/members.ts';
import { escapeMrkdwn } from '../../slack/mrkdwn.ts';
import { type LinkedMessage, parsePermalink } from '../../slack/permalink.ts';
import { askFor, type Ephemeral, ephemeral, mayBeAudio } from '../answers.ts';
import type { ListenerDeps } from '../index.ts';

const HISTORY_DEPTH = 50;

interface SlackMessage {
  ts: string;
  thread_ts?: string;
  files?: SlackFile[];
}

/**
 * `/transcribe` (newest memo here), `/transcribe <link>`, `on`, `off`, `status`, `help`. Every answer is seen
 * only by the person who asked, in their language.
 */
export function transcribeCommand(deps: ListenerDeps) {
  return async ({ command, ack, respond }: SlackCommandMiddlewareArgs & AllMiddlewareArgs): Promise<void> => {
    const text = command.text.trim();
    const channel = command.channel_id;
    const word = text.toLowerCase();
    const lang = await deps.languages.of(command.user_id);
    const t = messages(lang);
    if (word === 'on' || word === 'off') {
      await setAuto(deps.store, channel, word === 'on');
      deps.log.info('auto transcription switched', { channel, auto: word, user: command.user_id });
      await ack(ephemeral(word === 'off' ? t.autoOff : t.autoOn));
      return;
    }
    const language = /^(?:language|lang)(?:\s+(\S+))?$/.exec(word);
    if (language) {
      const choice = LANGS.find((l) => l === language[1]);
      if (language[1] !== 'auto' && !choice) {
        await ack(ephemeral(t.usage));
        return;
      }
      await chooseLanguage(deps.store, command.user_id, choice);
      const now = await deps.languages.of(command.user_id);
      await ack(ephemeral(choice ? messages(now).languageChosen : messages(now).languageAuto));
      return;
    }
    if (word === 'status') {
      await ack(ephemeral(await status(deps, channel, lang)));
      return;
    }
    const link = text === '' ? undefined : parsePermalink(text);
    if (text !== '' && !link) {
      await ack(ephemeral(t.usage));
      return;
    }
    await ack();
    const answer = link
      ? await transcribeLinked(deps, link, { channel, user: command.user_id }, lang)
      : await transcribeNewest(deps, channel, lang);
    await respond(answer);
  };
}

/** The newest message here with audio and no transcript yet. */
async function transcribeNewest(deps: ListenerDeps, channel: string, lang: Lang): Promise<Ephemeral> {
  const t = messages(lang);
  let found: SlackMessage[];
  try {
    const history = await deps.slack.conversations.history({ channel, limit: HISTORY_DEPTH });
    found = (history.messages ?? []) as SlackMessage[];
  } catch (err) {
    return cannotRead(deps, channel, err, lang);
  }
  for (const m of found) {
    const files = await audioFiles(deps, m.files ?? []);
    if (files.length === 0) continue;
    const started = await Promise.all(
      files.map((f) => currentAttempt(deps.store, memoKey({ channel, ts: m.ts, fileId: f.id }))),
    );
    const live = await Promise.all(started.map((id) => (id ? loadJob(deps.store, id) : undefined)));
    if (live.some((job) => job && job.state !== 'failed' && job.state !== 'timed_out')) continue;
    return askFor(
      deps.pipeline,
      { channel, ts: m.ts, threadTs: m.thread_ts },
      files,
      lang,
      await permalink(deps, channel, m.ts),
    );
  }
  return ephemeral(t.nothingRecent({ depth: HISTORY_DEPTH }));
}

/**
 * Files of a message that may be audio. Slack Connect stubs are looked up here, so that one that turns out
 * not to be audio does not stop the search for the newest real memo.
 */
async function audioFiles(deps: ListenerDeps, files: SlackFile[]): Promise<SlackFile[]> {
  const found: SlackFile[] = [];
  for (const file of files.filter(mayBeAudio)) {
    if (file.file_access !== 'check_file_info') {
      found.push(file);
      continue;
    }
    try {
      const info = await deps.slack.files.info({ file: file.id });
      const full = info.file as SlackFile | undefined;
      if (full && mayBeAudio(full)) found.push(full);
    } catch {
      // Slack will not describe it: it may be a memo, the pipeline tells its thread when asked for it.
      found.push(file);
    }
  }
  return found;
}

/**
 * The linked message, only for someone who is a member of its channel. "No such message" and "not yours to
 * see" get the same answer, so the answer tells an outsider nothing about a channel.
 */
async function transcribeLinked(
  deps: ListenerDeps,
  link: LinkedMessage,
  asker: { channel: string; user: string },
  lang: Lang,
): Promise<Ephemeral> {
  const t = messages(lang);
  if (link.channel !== asker.channel && !(await isMember(deps.slack, link.channel, asker.user))) {
    deps.log.info('linked memo refused: the asker is not a member', { channel: link.channel, user: asker.user });
    return ephemeral(t.notFoundOrNotAllowed);
  }
  let message: SlackMessage | undefined;
  try {
    const found = link.threadTs
      ? await deps.slack.conversations.replies({
          channel: link.channel,
          ts: link.threadTs,
          latest: link.ts,
          inclusive: true,
          limit: 1,
        })
      : await deps.slack.conversations.history({ channel: link.channel, latest: link.ts, inclusive: true, limit: 1 });
    message = ((found.messages ?? []) as SlackMessage[]).find((m) => m.ts === link.ts);
  } catch (err) {
    const error = slackError(err);
    if (error === 'not_in_channel') return ephemeral(t.botNotInChannel({ channel: link.channel }));
    if (!['thread_not_found', 'message_not_found', 'channel_not_found'].includes(error))
      return cannotRead(deps, link.channel, err, lang);
  }
  if (!message) return ephemeral(t.notFoundOrNotAllowed);
  const ref = { channel: link.channel, ts: message.ts, threadTs: message.thread_ts ?? link.threadTs };
  return askFor(deps.pipeline, ref, message.files ?? [], lang, await permalink(deps, link.channel, message.ts));
}

function cannotRead(deps: ListenerDeps, channel: string, err: unknown, lang: Lang): Ephemeral {
  const t = messages(lang);
  const error = slackError(err);
  deps.log.warn('cannot read channel', { channel, error });
  if (['not_in_channel', 'channel_not_found', 'missing_scope', 'access_denied'].includes(error)) {
    return ephemeral(t.botNotInChannel({ channel }));
  }
  return ephemeral(t.cannotReadChannel({ error: escapeMrkdwn(error) }));
}

async function permalink(deps: ListenerDeps, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await deps.slack.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}

async function status(deps: ListenerDeps, channel: string, lang: Lang): Promise<string> {
  const t = messages(lang);
  const auto = (await isAutoOn(deps.store, channel)) ? t.statusAutoOn : t.statusAutoOff;
  const entries = await deps.pipeline.status(channel);
  if (entries.length === 0) return `${auto}\n${t.statusNothing}`;
  const lines = entries.map((e) =>
    t.statusLine({
      file: escapeMrkdwn(e.fileName),
      state: t.stateName(e.state, deps.provider),
      since: minutes(lang, (Date.now() - e.since) / 60_000),
    }),
  );
  return `${auto}\n${t.statusInProgress}\n${lines.join('\n')}`;
}
