import { afterEach, describe, expect, it } from 'vitest';
import { memoKey } from '../src/records/tracking-id.ts';
import { createStore } from '../src/store/index.ts';
import { speech } from './helpers/audio.ts';
import { Harness, REDIS_URL, waitFor } from './helpers/harness.ts';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

/** A memo shared on h (at ts, when given) and uploaded to OMICall: its tracking id, channel and ts. */
async function uploaded(h: Harness, ts?: string) {
  const file = h.slack.addFile({ name: 'họp.wav', mimetype: 'audio/wav', path: speech('wav') });
  const { channel, ts: at } = await h.share([file], ts ? { ts } : {});
  const upload = await waitFor(() => h.omicall.uploads.find((u) => u.trackingId?.includes(at)), 8000, 'upload');
  return { trackingId: upload.trackingId as string, channel, ts: at };
}

/** An uploaded memo whose first reply is in its thread, with nothing left to write. */
async function replied(h: Harness) {
  const memo = await uploaded(h);
  await waitFor(() => h.slack.thread(memo.channel, memo.ts).length === 1, 5000, 'the first reply');
  await h.app.replies.idle();
  return memo;
}

const threadText = (h: Harness, channel: string, ts: string) =>
  h.slack
    .thread(channel, ts)
    .map((m) => m.text)
    .join('\n');

describe('the memo’s reaction, when Slack refuses it', () => {
  it('a reaction already there, or already gone, is what was wanted: no warning for the operator', async () => {
    const h = await start();
    const channel = 'C0SALES01';
    const ts = h.slack.nextTs();
    // Someone (or an earlier attempt) already put ⏳ on the memo: Slack answers already_reacted.
    h.slack.reactions.set(`${channel}/${ts}`, new Set(['hourglass_flowing_sand']));
    const memo = await uploaded(h, ts);
    await waitFor(() => h.slack.callsOf('reactions.add').length > 0, 5000, 'the ⏳ reaction');
    await h.app.replies.idle();
    // …and then took it off again: removing it answers no_reaction.
    h.slack.reactions.get(`${channel}/${ts}`)?.clear();

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'xin chào cả nhóm' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).includes('memo'), 5000, 'the 📝 reaction');
    await h.app.replies.idle();

    expect(h.slack.errors.map((e) => e.error)).toEqual(expect.arrayContaining(['already_reacted', 'no_reaction']));
    expect(h.logged('could not add a reaction')).toEqual([]);
    expect(h.logged('could not remove a reaction')).toEqual([]);
    expect(threadText(h, channel, ts)).toContain('xin chào cả nhóm');
  });

  it('any other refusal is logged as a warning with Slack’s error, and the transcript still arrives', async () => {
    const h = await start();
    const memo = await replied(h);
    expect(h.slack.reactionsOn(memo.channel, memo.ts)).toEqual(['hourglass_flowing_sand']);
    h.slack.refuse('reactions.remove', 'message_not_found');
    h.slack.refuse('reactions.add', 'too_many_reactions');

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'biên bản cuộc họp' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('biên bản cuộc họp'), 5000, 'the transcript');
    await h.app.replies.idle();

    expect(h.logged('could not remove a reaction')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'message_not_found' }),
    ]);
    expect(h.logged('could not add a reaction')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'too_many_reactions' }),
    ]);
  });
});

describe('a reply Slack will not edit', () => {
  it('is logged as an error with Slack’s answer and the memo it belongs to; the next change tries again', async () => {
    const h = await start();
    const memo = await replied(h);
    h.slack.refuse('chat.update', 'cant_update_message');

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'không sửa được' });
    const [line] = await waitFor(
      () => {
        const lines = h.logged('could not update the thread reply');
        return lines.length > 0 ? lines : undefined;
      },
      5000,
      'the error line',
    );
    expect(line).toMatchObject({ level: 'error', error: 'cant_update_message' });
    expect(String(line?.memo)).toContain(memo.ts);

    await h.callBack({ tracking_id: memo.trackingId, from: 3, to: 6, text: 'lần sau được' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('lần sau được'), 5000, 'the next edit');
  });
});

