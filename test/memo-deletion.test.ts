/**
 * Deletion follows the memo: a memo's message deleted, changed into a tombstone, or its file deleted takes its
 * transcript replies, its transcript files, its queued work and every stored key of it along; a callback that comes
 * later is answered 200 and shows nothing.
 */
import type { types } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplyRecord } from '../src/pipeline/thread.ts';
import { memoField, processKeys, workspaceKeys } from '../src/store/keys.ts';
import {
  botReply,
  buttonPress,
  eventCallback,
  fileDeletedEvent,
  fileShareMessage,
  messageDeletedEvent,
  messageTombstonedEvent,
  type SlackFile,
  userMessage,
} from './fixtures/slack-payloads.ts';
import { speech } from './helpers/audio.ts';
import { Harness, type HarnessOptions, WORKSPACE, waitFor } from './helpers/harness.ts';
import { openHome, viewText } from './helpers/home.ts';
import { buttonsOf, leaveReplyUnsaved, repliedMemo, uploadedMemo } from './helpers/memos.ts';
import { postInteraction, postSigned } from './helpers/slack-requests.ts';

const harnesses: Harness[] = [];
async function start(options: HarnessOptions = {}): Promise<Harness> {
  const h = await Harness.start({ ...options, timings: { quietMs: 200, ...options.timings } });
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

const settle = (ms = 400) => new Promise((r) => setTimeout(r, ms));

type Memo = Awaited<ReturnType<typeof uploadedMemo>>;

/** A memo transcribed to the end, with its .txt uploaded into its thread. */
async function finishedMemo(h: Harness): Promise<Memo & { exported: string }> {
  const memo = await uploadedMemo(h, { name: 'bí-mật.wav' });
  await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 60, text: 'Nội dung riêng tư' });
  const reply = await waitFor(
    () => {
      const r = h.slack.thread(memo.channel, memo.ts)[0];
      return buttonsOf(r).length === 3 ? r : undefined;
    },
    8000,
    'the finished transcript',
  );
  const message = {
    ...botReply({ ts: reply.ts, text: reply.text, thread_ts: reply.thread_ts }),
    blocks: reply.blocks as types.KnownBlock[],
  };
  const press = buttonPress({
    message,
    actionId: 'export_transcript:txt',
    channel: { id: memo.channel, name: 'sales' },
    responseUrl: `${h.slack.url}/respond/export`,
  });
  await postInteraction(h.url, press as unknown as Record<string, unknown>);
  const exported = await waitFor(() => h.slack.uploadedFiles[0]?.fileId, 5000, 'the transcript file');
  await h.app.pipeline.replies.idle();
  return { ...memo, exported };
}

/** Every stored key that names the memo (its message, its file, an attempt), and entries in shared records. */
async function traces(h: Harness, memo: Memo): Promise<string[]> {
  const { store } = h.app;
  const found = (await store.keysWith('')).filter((k) => k.includes(memo.ts) || k.includes(memo.file.id));
  const records = [
    processKeys.relays(),
    `ws:${WORKSPACE}:replies-owed`,
    `ws:${WORKSPACE}:deletions-owed`,
    `ws:${WORKSPACE}:channel:${memo.channel}:jobs`,
    `ws:${WORKSPACE}:person:UALICE01:jobs`,
  ];
  for (const key of records) {
    const fields = Object.keys((await store.record(key)) ?? {});
    found.push(...fields.filter((f) => f.includes(memo.ts) || f.includes(memo.file.id)).map((f) => `${key} ${f}`));
  }
  const due = await store.dueAt(processKeys.deadlines(), `ws:${WORKSPACE}:job:${memo.trackingId}`);
  if (due !== undefined) found.push('deadlines');
  return found;
}

function sendEvent(h: Harness, event: { type: string; event_ts: string; channel?: string }) {
  return postSigned(h.url, JSON.stringify(eventCallback(event)), 'application/json');
}

/** The message Slack knew, as it shows it in `previous_message`. */
function previousOf(memo: Memo) {
  return fileShareMessage({ ts: memo.ts, files: [memo.file as unknown as SlackFile] });
}

