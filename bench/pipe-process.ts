/**
 * The baseline: a bare streaming pipe, no app. For each line "GET_URL POST_URL TRACKING_ID" on stdin it
 * streams the download into a multipart upload, then prints "done TRACKING_ID". Lines are served at once, so
 * that several pipes can run concurrently in this one process, as the app's relays do in its own.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { API_KEY } from '../test/stand-ins/omicall.ts';
import { BOT_TOKEN } from '../test/stand-ins/slack.ts';

const boundary = '----bench-baseline-boundary';

async function pipe(from: string, to: string, trackingId: string): Promise<void> {
  const download = await request(from, { headers: { authorization: `Bearer ${BOT_TOKEN}` } });
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="tracking_id"\r\n\r\n${trackingId}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.wav"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* download.body;
      yield tail;
    })(),
  );
  const res = await request(to, {
    method: 'POST',
    headers: {
      apiKey: API_KEY,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + Number(download.headers['content-length']) + tail.length),
    },
    body,
  });
  await res.body.text();
}

for await (const line of createInterface({ input: process.stdin })) {
  const [from, to, trackingId] = line.split(' ');
  pipe(from, to, trackingId).then(
    () => process.stdout.write(`done ${trackingId}\n`),
    (err: unknown) => process.stdout.write(`failed ${trackingId} ${String(err)}\n`),
  );
}
