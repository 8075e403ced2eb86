import type { App, webApi } from '@slack/bolt';
import type { Logger } from '../../log.ts';
import type { MessageRef, SubmitResult, Transcriber } from '../../pipeline/relay.ts';
import { channelJobs, keys, loadJob, loadSegments, unlistChannelJob } from '../../records/jobs.ts';
import { slackError } from '../../slack/errors.ts';
import { classifyFile, isStub, type SlackFile } from '../../slack/files.ts';
import { parsePermalink } from '../../slack/permalink.ts';
import { DAY_MS, type Store } from '../../store/index.ts';
import { isAutoOn } from '../events/file-share.ts';

export interface CommandDeps {
  transcriber: Transcriber;
  store: Store;
  slack: webApi.WebClient;
  log: Logger;
}

export const SHORTCUT_CALLBACK_ID = 'transcribe_message';
const HISTORY_DEPTH = 50;

export const USAGE = [
  '*/transcribe* turns voice memos into text in their thread:',
  '• `/transcribe`: transcribe the newest voice memo in this channel',
  '• `/transcribe <message link>`: transcribe that message (use "Copy link" on it)',
  '• `/transcribe off` / `/transcribe on`: switch automatic transcription in this channel',
  '• `/transcribe status`: whether it is on here, and what is being transcribed',
  '• `/transcribe help`: this message',
  'You can also use the *Transcribe* shortcut in any message\'s "More actions" menu.',
].join('\n');

interface SlackMessage {
  ts: string;
  thread_ts?: string;
  files?: SlackFile[];
}

/** `/transcribe` and the "Transcribe" message shortcut. Every answer is seen only by the person who asked. */
export function listenForCommands(app: App, deps: CommandDeps): void {
  app.command('/transcribe', async ({ command, ack, respond }) => {
    const text = command.text.trim();
    const channel = command.channel_id;
    const word = text.toLowerCase();
    if (word === 'on' || word === 'off') {
      if (word === 'off') await deps.store.set(keys.channelAuto(channel), 'off');
      else await deps.store.delete(keys.channelAuto(channel));
      deps.log.info('auto transcription switched', { channel, auto: word, user: command.user_id });
      return ack(
        ephemeral(
          word === 'off'
            ? 'Automatic transcription is now *off* in this channel. Use `/transcribe` or the *Transcribe* shortcut to transcribe a memo when you want one.'
            : 'Automatic transcription is now *on* in this channel: every voice memo shared here gets its transcript in its thread.',
        ),
      );
    }
    if (word === 'status') return ack(ephemeral(await status(deps, channel)));
    const link = text === '' ? undefined : parsePermalink(text);
    if (text !== '' && !link) return ack(ephemeral(USAGE));

    await ack();
    const answer = link ? await transcribeLinked(deps, link) : await transcribeNewest(deps, channel);
    await respond(ephemeral(answer));
  });

  app.shortcut(SHORTCUT_CALLBACK_ID, async ({ shortcut, ack, respond }) => {
    await ack();
    if (shortcut.type !== 'message_action') return;
    const message = shortcut.message as SlackMessage;
    const answer = await transcribe(
      deps,
      { channel: shortcut.channel.id, ts: message.ts, threadTs: message.thread_ts },
      message.files ?? [],
    );
    await respond(ephemeral(answer));
  });
}

function ephemeral(text: string) {
  return { response_type: 'ephemeral' as const, text };
}

function mayBeAudio(file: SlackFile): boolean {
  return isStub(file) || classifyFile(file) !== 'not-audio';
}