const EVENTS: [string, (memo: Memo) => { type: string; event_ts: string; channel?: string }][] = [
  ['message_deleted', (m) => messageDeletedEvent({ channel: m.channel, previous: previousOf(m) })],
  [
    'message_changed into a tombstone message',
    (m) => messageTombstonedEvent({ channel: m.channel, previous: previousOf(m) }),
  ],
  [
    'message_changed whose file became a tombstone',
    (m) => messageTombstonedEvent({ channel: m.channel, previous: previousOf(m), keepText: true }),
  ],
  ['file_deleted', (m) => fileDeletedEvent({ fileId: m.file.id, channelIds: [m.channel] })],
];

describe('deleting a transcribed memo', () => {
  it.each(EVENTS)(
    '(%s) deletes its replies, its transcript file and every stored key of it',
    async (_name, eventOf) => {
      const h = await start();
      const memo = await finishedMemo(h);
      await openHome(h, 'UALICE01');
      expect(await traces(h, memo)).not.toEqual([]);
      expect(h.slack.thread(memo.channel, memo.ts).length).toBeGreaterThanOrEqual(2);

      const res = await sendEvent(h, eventOf(memo));
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3000);

      await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
      expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
      expect(h.slack.callsOf('chat.delete').length).toBeGreaterThanOrEqual(1);
      expect(h.slack.deletedFiles).toEqual([memo.exported]);
      expect(h.slack.callsOf('files.delete').map((c) => c.args.file)).toEqual([memo.exported]);
      // The reaction on the memo goes too.
      expect(h.slack.reactionsOn(memo.channel, memo.ts)).toEqual([]);
      // The Home tab shows it no more.
      await waitFor(
        () => !viewText(h.slack.homeViews.get('UALICE01')).includes('bí-mật.wav'),
        5000,
        'the Home tab without the memo',
      );

      // A callback that comes later: 200, dropped, nothing posted.
      const writes = () =>
        h.slack.calls.filter((c) => c.method.startsWith('chat.') || c.method.startsWith('reactions.')).length;
      const before = writes();
      const late = await h.callBack({ tracking_id: memo.trackingId, from: 60, to: 61, text: 'đến muộn' });
      expect(late.status).toBe(200);
      expect(JSON.parse(late.body)).toEqual({ ok: true, accepted: 0, dropped: 1, ignored: 0 });
      await settle();
      expect(writes()).toBe(before);
      expect(await traces(h, memo)).toEqual([]);
      expect(await h.metric('transcriber_callbacks_total{outcome="dropped_gone"}')).toBe(1);
    },
  );

  it('on Redis too, with its work in the BullMQ queue', async () => {
    const h = await start({ redis: true });
    const memo = await finishedMemo(h);
    expect(await traces(h, memo)).not.toEqual([]);
    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
    expect(h.slack.deletedFiles).toEqual([memo.exported]);
  });

  it('while it waits in line cancels it: it is never uploaded, and its waiting reply goes', async () => {
    const h = await start({ env: { RELAY_CONCURRENCY: '1' } });
    const slow = h.slack.addFile({
      name: 'chậm.wav',
      mimetype: 'audio/wav',
      path: speech('wav'),
      transfer: { delayMs: 1500 },
    });
    await h.share([slow]);
    const waiting = h.slack.addFile({ name: 'chờ.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { channel, ts } = await h.share([waiting]);
    await waitFor(() => h.slack.thread(channel, ts)[0]?.text.includes('in line'), 5000, 'the waiting reply');
    await h.app.pipeline.replies.idle();
    const previous = fileShareMessage({ ts, files: [waiting as unknown as SlackFile] });
    await sendEvent(h, messageDeletedEvent({ channel, previous }));
    await waitFor(() => h.slack.thread(channel, ts).length === 0, 5000, 'the waiting reply deleted');
    // Its queue entry is gone while the slow one still runs.
    expect(await h.metric('transcriber_queue_jobs{state="ready"}')).toBe(0);
    expect(await h.metric('transcriber_queue_jobs{state="active"}')).toBe(1);
    await waitFor(() => h.omicall.uploads.length === 1, 8000, 'the slow memo uploaded');
    await settle(800);
    expect(h.omicall.uploads.map((u) => u.trackingId)).not.toContainEqual(expect.stringContaining(ts));
    const keys = (await h.app.store.keysWith('')).filter((k) => k.includes(ts) || k.includes(waiting.id));
    expect(keys).toEqual([]);
  });

  it('that Slack cannot delete for now is deleted once Slack answers again', async () => {
    const h = await start({ timings: { deletionsSweepMs: 200 } });
    const memo = await finishedMemo(h);
    // Slack is away for the first two tries (each override answers one call).
    let refusals = 0;
    for (let i = 0; i < 2; i++) {
      h.slack.override((call, res) => {
        if (call.method !== 'chat.delete') return false;
        refusals += 1;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'service_unavailable' }));
        return true;
      });
    }
    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 8000, 'no key of the memo left');
    expect(refusals).toBe(2);
    expect(h.logged('could not delete a reply: will try again')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'service_unavailable' }),
      expect.objectContaining({ level: 'warn', error: 'service_unavailable' }),
    ]);
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
    expect(h.slack.deletedFiles).toEqual([memo.exported]);
  });

  it('of a message that was no memo, or of the app’s own reply, deletes nothing', async () => {
    const h = await start();
    const memo = await finishedMemo(h);
    const text = userMessage({ ts: h.slack.nextTs(), text: 'chỉ là chữ' });
    expect((await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: text as never }))).status).toBe(
      200,
    );
    const pdf = h.slack.addFile({ name: 'báo-cáo.pdf', mimetype: 'application/pdf', bytes: Buffer.from('%PDF-1.4') });
    expect((await sendEvent(h, fileDeletedEvent({ fileId: pdf.id }))).status).toBe(200);
    // An edit of the memo's text, and a reply counted on it, change nothing either.
    const edited = { ...previousOf(memo), text: 'sửa lại', reply_count: 1 };
    const changed = {
      ...messageTombstonedEvent({ channel: memo.channel, previous: previousOf(memo) }),
      message: edited,
    };
    expect((await sendEvent(h, changed)).status).toBe(200);
    await settle();
    expect(h.slack.callsOf('chat.delete')).toEqual([]);
    expect(h.slack.callsOf('files.delete')).toEqual([]);
    expect(await traces(h, memo)).not.toEqual([]);
    expect(h.slack.thread(memo.channel, memo.ts).length).toBeGreaterThanOrEqual(2);
  });
});

