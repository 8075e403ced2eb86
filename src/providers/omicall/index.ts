import type { EnvReader } from '../../env.ts';
import type { ProviderModule, ProviderSetup, SpeechProvider } from '../index.ts';
import { parseCallback } from './callback.ts';
import { createOmicallClient, type OmicallOptions } from './client.ts';

/**
 * OMICall's speech-to-text (see the shared notes on its API): WAV, MP3 and M4A are sent as they are; results
 * come to the registered webhook, one or several segments per POST, with the tracking_id we sent.
 */
export function createOmicall(options: OmicallOptions): SpeechProvider {
  const client = createOmicallClient(options);
  return {
    id: 'omicall',
    name: 'OMICall',
    sendAsIs: (container, declaredAudio) => {
      if (container === 'wav') return { extension: 'wav', contentType: 'audio/wav' };
      if (container === 'mp3') return { extension: 'mp3', contentType: 'audio/mpeg' };
      // MP4 audio (Slack's iOS clips, .m4a files, the MP4/AAC copy Slack serves of desktop clips) is what
      // OMICall calls .m4a; an MP4 with video is converted, so that only its sound is sent.
      if (container === 'mp4' && declaredAudio) return { extension: 'm4a', contentType: 'audio/mp4' };
      return undefined;
    },
    convertTo: { extension: 'mp3', contentType: 'audio/mpeg' },
    submit: (upload, account) => client.speechToText(upload, account.apiKey),
    results: {
      kind: 'callback',
      register: (url, account, options) => client.registerWebhook(url, account.apiKey, options?.signal),
      parse: parseCallback,
    },
    diagnose: (result) =>
      /api_key/.test(result.error)
        ? "the key is wrong: copy OMICALL_API_KEY again from OMICall's web console (account settings, API management)"
        : 'the host looks wrong: check OMICALL_API_URL (default https://public-v1-stg.omicrm.com/api/ai)',
    close: () => client.close(),
  };
}

const DEFAULT_URL = 'https://public-v1-stg.omicrm.com/api/ai';

/** OMICall in the registry: OMICALL_API_KEY, OMICALL_API_URL and OMICALL_WEBHOOK_SECRET are its settings. */
export const omicall: ProviderModule = {
  id: 'omicall',
  configure(r: EnvReader): ProviderSetup {
    const apiKey = r.value('OMICALL_API_KEY');
    if (apiKey !== undefined && /\s/.test(apiKey)) r.problems.push('OMICALL_API_KEY must not contain spaces');
    const webhookSecret = r.value('OMICALL_WEBHOOK_SECRET');
    if (webhookSecret !== undefined && !/^[A-Za-z0-9_-]{16,128}$/.test(webhookSecret)) {
      r.problems.push('OMICALL_WEBHOOK_SECRET must be 16 to 128 letters, digits, "-" or "_"');
    }
    const baseUrl = r.url('OMICALL_API_URL', DEFAULT_URL);
    return {
      account: apiKey === undefined ? undefined : { apiKey },
      accountSetting: {
        variable: 'OMICALL_API_KEY',
        hint: "the API key from OMICall's web console (account settings, API management)",
      },
      webhookSecret,
      secrets: [apiKey, webhookSecret].filter((s): s is string => s !== undefined),
      address: baseUrl,
      create: ({ timeoutMs }) => createOmicall({ baseUrl, timeoutMs }),
    };
  },
};
