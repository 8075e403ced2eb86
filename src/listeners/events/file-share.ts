import type { App, webApi } from '@slack/bolt';
import { errorMessage } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Transcriber } from '../../pipeline/relay.ts';
import { keys } from '../../records/jobs.ts';
import type { SlackFile } from '../../slack/files.ts';
import type { Store } from '../../store/index.ts';

/** Whether new memos in a channel are transcribed without asking (the default). */
export async function isAutoOn(store: Store, channel: string): Promise<boolean> {
  return (await store.get<string>(keys.channelAuto(channel))) !== 'off';
}

const QUIET_MS = 20;
const MAX_WAIT_MS = 500;

export interface AfterBurst {
  add(task: () => Promise<void>): void;
  /** Runs what waits now; resolves when every task added so far has finished. */
  flush(): Promise<void>;
}

/**
 * Runs tasks once Slack's requests pause for a moment (at most MAX_WAIT_MS after the first), so that
 * every request of a burst is acknowledged before the work they bring competes with them.
 */
export function afterBurst(): AfterBurst {
  const waiting: (() => Promise<void>)[] = [];
  const running = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let first = 0;
  const start = () => {
    clearTimeout(timer);
    timer = undefined;
    for (const task of waiting.splice(0)) {
      const done = task();
      running.add(done);
      void done.finally(() => running.delete(done));
    }
  };
  return {
    add(task) {
      waiting.push(task);
      if (timer) clearTimeout(timer);
      else first = Date.now();
      timer = setTimeout(start, Math.min(QUIET_MS, Math.max(0, first + MAX_WAIT_MS - Date.now())));
    },
    async flush() {
      start();
      await Promise.allSettled([...running]);
    },
  };
}

/**
 * Every file shared in a channel the app is in (public, private, DM, group DM) arrives as a
 * `message` event with subtype `file_share`; each audio file becomes a job.
 */
export interface FileShareDeps {
  transcriber: Transcriber;
  store: Store;
  slack: webApi.WebClient;
  log: Logger;
}

export function listenForFileShares(app: App, { transcriber, store, slack, log }: FileShareDeps): AfterBurst {
  const later = afterBurst();
  app.event('message', async ({ event, context }) => {
    if (event.subtype !== 'file_share') return;
    const botId = (event as { bot_id?: string }).bot_id;
    if (botId && botId === context.botId) return;
    // Bolt has acknowledged the event already.
    later.add(async () => {
      try {
        if (!(await isAutoOn(store, event.channel))) return;
        const message = { channel: event.channel, ts: event.ts, threadTs: event.thread_ts };
        for (const file of (event.files ?? []) as SlackFile[]) {
          const result = await transcriber.submit(message, file);
          if (result.status === 'duplicate')
            log.info('already claimed', { trackingId: result.trackingId, retry: context.retryNum });
          if (result.status === 'stopping') {
            await slack.chat.postMessage({
              channel: event.channel,
              thread_ts: event.thread_ts ?? event.ts,
              text: `:warning: The app was restarting when ${file.name ?? 'this file'} was shared. Use the *Transcribe* shortcut on the message to transcribe it.`,
            });
          }
        }
      } catch (err) {
        log.error('could not take the files of a message', {
          channel: event.channel,
          ts: event.ts,
          error: errorMessage(err),
        });
      }
    });
  });
  return later;
}