/** Submits a message's audio files and says what happened, in words for the person who asked. */
async function transcribe(deps: CommandDeps, message: MessageRef, files: SlackFile[], link?: string): Promise<string> {
  const candidates = files.filter(mayBeAudio);
  const that = link ? `<${link}|that message>` : 'that message';
  if (candidates.length === 0) return `There is no audio in ${that} to transcribe.`;
  const results: SubmitResult[] = [];
  for (const file of candidates) results.push(await deps.transcriber.submit(message, file));
  const count = (status: SubmitResult['status']) => results.filter((r) => r.status === status).length;
  if (count('stopping') > 0) return 'The app is restarting. Please ask again in a minute.';
  if (count('started') > 0) return `Transcribing ${that}: the transcript will appear in its thread.`;
  if (count('unreadable') > 0) return `Slack would not let me look at the files of ${that}. I said so in its thread.`;
  if (count('duplicate') > 0)
    return `Nothing to do: ${that} is already transcribed or being transcribed. See its thread.`;
  return `There is no audio in ${that} to transcribe.`;
}

async function transcribeNewest(deps: CommandDeps, channel: string): Promise<string> {
  let messages: SlackMessage[];
  try {
    const history = await deps.slack.conversations.history({ channel, limit: HISTORY_DEPTH });
    messages = (history.messages ?? []) as SlackMessage[];
  } catch (err) {
    return cannotRead(deps, channel, err);
  }
  for (const m of messages) {
    const files = (m.files ?? []).filter(mayBeAudio);
    if (files.length === 0) continue;
    const ref = { channel, ts: m.ts, threadTs: m.thread_ts };
    const started = await Promise.all(files.map((f) => deps.transcriber.existing(ref, f.id)));
    if (started.some(Boolean)) continue;
    return transcribe(deps, ref, files, await permalink(deps, channel, m.ts));
  }
  return `I found no voice memo without a transcript among the last ${HISTORY_DEPTH} messages here. To transcribe an older one, use \`/transcribe <message link>\` or the *Transcribe* shortcut on it.`;
}

async function transcribeLinked(
  deps: CommandDeps,
  link: { channel: string; ts: string; threadTs?: string },
): Promise<string> {
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
    if (['thread_not_found', 'message_not_found'].includes(slackError(err))) message = undefined;
    else return cannotRead(deps, link.channel, err);
  }
  if (!message) return 'I could not find that message. It may have been deleted; check the link.';
  return transcribe(
    deps,
    { channel: link.channel, ts: message.ts, threadTs: message.thread_ts ?? link.threadTs },
    message.files ?? [],
    await permalink(deps, link.channel, message.ts),
  );
}

function cannotRead(deps: CommandDeps, channel: string, err: unknown): string {
  const error = slackError(err);
  deps.log.warn('cannot read channel', { channel, error });
  if (['not_in_channel', 'channel_not_found', 'missing_scope', 'access_denied'].includes(error)) {
    return `I cannot read <#${channel}>: I am not a member of it. Invite me there with \`/invite @Transcriber\`, then ask again.`;
  }
  return `Slack did not let me read the channel (${error}). Please try again in a moment.`;
}

async function permalink(deps: CommandDeps, channel: string, ts: string): Promise<string | undefined> {
  try {
    return (await deps.slack.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}

async function status(deps: CommandDeps, channel: string): Promise<string> {
  const auto = (await isAutoOn(deps.store, channel))
    ? 'Automatic transcription is *on* in this channel.'
    : 'Automatic transcription is *off* in this channel (`/transcribe on` switches it back on).';
  const lines: string[] = [];
  for (const entry of (await channelJobs(deps.store, channel)).sort((a, b) => a.since - b.since)) {
    const [job, segments] = await Promise.all([
      loadJob(deps.store, entry.trackingId),
      loadSegments(deps.store, entry.trackingId),
    ]);
    if (!job || job.state === 'failed' || segments.length > 0 || Date.now() - entry.since > DAY_MS) {
      await unlistChannelJob(deps.store, { channel, trackingId: entry.trackingId });
      continue;
    }
    const minutes = Math.max(0, Math.round((Date.now() - entry.since) / 60_000));
    const step = job.state === 'working' ? 'being sent to OMICall' : 'waiting for OMICall';
    lines.push(`• ${entry.fileName}: ${step} (${minutes} min)`);
  }
  return lines.length > 0
    ? `${auto}\nIn progress here:\n${lines.join('\n')}`
    : `${auto}\nNothing is being transcribed here right now.`;
}
