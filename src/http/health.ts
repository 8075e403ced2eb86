import type { CustomRoute } from '@slack/bolt';
import type { Store } from '../store/index.ts';
import { sendJson } from './respond.ts';

/** 200 while the app can serve (its store answers), 503 otherwise. Says nothing secret. */
export function healthRoute(store: Store, isStopping: () => boolean): CustomRoute {
  return {
    path: '/healthz',
    method: 'GET',
    handler: async (_req, res) => {
      if (isStopping()) return sendJson(res, 503, { ok: false, store: 'unknown', stopping: true });
      try {
        await Promise.race([
          store.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
        ]);
        sendJson(res, 200, { ok: true, store: 'ok' });
      } catch {
        sendJson(res, 503, { ok: false, store: 'unreachable' });
      }
    },
  };
}
