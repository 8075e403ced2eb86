import type { Messages } from './index.ts';

const mb = (n: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);
const min = (n: number) =>
  new Intl.NumberFormat('en-US', { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(n);

export const en: Messages = {
  locale: 'en-US',

  queued: ({ file }) => `:hourglass_flowing_sand: *${file}* is in line to be transcribed.`,
  sending: ({ file, provider }) => `:hourglass_flowing_sand: Transcribing *${file}*: sending it to ${provider}…`,
  waiting: ({ file, provider }) =>
    `:hourglass_flowing_sand: *${file}* was sent to ${provider}; the transcript will appear here.`,
  timedOut: ({ file, provider, waited }) =>
    `:warning: ${provider} has sent no transcript of *${file}* after ${waited}. If one comes later it will appear here; ` +
    'or use the *Transcribe* shortcut on the memo to try again.',
  failed: ({ file, reason }) => `:warning: Could not transcribe *${file}*: ${reason}`,
  transcriptHeader: ({ file, duration }) => `:memo: Transcript of *${file}*${duration ? ` · ${duration}` : ''}`,
  transcriptContinued: ({ file, part, parts }) => `:memo: *${file}*, continued (part ${part} of ${parts})`,
  partOf: ({ part, parts }) => `part ${part} of ${parts}`,
  transcriptReceiving: 'More may follow as it is recognised…',
  transcriptComplete: ':white_check_mark: Complete.',
  exportPrompt: 'Download the transcript:',
  failure: (f) => {
    switch (f.code) {
      case 'too_large':
        return `${f.sizeMb === undefined ? 'the file is larger than the limit of' : `the file is ${mb(f.sizeMb)} MB and the limit is`} ${mb(f.limitMb)} MB. Share a shorter recording, or ask an admin to raise MAX_AUDIO_MB.`;
      case 'too_long':
        return `the recording is ${min(f.minutes)} long and the limit is ${min(f.limitMinutes)}. Share a shorter recording, or ask an admin to raise MAX_AUDIO_MINUTES.`;
      case 'sign_in_page':
        return 'Slack sent its sign-in page instead of the file. The app most likely lacks the `files:read` scope, or was not reinstalled after the scope was added: ask a workspace admin to reinstall it.';
      case 'no_download_link':
        return 'Slack gave no download link for the file.';
      case 'download_failed':
        return f.status === 404
          ? 'the file could not be downloaded from Slack. It may have been deleted.'
          : f.status === 403
            ? 'the file could not be downloaded from Slack. The app may not have access to it.'
            : 'the file could not be downloaded from Slack. Try again in a moment with the *Transcribe* shortcut.';
      case 'converter_unavailable':
        return "the app's audio converter (ffmpeg) does not run on this server. Tell your Slack admin: `npm run doctor` shows what to fix.";
      case 'off_slack':
        return "the file's link does not lead to Slack, so the app did not download it.";
      case 'not_convertible':
        return `the file is not audio ${f.provider} can take, and it could not be converted.`;
      case 'provider_refused':
        return `${f.provider} refused the audio (\`${f.error}\`).`;
      case 'provider_unreachable':
        return `${f.provider} could not be reached after ${f.attempts} attempts (\`${f.error}\`). Try again later with the *Transcribe* shortcut.`;
      case 'restarted':
        return `the app restarted before the file reached ${f.provider}. Use the *Transcribe* shortcut on the message to try again.`;
      case 'internal':
        return 'something went wrong on our side. Try again with the *Transcribe* shortcut; if it keeps failing, tell your Slack admin.';
    }
  },
  sharedWhileStopping: ({ file }) =>
    `:warning: The app was restarting when *${file}* was shared. Use the *Transcribe* shortcut on the message to transcribe it.`,
  cannotLookAtFile: ({ error }) =>
    `:warning: I could not look at a file shared here (Slack answered \`${error}\`). If it is a voice memo, use the *Transcribe* shortcut on the message to try again.`,

  usageIntro: '*/transcribe* turns voice memos into text in their thread:',
  usageFooter: 'You can also use the *Transcribe* shortcut in any message\'s "More actions" menu.',
  help: {
    newest: '• `/transcribe`: transcribe the newest voice memo in this channel',
    link: '• `/transcribe <message link>`: transcribe that message (use "Copy link" on it)',
    switch: '• `/transcribe off` / `/transcribe on`: switch automatic transcription in this channel',
    status: '• `/transcribe status`: whether it is on here, and what is being transcribed',
    language:
      '• `/transcribe language vi` / `en` / `auto`: the language the app answers you in (auto: your Slack language)',
    help: '• `/transcribe help`: this message',
  },
  languageChosen: 'From now on I answer you in English. `/transcribe language auto` follows your Slack language again.',
  languageAuto: "From now on I answer you in your Slack language (English or Vietnamese; else the app's language).",
  autoOff:
    'Automatic transcription is now *off* in this channel. Use `/transcribe` or the *Transcribe* shortcut to transcribe a memo when you want one.',
  autoOn:
    'Automatic transcription is now *on* in this channel: every voice memo shared here gets its transcript in its thread.',
  statusAutoOn: 'Automatic transcription is *on* in this channel.',
  statusAutoOff: 'Automatic transcription is *off* in this channel (`/transcribe on` switches it back on).',
  statusInProgress: 'Transcriptions here:',
  statusNothing: 'Nothing is being transcribed here right now.',
  statusLine: ({ file, state, since }) => `• ${file}: ${state} (${since})`,
  stateName: (state, provider) =>
    ({
      queued: 'queued',
      sending: `sending to ${provider}`,
      waiting: `waiting for ${provider}`,
      receiving: 'receiving the transcript',
      complete: 'complete',
      failed: 'failed',
      timed_out: `no answer from ${provider}`,
    })[state],
  started: ({ that }) => `Transcribing ${that}: the transcript will appear in its thread.`,
  requeued: ({ that }) => `The transcription of ${that} had stopped; it is starting again. See its thread.`,
  inProgress: ({ that }) => `${that} is being transcribed already. See its thread.`,
  alreadyDone: ({ that }) => `${that} is transcribed already. See its thread.`,
  noAudio: ({ that }) => `There is no audio in ${that} to transcribe.`,
  thatMessage: ({ link }) => (link ? `<${link}|that message>` : 'that message'),
  appStopping: 'The app is restarting. Please ask again in a minute.',
  unreadable: ({ that }) => `Slack would not let me look at the files of ${that}, so I cannot transcribe them.`,
  notFoundOrNotAllowed:
    'I could not find that message, or it is in a channel you are not a member of. Check the link, or ask someone in that channel.',
  botNotInChannel: ({ channel }) =>
    `I am not a member of <#${channel}>. Invite me there with \`/invite @Transcriber\`, then ask again.`,
  cannotReadChannel: ({ error }) =>
    `Slack did not let me read the channel (\`${error}\`). Please try again in a moment.`,
  nothingRecent: ({ depth }) =>
    `I found no voice memo without a transcript among the last ${depth} messages here. To transcribe an older one, use \`/transcribe <message link>\` or the *Transcribe* shortcut on it.`,
  readingSoon: ({ seconds }) =>
    `Slack lets me read this channel's messages only so often. I will look in about ${seconds} s and answer here.`,
  soFar: 'You can download what has arrived so far:',
  exportMissingScope: ({ scope }) =>
    `I cannot upload files: the app lacks the \`${scope}\` scope. Ask a workspace admin to add it (or update the app from manifest.yml) and reinstall the app.`,
  exportFailed: ({ error }) => `Slack did not take the file (\`${error}\`). Please try again in a moment.`,
  exportNothing: 'There is no transcript to download yet.',
};