describe('deleting a memo whose reply a process left half-written', () => {
  async function replied(h: Harness) {
    const memo = await repliedMemo(h, { name: 'bí-mật.wav' });
    return { memo, posted: h.slack.thread(memo.channel, memo.ts)[0] };
  }

  it('a reply posted by a process killed before it saved the ts is found by its metadata and deleted', async () => {
    const h = await start();
    const memo = await repliedMemo(h, { name: 'bí-mật.wav' });
    const { posted } = await leaveReplyUnsaved(h, memo);

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
    expect(h.slack.callsOf('chat.delete').map((c) => c.args.ts)).toEqual([posted.ts]);
    expect(h.slack.callsOf('conversations.replies')).not.toHaveLength(0);
  });

  it('a reply Slack refuses to delete is left, said once in the log, and the memo’s keys still go', async () => {
    const h = await start();
    const { memo, posted } = await replied(h);
    h.slack.refuse('chat.delete', 'cant_delete_message');

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    await settle();
    expect(h.slack.thread(memo.channel, memo.ts).map((m) => m.ts)).toEqual([posted.ts]);
    expect(h.slack.callsOf('chat.delete')).toHaveLength(1);
    expect(h.logged('Slack refused to delete a reply')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'cant_delete_message' }),
    ]);
  });

  it('a reply already gone from the thread is no warning', async () => {
    const h = await start();
    const { memo, posted } = await replied(h);
    h.slack.messages.splice(h.slack.messages.indexOf(posted), 1);

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    expect(h.slack.callsOf('chat.delete')).toHaveLength(1);
    expect(h.logged('Slack refused to delete a reply')).toEqual([]);
    expect(h.logged('could not delete a reply: will try again')).toEqual([]);
  });
});

