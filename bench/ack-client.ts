/**
 * Sends Slack events to the app from a process of its own, so that the latency it measures is the app's,
 * not that of the busy process hosting the stand-ins. Reads {url, events[], concurrent} as JSON on stdin;
 * prints the latency of each request in ms as JSON.
 */
import { text } from 'node:stream/consumers';
import { postEvent } from '../test/helpers/slack-requests.ts';

const { url, events, concurrent, gapMs } = JSON.parse(await text(process.stdin)) as {
  url: string;
  events: Record<string, unknown>[];
  concurrent: boolean;
  gapMs: number;
};
// Warm this process up (connections, JIT) with events the app ignores, so the figures are the app's.
for (let i = 0; i < 50; i++) {
  await postEvent(url, {
    type: 'message',
    channel: 'C0WARMUP1',
    user: 'U0WARMUP1',
    text: 'warm-up',
    ts: `1600000000.${String(i).padStart(6, '0')}`,
  });
}
const latencies: number[] = [];
if (concurrent) {
  latencies.push(...(await Promise.all(events.map((e) => postEvent(url, e)))).map((r) => r.ms));
} else {
  for (const e of events) {
    latencies.push((await postEvent(url, e)).ms);
    await new Promise((r) => setTimeout(r, gapMs));
  }
}
process.stdout.write(JSON.stringify(latencies));