describe('two writers of one reply', () => {
  it('a segment reaching one instance while the other is still writing the reply is shown once that write ends', async () => {
    const tuning = { lockRetryMs: 100 };
    const a = await start({ redis: true, tuning });
    const b = await start({ redis: true, with: a, tuning });
    const memo = await replied(a);
    await b.app.replies.idle();

    // Slack is slow to take the next edit: instance a holds the reply's lock for 1.5 s.
    a.slack.delays.set('chat.update', 1500);
    const edits = a.slack.callsOf('chat.update').length;
    await a.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'phần một' });
    await waitFor(() => a.slack.callsOf('chat.update').length > edits, 5000, 'a’s edit in flight');
    // a has read the segments already; this one reaches b, which finds the reply locked.
    await b.callBack({ tracking_id: memo.trackingId, from: 3, to: 6, text: 'phần hai' });
    a.slack.delays.delete('chat.update');

    await waitFor(
      () => threadText(a, memo.channel, memo.ts).includes('phần hai'),
      6000,
      'b’s segment, after a’s write',
    );
    const text = threadText(a, memo.channel, memo.ts);
    expect(text.split('phần một').length - 1).toBe(1);
    expect(a.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
  });

  it('a lock left by a process killed mid-write is taken over at once, not after its 30 s lifetime', async () => {
    const h = await start({ redis: true });
    const channel = 'C0SALES01';
    const ts = h.slack.nextTs();
    // What a SIGKILL during a write leaves in Redis: the reply's lock, in the name of an instance that no longer
    // sends heartbeats, valid for the full default lifetime.
    const store = await createStore({ redisUrl: REDIS_URL, prefix: h.prefix });
    try {
      const file = h.slack.addFile({ name: 'họp.wav', mimetype: 'audio/wav', path: speech('wav') });
      const lock = `render-lock:${memoKey({ channel, ts, fileId: file.id })}`;
      expect(await store.claim(lock, 'a-dead-instance/3b6f0c1e', 30_000)).toBe(true);

      const t0 = Date.now();
      await h.share([file], { ts });
      await waitFor(() => h.slack.thread(channel, ts).length === 1, 5000, 'the first reply');
      expect(Date.now() - t0).toBeLessThan(5000);
      expect(h.logged('reply lock taken over from a process that died')).toEqual([
        expect.objectContaining({ level: 'info', lock }),
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('stopping while a reply is being written', () => {
  it('the app waits for the write in flight before it stops: the reply is in the thread when stop returns', async () => {
    const h = await start();
    const memo = await replied(h);
    h.slack.delays.set('chat.update', 800);
    const edits = h.slack.callsOf('chat.update').length;
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'lời cuối trước khi dừng' });
    await waitFor(() => h.slack.callsOf('chat.update').length > edits, 5000, 'the edit in flight');

    await h.app.stop();
    expect(threadText(h, memo.channel, memo.ts)).toContain('lời cuối trước khi dừng');
  });

  it('with two replies in flight, it waits for the slower one too', async () => {
    const h = await start();
    const first = await replied(h);
    // The second memo's first reply takes Slack 1.5 s; the first memo's edit 0.2 s.
    h.slack.delays.set('chat.postMessage', 1500);
    h.slack.delays.set('chat.update', 200);
    const posts = h.slack.callsOf('chat.postMessage').length;
    const file = h.slack.addFile({ name: 'sau.wav', mimetype: 'audio/wav', path: speech('wav') });
    const second = await h.share([file]);
    await waitFor(() => h.slack.callsOf('chat.postMessage').length > posts, 5000, 'the second reply in flight');
    await h.callBack({ tracking_id: first.trackingId, from: 0, to: 3, text: 'đoạn nhanh' });
    await waitFor(() => threadText(h, first.channel, first.ts).includes('đoạn nhanh'), 5000, 'the quick edit');

    await h.app.stop();
    expect(h.slack.thread(second.channel, second.ts)).toHaveLength(1);
  });
});
