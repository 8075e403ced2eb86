import { createHmac } from 'node:crypto';
import { request } from 'undici';

export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5'.replace(/[yz]/g, 'e');

export interface SlackPost {
  status: number;
  body: string;
  ms: number;
}

/** Slack's `x-slack-signature` for a body sent at `timestamp` (seconds), signed with `secret`. */
export function slackSignature(timestamp: number | string, body: string | Buffer, secret = SIGNING_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

/** POSTs to the app exactly as Slack does: raw body signed with the signing secret. */
export async function postSigned(
  appUrl: string,
  body: string,
  contentType: string,
  options: { secret?: string; timestamp?: number; retryNum?: number; signature?: string } = {},
): Promise<SlackPost> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? slackSignature(timestamp, body, options.secret);
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const started = performance.now();
  const res = await request(`${appUrl}/slack/events`, { method: 'POST', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, body: text, ms: performance.now() - started };
}

let eventSeq = 0;

/** An Events API envelope around one event. */
export function eventEnvelope(event: Record<string, unknown>, eventId = `Ev${Date.now()}${++eventSeq}`): string {
  return JSON.stringify({
    token: 'legacy',
    team_id: 'T0001',
    api_app_id: 'A0001',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0001', user_id: 'UBOT0001', is_bot: true }],
    event,
  });
}

export function postEvent(
  appUrl: string,
  event: Record<string, unknown>,
  options: Parameters<typeof postSigned>[3] & { eventId?: string } = {},
) {
  return postSigned(appUrl, eventEnvelope(event, options.eventId), 'application/json', options);
}

/** A `message` event with subtype `file_share`, as Slack sends when someone shares files. */
export function fileShareEvent(m: {
  channel: string;
  ts: string;
  files: unknown[];
  thread_ts?: string;
  user?: string;
  channel_type?: string;
  bot_id?: string;
}) {
  return {
    type: 'message',
    subtype: 'file_share',
    text: '',
    user: m.user ?? 'UALICE01',
    channel: m.channel,
    channel_type: m.channel_type ?? 'channel',
    ts: m.ts,
    event_ts: m.ts,
    files: m.files,
    upload: false,
    display_as_bot: false,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    ...(m.bot_id ? { bot_id: m.bot_id } : {}),
  };
}

/** A slash command, form-encoded as Slack posts it. */
export function postCommand(
  appUrl: string,
  fields: Record<string, string>,
  options: Parameters<typeof postSigned>[3] = {},
) {
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0001',
    team_domain: 'test',
    user_id: 'UALICE01',
    user_name: 'alice',
    command: '/transcribe',
    text: '',
    api_app_id: 'A0001',
    trigger_id: 'trigger.1',
    ...fields,
  }).toString();
  return postSigned(appUrl, body, 'application/x-www-form-urlencoded', options);
}

/** An interactivity payload (shortcut), form-encoded with a `payload` field. */
export function postInteraction(
  appUrl: string,
  payload: Record<string, unknown>,
  options: Parameters<typeof postSigned>[3] = {},
) {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return postSigned(appUrl, body, 'application/x-www-form-urlencoded', options);
}

/** The "Transcribe" message shortcut on a message, as Slack posts it (`message_action`). */
export function postShortcut(
  appUrl: string,
  o: {
    channel: string;
    ts: string;
    files: unknown[];
    responseUrl: string;
    thread_ts?: string;
    user?: string;
    text?: string;
  },
) {
  return postInteraction(appUrl, {
    type: 'message_action',
    callback_id: 'transcribe_message',
    trigger_id: 't.1',
    action_ts: '1.2',
    message_ts: o.ts,
    response_url: o.responseUrl,
    token: 'legacy',
    team: { id: 'T0001', domain: 'acme' },
    user: { id: o.user ?? 'UALICE01', name: 'alice' },
    channel: { id: o.channel, name: 'channel' },
    message: {
      type: 'message',
      user: 'UALICE01',
      ts: o.ts,
      files: o.files,
      ...(o.text !== undefined ? { text: o.text } : {}),
      ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}),
    },
  });
}
