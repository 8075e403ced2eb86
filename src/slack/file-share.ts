import type { App } from '@slack/bolt';
import type { Transcriber } from '../jobs/transcriber.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import { keys } from '../transcripts/jobs.ts';
import type { SlackFile } from './files.ts';

/** Whether new memos in a channel are transcribed without asking (the default). */
export async function isAutoOn(store: Store, channel: string): Promise<boolean> {
  return (await store.get<string>(keys.channelAuto(channel))) !== 'off';
}

/**
 * Every file shared in a channel the app is in (public, private, DM, group DM) arrives as a
 * `message` event with subtype `file_share`; each audio file becomes a job.
 */
export function listenForFileShares(app: App, { transcriber, store, log }: { transcriber: Transcriber; store: Store; log: Logger }): void {
  app.event('message', async ({ event, context }) => {
    if (event.subtype !== 'file_share') return;
    // Bolt has acknowledged the event. Wait a moment, so that the other requests of a burst are
    // acknowledged before this work competes with them for the event loop.
    await new Promise((resolve) => setTimeout(resolve, 25));
    const botId = (event as { bot_id?: string }).bot_id;
    if (botId && botId === context.botId) return;
    if (!(await isAutoOn(store, event.channel))) return;
    const files = (event.files ?? []) as SlackFile[];
    const message = { channel: event.channel, ts: event.ts, threadTs: event.thread_ts };
    for (const file of files) {
      const result = await transcriber.submit(message, file);
      if (result.status === 'duplicate') log.info('already claimed', { trackingId: result.trackingId, retry: context.retryNum });
    }
  });
}