describe('deleting a memo while its reply is busy', () => {
  const OTHER = 'an-instance-still-alive';

  /** The memo's reply lock, held by another instance whose heartbeat is fresh: a write of it under way there. */
  async function heldElsewhere(h: Harness, memo: Memo): Promise<() => Promise<boolean>> {
    const { store } = h.app;
    const lock = workspaceKeys(WORKSPACE).replyLock({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    await store.set(processKeys.worker(OTHER), Date.now(), 60_000);
    expect(await store.claim(lock, `${OTHER}/7d1c`, 60_000)).toBe(true);
    return () => store.release(lock, `${OTHER}/7d1c`);
  }

  it('a reply another live instance is writing is deleted once that write ends, not meanwhile', async () => {
    const h = await start({ timings: { replyLockRetryMs: 100 } });
    const memo = await repliedMemo(h, { name: 'bí-mật.wav' });
    const release = await heldElsewhere(h, memo);

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await settle(700);
    expect(h.slack.callsOf('chat.delete')).toEqual([]);
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
    expect(await release()).toBe(true);
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
    expect(h.slack.callsOf('chat.delete')).toHaveLength(1);
  });

  it('a reply whose lock stays taken is tried again later, and after five tries the memo’s records go anyway', async () => {
    const h = await start({ timings: { replyLockRetryMs: 50, replyLockTtlMs: 200, deletionsSweepMs: 200 } });
    const memo = await repliedMemo(h, { name: 'bí-mật.wav' });
    const release = await heldElsewhere(h, memo);

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    const [gaveUp] = await waitFor(
      () => {
        const lines = h.logged('gave up deleting a memo’s transcript from Slack; its records are deleted');
        return lines.length > 0 ? lines : undefined;
      },
      10_000,
      'the memo given up on',
    );
    expect(gaveUp).toMatchObject({ level: 'error', tries: 5 });
    await release();
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    // The reply was never deleted: each try found its lock taken.
    expect(h.slack.callsOf('chat.delete')).toEqual([]);
  });

  it('a reply a killed process left unsaved, when Slack answers the look with a 429, is found on the next try', async () => {
    // Tries half a second apart: the third comes after Slack's Retry-After.
    const h = await start({ timings: { deletionsSweepMs: 500 } });
    const memo = await repliedMemo(h, { name: 'bí-mật.wav' });
    const { posted } = await leaveReplyUnsaved(h, memo);
    h.slack.rateLimit('conversations.replies', 1);

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 8000, 'no key of the memo left');
    expect(h.slack.thread(memo.channel, memo.ts)).toEqual([]);
    expect(h.slack.callsOf('chat.delete').map((c) => c.args.ts)).toEqual([posted.ts]);
    expect(h.slack.callsOf('conversations.replies').length).toBeGreaterThanOrEqual(2);
  });

  it('reactions still to be taken off the memo go with it, beside the one it shows, and the change owed to it', async () => {
    const h = await start();
    const memo = await repliedMemo(h, { name: 'bí-mật.wav' });
    // A transcript's 📝 is on, and the ⏳ before it could not be taken off yet (Slack was away).
    const key = workspaceKeys(WORKSPACE).reply({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    const record = await h.app.store.get<ReplyRecord>(key);
    await h.app.store.set(key, { ...record, reaction: 'memo', stale: ['hourglass_flowing_sand'] });
    h.slack.reactions.set(`${memo.channel}/${memo.ts}`, new Set(['hourglass_flowing_sand', 'memo']));
    // And a change to it is still owed, as a process that died before writing it leaves it.
    const field = memoField({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    await h.app.store.update(workspaceKeys(WORKSPACE).repliesOwed(), { [field]: 'a-dead-instance:7' });

    await sendEvent(h, messageDeletedEvent({ channel: memo.channel, previous: previousOf(memo) }));
    await waitFor(async () => (await traces(h, memo)).length === 0, 5000, 'no key of the memo left');
    expect(h.slack.reactionsOn(memo.channel, memo.ts)).toEqual([]);
    expect(h.slack.callsOf('reactions.remove').map((c) => c.args.name)).toEqual(['memo', 'hourglass_flowing_sand']);
  });
});
