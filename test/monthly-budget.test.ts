/**
 * The monthly budget: minutes of audio per workspace per calendar month (UTC), counted when a file is sent to OMICall;
 * the admins told once by DM at 80 %, a memo that would pass it told so in its thread and not uploaded, and asked for
 * again once an admin raised it; /metrics counts the minutes, with no workspace or channel.
 */

import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { numberValue } from './fixtures/slack-payloads.ts';
import { wavHeader } from './helpers/audio.ts';
import { Harness, WORKSPACE, waitFor } from './helpers/harness.ts';
import { chooseSetting, openHome, viewText } from './helpers/home.ts';
import { failureReply } from './helpers/memos.ts';
import { postShortcut } from './helpers/slack-requests.ts';

let h: Harness;
beforeEach(async () => {
  h = await Harness.start();
  h.slack.owners.add('UOWNER01');
});
afterEach(async () => {
  await h.stop();
});

const CHANNEL = 'C0SALES01';
const USED_UP = "the monthly transcription budget is used up; an admin can raise it in the app's Home tab.";

/** A real WAV of `seconds` of silence (16 kHz, 16-bit mono), shared in the channel. */
async function share(seconds: number, name = `${seconds}s.wav`) {
  const data = seconds * 16_000 * 2;
  const file = h.slack.addFile({
    name,
    mimetype: 'audio/wav',
    bytes: Buffer.concat([wavHeader(data), Buffer.alloc(data)]),
  });
  const shared = await h.share([file], { channel: CHANNEL });
  return { ...shared, file };
}

const uploadedFor = (ts: string) => h.omicall.uploads.filter((u) => u.trackingId?.includes(ts));
const dms = () => h.slack.callsOf('chat.postMessage').filter((c) => String(c.args.channel).startsWith('U'));

async function uploaded(ts: string) {
  await waitFor(() => uploadedFor(ts).length === 1, 8000, 'the upload');
  await waitFor(() => h.slack.thread(CHANNEL, ts)[0]?.text.includes('was sent to OMICall'), 5000, 'sent');
}

describe('a monthly budget of 3 minutes', () => {
  beforeEach(async () => {
    await chooseSetting(h, 'budget', numberValue('3'));
  });

  it('tells the admins once at 80 %, refuses the memo that would pass it, and takes it once raised', async () => {
    const first = await share(70);
    await uploaded(first.ts);
    const second = await share(70);
    await uploaded(second.ts);
    // 140 s of 180: under 80 %, nobody told.
    expect(dms()).toEqual([]);

    const third = await share(30);
    await uploaded(third.ts);
    // 170 s: past 80 % (144 s). Every admin and owner is told, once, in their DM with the app.
    await waitFor(() => dms().length === 2, 5000, 'the DMs');
    expect(
      dms()
        .map((c) => c.args.channel)
        .sort(),
    ).toEqual(['UADMIN01', 'UOWNER01']);
    expect(String(dms()[0].args.text)).toMatch(
      /^:warning: This workspace has used 80 % of its monthly transcription budget: 2\.8 minutes of 3 minutes of audio in [A-Z][a-z]+ \d{4} \(UTC\)\./,
    );

    // 20 s more would pass 180 s: one plain line in its thread, nothing uploaded.
    const over = await share(20);
    const line = await failureReply(h, CHANNEL, over.ts);
    expect(line.text).toBe(`Could not transcribe 20s.wav: ${USED_UP}`);
    expect(h.slack.thread(CHANNEL, over.ts)).toHaveLength(1);
    expect(uploadedFor(over.ts)).toEqual([]);

    // 10 s still fits, exactly: 180 s of 180.
    const last = await share(10);
    await uploaded(last.ts);
    // Used up: the next memo is not even downloaded.
    const after = await share(5);
    await failureReply(h, CHANNEL, after.ts);
    expect(uploadedFor(after.ts)).toEqual([]);
    expect(h.slack.downloads.filter((d) => d.path.includes(after.file.id))).toEqual([]);
    // Still one DM each.
    expect(dms()).toHaveLength(2);

    // The admins' Home tab shows the month.
    const tab = viewText(await openHome(h, 'UADMIN01'));
    expect(tab).toContain('3 minutes of audio, 4 memos · 100 % of the budget of 3 minutes');
    expect(tab).toContain(`• <#${CHANNEL}>: 3 minutes, 4 memos`);

    // Asked for again before the budget is raised: the same line, nothing uploaded.
    const ask = (memo: { ts: string; file: { id: string } }, id: string) =>
      postShortcut(h.url, {
        channel: CHANNEL,
        ts: memo.ts,
        files: [memo.file],
        responseUrl: `${h.slack.url}/respond/${id}`,
      });
    await ask(over, 'again-1');
    await waitFor(() => h.slack.responses.some((r) => r.path.endsWith('/again-1')), 5000, 'the answer');
    await new Promise((r) => setTimeout(r, 500));
    expect(uploadedFor(over.ts)).toEqual([]);

    // Raised to 5 minutes: asked for again, it is uploaded, into the same reply.
    await chooseSetting(h, 'budget', numberValue('5'));
    await ask(over, 'again-2');
    await waitFor(() => uploadedFor(over.ts).length === 1, 8000, 'the upload once raised');
    await waitFor(() => h.slack.thread(CHANNEL, over.ts)[0]?.text.includes('was sent to OMICall'), 5000, 'sent');
    expect(h.slack.thread(CHANNEL, over.ts)).toHaveLength(1);
  });

  it('/metrics counts the minutes OMICall took, with no workspace or channel in it', async () => {
    const memo = await share(90);
    await uploaded(memo.ts);
    expect(await h.metric('transcriber_audio_minutes_total')).toBeCloseTo(1.5, 5);
    const text = await (await request(`${h.url}/metrics`)).body.text();
    const lines = text.split('\n').filter((l) => l.startsWith('transcriber_audio_minutes_total'));
    expect(lines).toEqual(['transcriber_audio_minutes_total 1.5']);
    expect(text).not.toContain(WORKSPACE);
    expect(text).not.toContain(CHANNEL);
    // A refused memo counts nothing.
    const refused = await share(120);
    await failureReply(h, CHANNEL, refused.ts);
    expect(await h.metric('transcriber_audio_minutes_total')).toBeCloseTo(1.5, 5);
  });
});

it('without a budget, nothing is refused and nobody is told', async () => {
  const memo = await share(200);
  await uploaded(memo.ts);
  expect(dms()).toEqual([]);
});
