import { expect } from 'vitest';
import { type Harness, waitFor } from './harness.ts';
import { postCommand } from './slack-requests.ts';

let responseSeq = 0;

/** Runs /transcribe in `channel` and returns what the person who asked sees (the ack's body or the response_url post). */
export async function transcribe(h: Harness, text: string, channel = 'C0SALES01'): Promise<string> {
  const id = `command-${++responseSeq}`;
  const responseUrl = `${h.slack.url}/respond/${id}`;
  const res = await postCommand(h.url, { text, channel_id: channel, response_url: responseUrl });
  expect(res.status).toBe(200);
  expect(res.ms).toBeLessThan(3000);
  if (res.body) {
    const body = JSON.parse(res.body) as { text: string; response_type?: string };
    expect(body.response_type ?? 'ephemeral').toBe('ephemeral');
    return body.text;
  }
  const answer = await waitFor(
    () => h.slack.responses.find((r) => r.path.endsWith(`/${id}`)),
    5000,
    'response_url post',
  );
  expect(answer.body.response_type).toBe('ephemeral');
  return answer.body.text ?? '';
}

/** A message's link, as Slack's "Copy link" gives it (with the thread for a reply). */
export function permalinkOf(channel: string, ts: string, threadTs?: string): string {
  return `https://acme.slack.com/archives/${channel}/p${ts.replace('.', '')}${threadTs ? `?thread_ts=${threadTs}&cid=${channel}` : ''}`;
}
