import { slackDate } from './dates.ts';
import type { Messages } from './index.ts';

const mb = (n: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);
const min = (n: number) =>
  new Intl.NumberFormat('en-US', { style: 'unit', unit: 'minute', unitDisplay: 'long' }).format(n);
/** Minutes of audio used, to a tenth: "12.5 minutes". */
const used = (n: number) =>
  new Intl.NumberFormat('en-US', {
    style: 'unit',
    unit: 'minute',
    unitDisplay: 'long',
    maximumFractionDigits: 1,
  }).format(n);
const count = (n: number, one: string, many: string) =>
  `${new Intl.NumberFormat('en-US').format(n)} ${n === 1 ? one : many}`;

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
      case 'budget_used_up':
        return "the monthly transcription budget is used up; an admin can raise it in the app's Home tab.";
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
  statusAutoOn: 'Automatic transcription is *on* in this channel: it ran `/transcribe on`.',
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
  statusAutoByDefault:
    'Automatic transcription is *on* in this channel, as in every channel that did not choose (`/transcribe off` switches it off here).',
  statusOptIn:
    'Automatic transcription is *off* in this channel: this workspace transcribes automatically only in channels that ran `/transcribe on`. Any memo can still be transcribed with `/transcribe` or the *Transcribe* shortcut.',

  homeHeader: 'OMICall Transcriber',
  homeIntro: "Voice memos become text in their thread, with OMICall's speech-to-text.",
  homeRecentHeader: 'Your recent memos',
  homeNoMemos: 'None yet. Share a voice memo in a channel the app is in, and it is listed here with where it stands.',
  homeMemo: ({ file, channel, when, state, link }) =>
    `*${file}* in <#${channel}> · ${when}\n${state}${link ? ` · <${link}|Open the thread>` : ''}`,
  homeHowHeader: 'How to use it',
  homeHow: [
    '• *Automatically*: share a voice memo, an audio file or a video clip in a channel the app is in (`/invite @Transcriber`), or send it to the app in a DM; the transcript appears in its thread.',
    '• `/transcribe`: the newest memo in the channel without a transcript; `/transcribe <message link>` that message; `/transcribe on` / `off` automatic transcription in the channel; `/transcribe status` what applies there.',
    '• The *Transcribe* shortcut in a message\'s "More actions" menu: that message\'s audio, also older memos and memos in threads.',
  ].join('\n'),
  homeHelp:
    "*Help*: `/transcribe help` lists the commands. When something does not work, the memo's thread says why; for anything else, ask a workspace admin.",
  homeAdminHeader: 'Settings',
  homeAdminIntro: 'Only workspace admins see this part and can change these settings.',
  settingLabel: {
    auto: 'Automatic transcription',
    lang: 'Thread language',
    retention: 'Transcripts kept',
    budget: 'Monthly budget',
  },
  settingAuto: (on) =>
    on
      ? 'On in every channel that did not choose with `/transcribe on` or `off`'
      : 'Off: only in channels that ran `/transcribe on` (opt-in), and memos asked for',
  settingAutoChoice: (on) =>
    on ? 'On, in every channel that did not choose' : 'Off: only channels that ran /transcribe on',
  langName: { en: 'English', vi: 'Tiếng Việt' },
  settingRetention: (days) => `${count(days, 'day', 'days')}, then deleted`,
  settingBudget: (minutes) =>
    minutes === undefined ? 'None: no limit' : `${min(minutes)} of audio a calendar month (UTC)`,
  settingChange: 'Change',
  homeUsageHeader: ({ month }) => `This month's usage (${month}, UTC)`,
  homeUsage: ({ minutes, memos, budget }) =>
    `${used(minutes)} of audio, ${count(memos, 'memo', 'memos')}` +
    (budget === undefined
      ? ''
      : ` · ${new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format((minutes / budget) * 100)} % of the budget of ${min(budget)}`),
  homeNoUsage: 'Nothing was sent to OMICall this month yet.',
  homeBusiest: 'The busiest channels:',
  homeChannelUsage: ({ channel, minutes, memos }) =>
    `• <#${channel}>: ${used(minutes)}, ${count(memos, 'memo', 'memos')}`,
  homeKeyHeader: 'OMICall key',
  homeKey: (k) => {
    switch (k.kind) {
      case 'environment':
        return 'Set by whoever runs the app (`OMICALL_API_KEY`).';
      case 'own':
        return `This workspace's own key, ending in \`${k.last4}\`, set ${slackDate('en-US', k.setAt)}.`;
      case 'default':
        return "The app's default key. An admin can set this workspace's own.";
      case 'none':
        return ':warning: None: nothing is transcribed until an admin sets the key.';
    }
  },
  homeKeyButton: ({ hasOwn }) => (hasOwn ? 'Change the key' : 'Set the key'),
  settingsTitle: 'Transcriber settings',
  settingsSave: 'Save',
  settingsCancel: 'Cancel',
  settingHint: {
    auto: 'For channels that never ran `/transcribe on` or `off`. Off: only channels that ran `/transcribe on` are transcribed automatically; any memo can still be asked for.',
    lang: "The language of the replies in memos' threads, which everyone in the channel reads.",
    retention:
      "How many days a transcript's records are kept (1 to 365), counted from the memo. A shorter time applies at once to what is stored already; the replies in Slack stay, under the workspace's own Slack retention.",
    budget:
      'Minutes of audio sent to OMICall per calendar month (UTC). Empty or 0: no budget. Admins are told by DM at 80 %; at 100 % new memos are not sent.',
  },
  settingsAdminsOnly: "Only workspace admins can change the app's settings.",
  settingProblem: ({ problem, setting, min: low, max }) =>
    problem === 'not_a_choice'
      ? 'Pick one of the choices.'
      : setting === 'budget'
        ? `Type a whole number of minutes from 0 to ${new Intl.NumberFormat('en-US').format(max)}, or leave it empty.`
        : `Type a whole number of days from ${low} to ${max}.`,
  budgetWarning: ({ used: usedMinutes, budget, month }) =>
    `:warning: This workspace has used 80 % of its monthly transcription budget: ${used(usedMinutes)} of ${min(budget)} of audio in ${month} (UTC). ` +
    "Once it is used up, new memos are not transcribed until next month; an admin can raise it in the app's Home tab.",
  noKeyInThread: ({ file, provider }) =>
    `*${file}* was not transcribed: this workspace has no ${provider} key yet. A workspace admin can add it in the app's Home tab.`,
  noKeyForAdmins: ({ provider }) =>
    `Voice memos shared in your workspace are not being transcribed: the app has no ${provider} API key for it yet. ` +
    `To add one, open the app (click its name in Slack), go to its *Home* tab and press the button that sets the ${provider} key. ` +
    `The key is in ${provider}'s web console (account settings, API management). Until then nothing is sent to ${provider}.`,
  noKeyAsked: ({ provider }) =>
    `This workspace has no ${provider} key yet, so nothing can be transcribed. A workspace admin can add it in the app's Home tab.`,

  keyModal: {
    title: 'OMICall key',
    save: 'Save',
    cancel: 'Cancel',
    close: 'Close',
    current: (k) => {
      switch (k.kind) {
        case 'own':
          return `This workspace's memos go with its own ${k.provider} key, ending in \`…${k.last4}\`, set <!date^${Math.floor(k.setAt / 1000)}^{date_short_pretty} {time}|on ${new Date(k.setAt).toISOString().slice(0, 10)}>. A new key replaces it.`;
        case 'default':
          return `This workspace has no ${k.provider} key of its own: its memos go with the key of whoever runs the app.`;
        case 'none':
          return `This workspace has no ${k.provider} key yet: nothing is transcribed until one is set.`;
        case 'environment':
          return `This app's ${k.provider} key is set by whoever runs it (OMICALL_API_KEY).`;
      }
    },
    label: ({ provider }) => `${provider} API key`,
    placeholder: 'Paste the API key',
    hint: ({ provider }) =>
      `From ${provider}'s web console: account settings, API management. It is checked with ${provider} before it is saved, stored encrypted, and never shown again (only its last four characters).`,
    sharedWebhook: ({ provider }) =>
      `:warning: Saving the key points its AI results at this app. ${provider} sends a key's results to one address, shared with its Voice Insights product: if your company receives Voice Insights results elsewhere with this key, they will come here instead (and be ignored) until someone points the key back.`,
    refusal: (r) => {
      switch (r.why) {
        case 'empty':
          return 'Paste the key here.';
        case 'too-long':
          return 'That is too long to be an API key.';
        case 'characters':
          return 'An API key has no spaces or line breaks: copy it again.';
        case 'default-key':
          return `That is the app's own default ${r.provider} key: paste your company's key.`;
        case 'taken':
          return `That key already serves another Slack workspace, and ${r.provider} sends a key's results to one place only. Create another API key in ${r.provider}'s console for this workspace.`;
        case 'refused':
          return `${r.provider} refused this key (${r.error}). Copy it again from ${r.provider}'s console.`;
        case 'unreachable':
          return `${r.provider} did not answer in time (${r.error}), so the key was not saved. Try again in a moment.`;
        case 'not-admin':
          return 'Only a workspace admin or owner, or whoever installed the app, can set the key.';
        case 'not-confirmed':
          return 'Slack did not confirm in time that you administer this workspace, so the key was not saved. Try again in a moment.';
        case 'environment':
          return "This app's key is set by whoever runs it (OMICALL_API_KEY), not here.";
      }
    },
    savedTitle: 'Key saved',
    saved: ({ last4, provider }) =>
      `The ${provider} key ending in \`…${last4}\` is saved. This workspace's next memos go with it.`,
    notAdmin: ({ provider }) =>
      `Only a workspace admin or owner, or whoever installed the app, can set the ${provider} key. Ask one of them.`,
  },

  installPages: {
    installTitle: 'Add OMICall Transcriber to Slack',
    installIntro:
      "Voice memos and audio files shared in your channels get their transcript in their thread, made by OMICall's speech-to-text.",
    addToSlack: 'Add to Slack',
    installNote:
      "You will choose the workspace and approve the app's permissions on Slack's page. Then an admin adds your company's OMICall key in the app's Home tab.",
    installedTitle: 'The app is installed',
    installedIn: ({ team }) =>
      team ? `OMICall Transcriber is now in ${team}.` : 'OMICall Transcriber is now installed.',
    nextTitle: 'What to do next',
    nextSteps: [
      'Invite the bot to the channels whose voice memos should be transcribed: /invite @Transcriber',
      "A workspace admin opens the app in Slack, goes to its Home tab and sets your company's OMICall API key (from OMICall's web console, API management). Until then nothing is transcribed.",
      'Share a voice memo in one of those channels: its transcript appears in its thread.',
    ],
    orgNote:
      'This is an installation for your whole Enterprise Grid org: an org admin still adds the app to each workspace that should use it.',
    openSlack: 'Open the app in Slack',
    failedTitle: 'The app was not installed',
    failure: (reason) =>
      ({
        denied: 'The installation was cancelled on Slack’s page. Nothing was installed.',
        forged:
          'This installation link was not started in this browser, or is not one of this app’s. Nothing was installed: start again from the install page.',
        expired: 'This installation link is too old. Nothing was installed: start again from the install page.',
        reused: 'This installation link was used already. Nothing was installed: start again from the install page.',
        'token-rotation':
          'This Slack app has token rotation turned on, which this app does not support (its tokens would expire every 12 hours). Nothing was installed. Whoever runs the app must turn off token rotation on the Slack app’s “OAuth & Permissions” page (it cannot be turned off once a token rotated: then create the Slack app again from manifest.yml).',
        'no-bot':
          'Slack gave no bot token: the Slack app has no bot scopes. Nothing was installed. Whoever runs the app must create it from manifest.yml.',
        failed: 'Slack did not complete the installation. Nothing was installed: please try again in a moment.',
      })[reason],
    tryAgain: 'Start again',
  },
};
