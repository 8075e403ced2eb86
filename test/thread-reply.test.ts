/**
 * The transcript reply in the memo's thread: how it is rendered and escaped, and how it is written (one writer at a
 * time, coalesced, through Slack's refusals).
 */
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { clock } from '../src/i18n/index.ts';
import { type ReplyView, renderReply, type SlackMessage } from '../src/pipeline/render.ts';
import type { ReplyRecord } from '../src/pipeline/thread.ts';
import { createStore } from '../src/store/index.ts';
import { memoField, workspaceKeys } from '../src/store/keys.ts';
import { speech } from './helpers/audio.ts';
import { Harness, WORKSPACE, waitFor } from './helpers/harness.ts';
import {
  failureReply,
  leaveReplyUnsaved,
  occurrences,
  plantedMemo,
  repliedMemo,
  threadText,
  uploadedMemo,
} from './helpers/memos.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { json, type SlackStandIn } from './stand-ins/slack.ts';

const started: Harness[] = [];
afterEach(async () => {
  for (const h of started.splice(0).reverse()) await h.stop();
});

/** The app on its own stand-ins, stopped after the test. */
async function start(options: Parameters<typeof Harness.start>[0] = {}): Promise<Harness> {
  const h = await Harness.start(options);
  started.push(h);
  return h;
}

const en = { lang: 'en', provider: 'OMICall' } as const;

/** Every mrkdwn text of a message's blocks, in order, as Slack shows them. */
function shown(m: SlackMessage): string[] {
  return m.blocks.flatMap((b) => {
    if (b.type === 'section') return [b.text?.text ?? ''];
    if (b.type === 'context') return b.elements.map((e) => ('text' in e ? e.text : ''));
    if (b.type === 'actions') return b.elements.map((e) => ('action_id' in e ? `[${e.action_id}]` : ''));
    return [];
  });
}

const line = (i: number) => ({ from: i * 10, to: i * 10 + 10, text: `câu ${i} ${'nội dung cuộc họp '.repeat(40)}` });

function clockOf(s: number): string {
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** A long segment, 4,500 characters of speech with a marker of its own. */
const long = (n: number) => `đoạn-${n} ${'chúng ta bàn kế hoạch '.repeat(204)}`.trim();

const HOSTILE_NAME = '<!channel> & <@U123> <https://evil.test|click>.wav';

const RAW = ['<!channel>', '<@U123>', '<https://evil'];

/** Everything the app asked Slack to show in a channel: every version of every message. */
function everyVersionShown(slack: SlackStandIn): string[] {
  return slack.calls
    .filter((c) => c.method === 'chat.postMessage' || c.method === 'chat.update')
    .map((c) => JSON.stringify({ text: c.args.text, blocks: c.args.blocks }));
}

describe('rendering', () => {
  describe('a transcript reply, as Slack shows it', () => {
    it('one message: header with the length, one line per segment, "more may follow" until complete', () => {
      const segments = [line(0), line(1), { from: 30, to: 31, text: '' }];
      const [m, ...rest] = renderReply(
        'họp.m4a',
        { kind: 'transcript', segments, complete: false, durationSeconds: 75 },
        en,
      );
      expect(rest).toEqual([]);
      const texts = shown(m);
      expect(texts[0]).toBe(':memo: Transcript of *họp.m4a* · 1:15');
      expect(texts[1].split('\n')).toEqual([`\`0:00\`  ${line(0).text}`, `\`0:10\`  ${line(1).text}`]);
      expect(texts.at(-1)).toBe('More may follow as it is recognised…');
      expect(m.text.split('\n')).toEqual([
        'Transcript of họp.m4a · 1:15',
        `[0:00] ${line(0).text}`,
        `[0:10] ${line(1).text}`,
      ]);
    });

    it('complete: the export prompt and one button per format, with the tracking ID', () => {
      const view: ReplyView = { kind: 'transcript', segments: [line(0)], complete: true, exportValue: 'TRACK' };
      const [m] = renderReply('a.wav', view, en);
      expect(shown(m).slice(-4)).toEqual([
        ':white_check_mark: Complete. Download the transcript:',
        '[export_transcript:txt]',
        '[export_transcript:srt]',
        '[export_transcript:vtt]',
      ]);
      const actions = m.blocks.find((b) => b.type === 'actions');
      expect(actions).toMatchObject({ block_id: 'export' });
      expect(JSON.stringify(actions)).toContain('"value":"TRACK"');
      const [withoutExport] = renderReply('a.wav', { ...view, exportValue: undefined }, en);
      expect(shown(withoutExport).at(-1)).toBe(':white_check_mark: Complete.');
    });

    it('several messages: numbered parts, the footer only under the last, every line once and in order', () => {
      const segments = Array.from({ length: 40 }, (_, i) => line(39 - i));
      const messages = renderReply('dài.wav', { kind: 'transcript', segments, complete: true, exportValue: 'T' }, en);
      const parts = messages.length;
      expect(parts).toBeGreaterThanOrEqual(2);
      expect(shown(messages[0])[0]).toBe(`:memo: Transcript of *dài.wav* (part 1 of ${parts})`);
      messages.slice(1).forEach((m, i) => {
        expect(shown(m)[0]).toBe(`:memo: *dài.wav*, continued (part ${i + 2} of ${parts})`);
      });
      messages.forEach((m, i) => {
        const hasFooter = m.blocks.some((b) => b.type === 'actions');
        expect(hasFooter).toBe(i === parts - 1);
        expect(m.blocks.filter((b) => b.type === 'context')).toHaveLength(i === parts - 1 ? 2 : 1);
      });
      const lines = messages.flatMap((m) => m.text.split('\n').filter((l) => l.startsWith('[')));
      expect(lines.map((l) => l.split(' ')[0])).toEqual(Array.from({ length: 40 }, (_, i) => `[${clockOf(i * 10)}]`));
    });

    it('a section never passes Slack’s 3,000 characters and a message never 50 blocks, even with short lines', () => {
      const short = Array.from({ length: 400 }, (_, i) => ({ from: i, to: i + 1, text: `ừ ${i}` }));
      const messages = renderReply('ngắn.wav', { kind: 'transcript', segments: short, complete: false }, en);
      for (const m of messages) expect(m.blocks.length).toBeLessThanOrEqual(50);
      // Slack refuses a section over 3,000 characters: short lines, each with its newline, must not add up past it.
      const shortSections = messages.flatMap((m) =>
        m.blocks.flatMap((b) => (b.type === 'section' ? [b.text?.text ?? ''] : [])),
      );
      expect(shortSections.join('\n').split('\n')).toHaveLength(400);
      for (const s of shortSections) expect(s.length).toBeLessThanOrEqual(3000);
      // Spaces at a cut are not carried to the end or start of a line.
      const long = [{ from: 0, to: 1, text: `${'x'.repeat(2000)}   ${'y'.repeat(2000)} ${'&'.repeat(2000)}` }];
      const all = renderReply('x.wav', { kind: 'transcript', segments: long, complete: false }, en);
      const sections = all.flatMap((m) => m.blocks.flatMap((b) => (b.type === 'section' ? [b.text?.text ?? ''] : [])));
      for (const s of sections) expect(s.length).toBeLessThanOrEqual(3000);
      // Cut at the spaces, words whole: x…, y…, then the ampersands (escaped five-fold) in pieces.
      const pieces = sections
        .join('\n')
        .split('\n')
        .map((l) => l.replace(/^`0:00` {2}/, ''));
      expect(pieces[0]).toBe('x'.repeat(2000));
      expect(pieces[1]).toBe('y'.repeat(2000));
      expect(pieces.slice(2).join('')).toBe('&amp;'.repeat(2000));
    });

    it('a segment that fits one section is one line, not cut: 2,880 characters as spoken', () => {
      const text = `${'a'.repeat(1000)} ${'b'.repeat(1879)}`;
      expect(text).toHaveLength(2880);
      const [m] = renderReply(
        'a.wav',
        { kind: 'transcript', segments: [{ from: 0, to: 60, text }], complete: false },
        en,
      );
      expect(m.text.split('\n').slice(1)).toEqual([`[0:00] ${text}`]);
      expect(shown(m)[1]).toBe(`\`0:00\`  ${text}`);
    });

    it('an empty transcript still says what it is; statuses are one message with the same words in text and blocks', () => {
      const [empty] = renderReply('a.wav', { kind: 'transcript', segments: [], complete: true }, en);
      expect(shown(empty)[0]).toBe(':memo: Transcript of *a.wav*');
      const words = {
        queued: 'a.wav is in line to be transcribed.',
        sending: 'Transcribing a.wav: sending it to OMICall…',
        waiting: 'a.wav was sent to OMICall; the transcript will appear here.',
      };
      for (const kind of ['queued', 'sending', 'waiting'] as const) {
        const [m, ...rest] = renderReply('a.wav', { kind }, en);
        expect(rest).toEqual([]);
        expect(m.blocks).toHaveLength(1);
        expect(m.text).toBe(
          shown(m)[0]
            .replace(/^:[a-z_]+:\s*/, '')
            .replace(/\*/g, ''),
        );
        expect(m.text).toContain('a.wav');
        expect(m.text).toBe(words[kind]);
      }
      expect(new Set(Object.values(words)).size).toBe(3);
      const [failed] = renderReply(
        'a.wav',
        { kind: 'failed', failure: { code: 'provider_unreachable', attempts: 4, error: 'http_`500`' } },
        en,
      );
      expect(failed.text).toContain("http_'500'");
      expect(failed.text).not.toContain('`500`');
    });
  });

  describe('times', () => {
    it('show as m:ss, or h:mm:ss past an hour', () => {
      expect(clock(0)).toBe('0:00');
      expect(clock(12.9)).toBe('0:12');
      expect(clock(75.2)).toBe('1:15');
      expect(clock(3725)).toBe('1:02:05');
    });
  });

  describe('a long transcript', () => {
    const words = 'chúng tôi đã thảo luận về kế hoạch bán hàng cho quý tới và các khách hàng mới & <quan trọng>';
    const segments = Array.from({ length: 1500 }, (_, i) => ({ from: i * 3, to: i * 3 + 3, text: `${i}: ${words}` }));

    it('is split into messages within Slack limits, keeping every segment in order', () => {
      const messages = renderReply('meeting.m4a', { kind: 'transcript', segments, complete: false }, en);
      expect(messages.length).toBeGreaterThan(1);
      for (const m of messages) {
        expect(m.text.length).toBeLessThanOrEqual(40_000);
        expect(m.blocks.length).toBeLessThanOrEqual(50);
        let total = 0;
        for (const b of m.blocks) {
          const text = b.type === 'section' ? (b.text?.text ?? '') : '';
          expect(text.length).toBeLessThanOrEqual(3000);
          const elements = b.type === 'context' ? b.elements.map((e) => ('text' in e ? e.text : '')).join('') : '';
          total += text.length + elements.length;
        }
        // Slack refuses a message whose blocks' text reaches about 13,000 characters (msg_blocks_too_long); the
        // documented number, not the app's own constant, with the headers and footers counted too.
        expect(total).toBeLessThan(13_000);
      }
      const shown = messages.flatMap((m) => m.text.split('\n')).filter((l) => l.startsWith('['));
      expect(shown).toHaveLength(1500);
      // The text is escaped in `text` too: Slack reads it as mrkdwn (a `<!channel>` there would notify everyone).
      expect(shown[1499]).toBe(
        `[1:14:57] 1499: ${words.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}`,
      );
      expect(messages[0].blocks.map((b) => JSON.stringify(b)).join('')).toContain('&amp; &lt;quan trọng&gt;');
    });

    it('splits one very long segment at spaces', () => {
      const messages = renderReply(
        'x.wav',
        { kind: 'transcript', segments: [{ from: 0, to: 600, text: `${words} `.repeat(200) }], complete: false },
        en,
      );
      for (const m of messages)
        for (const b of m.blocks) if (b.type === 'section') expect(b.text?.text.length).toBeLessThanOrEqual(3000);
    });
  });
});

describe('mrkdwn in what is shown: a transcript, a file name or a provider answer', () => {
  it('a transcript cannot mention everyone or slip in a link: text is escaped, in the blocks and in the notification text', async () => {
    const app = await start();
    const memo = await uploadedMemo(app);
    await app.callBack({
      tracking_id: memo.trackingId,
      from: 0,
      to: 1,
      text: '<!channel> đăng nhập tại <https://evil.test|Slack>',
    });
    const reply = await waitFor(() => app.slack.thread(memo.channel, memo.ts).find((m) => m.text.includes('evil')));
    expect(reply.text).toContain('&lt;!channel&gt; đăng nhập tại &lt;https://evil.test|Slack&gt;');
    expect(JSON.stringify(reply.blocks)).not.toContain('<!channel>');
    expect(JSON.stringify(reply.blocks)).not.toContain('<https://evil');
  });

  it('a file name or a provider answer is shown as literal text in every reply: no mention, no link, & escaped', async () => {
    const app = await start();
    app.omicall.answers.push({ kind: 'fail', error: '<!channel> refused & <https://evil.test|login>' });
    const refused = app.slack.addFile({ name: HOSTILE_NAME, mimetype: 'audio/wav', path: speech('wav') });
    const first = await app.share([refused]);
    const reply = await failureReply(app, first.channel, first.ts);
    expect(reply.text).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://evil.test|click&gt;.wav');
    expect(reply.text).toContain(
      'OMICall refused the audio (`&lt;!channel&gt; refused &amp; &lt;https://evil.test|login&gt;`)',
    );
    const blocks = JSON.stringify(reply.blocks);
    expect(blocks).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(blocks).toContain('&lt;!channel&gt; refused &amp;');

    const transcribed = app.slack.addFile({ name: HOSTILE_NAME, mimetype: 'audio/wav', path: speech('wav') });
    const second = await app.share([transcribed]);
    const upload = await waitFor(() => app.omicall.uploads.find((u) => u.trackingId?.includes(second.ts)));
    await app.callBack({ tracking_id: upload.trackingId, from: 0, to: 1, text: 'xin chào' });
    const transcript = await waitFor(() =>
      app.slack.thread(second.channel, second.ts).find((m) => m.text.includes('xin chào')),
    );
    expect(transcript.text).toContain('Transcript of &lt;!channel&gt; &amp; &lt;@U123&gt;');
    expect(JSON.stringify(transcript.blocks)).toContain('&lt;!channel&gt; &amp; &lt;@U123&gt;');

    const all = everyVersionShown(app.slack);
    expect(all.length).toBeGreaterThan(2);
    for (const message of all) {
      for (const raw of RAW) expect(message).not.toContain(raw);
      // Every & is an entity of ours.
      expect(message).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
  });
});

describe('writing the reply', () => {
  it('a segment that changes only the last part of a long transcript edits only that message', async () => {
    const h = await start();
    const memo = await uploadedMemo(h, { name: 'họp.wav' });
    for (const [n, from] of [
      [1, 0],
      [2, 60],
      [3, 120],
    ] as const) {
      expect((await h.callBack({ tracking_id: memo.trackingId, from, to: from + 60, text: long(n) })).status).toBe(200);
    }
    const [first, second] = await waitFor(
      () => {
        const r = h.slack.thread(memo.channel, memo.ts);
        return r.length === 2 && occurrences(h, memo.channel, memo.ts, 'đoạn-3') === 1 ? r : undefined;
      },
      8000,
      'a transcript in two messages',
    );
    await h.app.pipeline.replies.idle();
    const firstEdits = first.history.length;
    const secondEdits = second.history.length;

    expect((await h.callBack({ tracking_id: memo.trackingId, from: 200, to: 205, text: 'câu cuối cùng' })).status).toBe(
      200,
    );
    await waitFor(() => second.text.includes('câu cuối cùng'), 5000, 'the new segment');
    await h.app.pipeline.replies.idle();
    // Slack limits chat.update per channel: the first part, which did not change, is not sent again.
    expect(first.history.length).toBe(firstEdits);
    expect(second.history.length).toBe(secondEdits + 1);
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(2);
    // A transcript is never decorated with previews of links someone said.
    for (const call of h.slack.callsOf('chat.postMessage')) {
      expect(call.args).toMatchObject({ unfurl_links: 'false', unfurl_media: 'false' });
    }
  });

  it('two instances receiving the same memo’s segments at once show each segment once, in one reply', async () => {
    // A render lock shorter than Slack's answer: only its renewal keeps the other instance out.
    const timings = { replyLockRetryMs: 100, replyLockTtlMs: 300 };
    const a = await start({ redis: true, timings });
    const b = await start({ redis: true, with: a, timings });
    const memo = await uploadedMemo(a, { name: 'họp.wav' });
    await a.callBack({ tracking_id: memo.trackingId, from: 0, to: 60, text: long(1) });
    await a.callBack({ tracking_id: memo.trackingId, from: 60, to: 120, text: long(2) });
    await waitFor(() => occurrences(a, memo.channel, memo.ts, 'đoạn-2') === 1, 8000, 'the first two segments');
    await a.app.pipeline.replies.idle();
    // Slack takes its time to post the next message: both instances would post one if nothing kept them apart.
    a.slack.delays.set('chat.postMessage', 800);
    const answers = await Promise.all([
      a.callBack({ tracking_id: memo.trackingId, from: 120, to: 180, text: long(3) }),
      b.callBack({ tracking_id: memo.trackingId, from: 180, to: 240, text: long(4) }),
    ]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(
      () => [1, 2, 3, 4].every((n) => occurrences(a, memo.channel, memo.ts, `đoạn-${n}`) >= 1),
      10_000,
      'all four segments',
    );
    await Promise.all([a.app.pipeline.replies.idle(), b.app.pipeline.replies.idle()]);
    await new Promise((r) => setTimeout(r, 1000));
    const thread = a.slack.thread(memo.channel, memo.ts);
    expect(thread).toHaveLength(2);
    for (const n of [1, 2, 3, 4]) expect(occurrences(a, memo.channel, memo.ts, `đoạn-${n}`)).toBe(1);
  });

  it('segments arriving faster than Slack should be written to are gathered: writes stay coalesceMs apart', async () => {
    const coalesceMs = 400;
    const h = await start({ timings: { replyGapMs: coalesceMs } });
    const memo = await uploadedMemo(h, { name: 'họp.wav' });
    await waitFor(() => h.slack.thread(memo.channel, memo.ts)[0], 5000, 'the status reply');
    await h.app.pipeline.replies.idle();
    const reply = h.slack.thread(memo.channel, memo.ts)[0];
    let n = 0;
    /** Sends `count` segments `everyMs` apart; returns Slack's writes of the reply meanwhile. */
    const burst = async (count: number, everyMs: number) => {
      const since = h.slack.calls.length;
      for (let i = 0; i < count; i++) {
        n += 1;
        await h.callBack({ tracking_id: memo.trackingId, from: n * 5, to: n * 5 + 5, text: `câu số ${n}` });
        await new Promise((r) => setTimeout(r, everyMs));
      }
      const last = `câu số ${n}`;
      await waitFor(() => reply.text.includes(last), 5000, last);
      await h.app.pipeline.replies.idle();
      return h.slack.calls.slice(since).filter((c) => c.method === 'chat.update' && c.args.ts === reply.ts);
    };
    // Segments a little apart, each arriving after the previous write is done; then segments close together
    // while each write takes Slack a moment (as under its rate limits), so they arrive while one is under way.
    const apart = await burst(8, 100);
    await new Promise((r) => setTimeout(r, coalesceMs));
    h.slack.delays.set('chat.update', 150);
    const during = await burst(12, 50);
    for (const writes of [apart, during]) {
      // Several callbacks gathered into a few writes, never two closer than coalesceMs (less timer slack).
      expect(writes.length).toBeGreaterThanOrEqual(2);
      expect(writes.length).toBeLessThanOrEqual(5);
      for (let i = 1; i < writes.length; i++) {
        expect(writes[i].at - writes[i - 1].at).toBeGreaterThanOrEqual(coalesceMs - 30);
      }
    }
    for (let i = 1; i <= n; i++) expect(reply.text).toContain(`câu số ${i}`);
    // The reaction changed once, with the first segment; the writes after it leave it alone.
    const reactionCalls = h.slack.calls.filter(
      (c) => c.method.startsWith('reactions.') && c.args.timestamp === memo.ts,
    );
    expect(reactionCalls.filter((c) => c.method === 'reactions.add').map((c) => c.args.name)).toEqual([
      'hourglass_flowing_sand',
      'memo',
    ]);
    // The operator's view of the same: callback → update times, in seconds, all under the second or so it took.
    const metrics = await (await request(`${h.url}/metrics`)).body.text();
    const count = Number(/^transcriber_callback_to_update_seconds_count (\S+)$/m.exec(metrics)?.[1]);
    const sum = Number(/^transcriber_callback_to_update_seconds_sum (\S+)$/m.exec(metrics)?.[1]);
    expect(count).toBe(apart.length + during.length);
    expect(sum / count).toBeGreaterThan(0);
    expect(sum / count).toBeLessThan(1.5);
  });
});

describe('the callback → update time an operator reads', () => {
  it('counts from the oldest callback a write shows, through a 429 and callbacks that came meanwhile', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'câu đầu' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu đầu'), 5000, 'the first segment');
    await h.app.pipeline.replies.idle();
    const series = 'transcriber_callback_to_update_seconds';
    const [count, sum] = [await h.metric(`${series}_count`), await h.metric(`${series}_sum`)];
    // The next edit is answered 429 after 600 ms; Slack's Retry-After is a second.
    h.slack.override((call, res) => {
      if (call.method !== 'chat.update') return false;
      setTimeout(() => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }), 600);
      return true;
    });

    const t0 = Date.now();
    await h.callBack({ tracking_id: memo.trackingId, from: 3, to: 6, text: 'câu hai' });
    await new Promise((r) => setTimeout(r, 300));
    // While the edit is under way…
    await h.callBack({ tracking_id: memo.trackingId, from: 6, to: 9, text: 'câu ba' });
    await new Promise((r) => setTimeout(r, 600));
    // …and after its 429, while the method waits.
    await h.callBack({ tracking_id: memo.trackingId, from: 9, to: 12, text: 'câu bốn' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu bốn'), 5000, 'the three segments');
    const waited = (Date.now() - t0) / 1000;
    await h.app.pipeline.replies.idle();

    expect(await h.metric(`${series}_count`)).toBe(count + 1);
    const observed = (await h.metric(`${series}_sum`)) - sum;
    expect(observed).toBeGreaterThanOrEqual(1.5);
    expect(observed).toBeLessThanOrEqual(waited + 0.1);
  });
});

describe('the memo’s reaction, when Slack refuses it', () => {
  it('a reaction already there, or already gone, is what was wanted: no warning for the operator', async () => {
    const h = await start();
    const channel = 'C0SALES01';
    const ts = h.slack.nextTs();
    // Someone (or an earlier attempt) already put ⏳ on the memo: Slack answers already_reacted.
    h.slack.reactions.set(`${channel}/${ts}`, new Set(['hourglass_flowing_sand']));
    const memo = await uploadedMemo(h, { name: 'họp.wav', ts });
    await waitFor(() => h.slack.callsOf('reactions.add').length > 0, 5000, 'the ⏳ reaction');
    await h.app.pipeline.replies.idle();
    // …and then took it off again: removing it answers no_reaction.
    h.slack.reactions.get(`${channel}/${ts}`)?.clear();

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'xin chào cả nhóm' });
    await waitFor(() => h.slack.reactionsOn(channel, ts).includes('memo'), 5000, 'the 📝 reaction');
    await h.app.pipeline.replies.idle();

    expect(h.slack.errors.map((e) => e.error)).toEqual(expect.arrayContaining(['already_reacted', 'no_reaction']));
    expect(h.logged('could not add a reaction')).toEqual([]);
    expect(h.logged('could not remove a reaction')).toEqual([]);
    expect(threadText(h, channel, ts)).toContain('xin chào cả nhóm');
  });

  it('any other refusal is logged as a warning with Slack’s error, and the transcript still arrives', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    expect(h.slack.reactionsOn(memo.channel, memo.ts)).toEqual(['hourglass_flowing_sand']);
    h.slack.refuse('reactions.remove', 'message_not_found');
    h.slack.refuse('reactions.add', 'too_many_reactions');

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'biên bản cuộc họp' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('biên bản cuộc họp'), 5000, 'the transcript');
    await h.app.pipeline.replies.idle();

    expect(h.logged('could not remove a reaction')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'message_not_found' }),
    ]);
    expect(h.logged('could not add a reaction')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'too_many_reactions' }),
    ]);
    // Refused is final for what was asked: not asked again until the memo changes.
    expect(h.slack.callsOf('reactions.add').filter((c) => c.args.name === 'memo')).toHaveLength(1);
  });
});

describe('reactions still to be taken off the memo', () => {
  /** A memo waiting for its text (⏳ wanted) whose reply record says it shows `reaction`, `stale` still to go. */
  async function reactedMemo(h: Harness, reaction: string, stale: string[]) {
    const file = h.slack.addFile({ name: 'họp.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { ref } = await plantedMemo(h, { fileId: file.id, fileName: 'họp.wav' });
    const record: ReplyRecord = { fileName: 'họp.wav', replyTs: [], shown: [], reaction, stale };
    await h.app.store.set(workspaceKeys(WORKSPACE).reply(ref), record);
    h.slack.reactions.set(`${ref.channel}/${ref.ts}`, new Set([reaction, ...stale]));
    return ref;
  }

  it('go one by one once the wanted one is on; one Slack refuses is warned about and not asked again', async () => {
    const h = await start();
    const ref = await reactedMemo(h, 'hourglass_flowing_sand', ['memo', 'warning', 'white_check_mark']);
    h.slack.refuse('reactions.remove', 'no_permission');

    await h.app.pipeline.replies.refresh(ref);
    await waitFor(() => h.slack.thread(ref.channel, ref.ts).length === 1, 5000, 'the reply');
    await waitFor(() => h.slack.callsOf('reactions.remove').length >= 3, 5000, 'the three removals');
    await h.app.pipeline.replies.idle();
    expect(h.slack.callsOf('reactions.remove').map((c) => c.args.name)).toEqual([
      'memo',
      'warning',
      'white_check_mark',
    ]);
    expect(h.slack.reactionsOn(ref.channel, ref.ts).sort()).toEqual(['hourglass_flowing_sand', 'memo']);
    expect(h.logged('could not remove a reaction')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'no_permission' }),
    ]);
  });

  it('a reaction that is wanted again is not taken off: ⏳ back after 📝 stays', async () => {
    const h = await start();
    const ref = await reactedMemo(h, 'memo', ['hourglass_flowing_sand']);

    await h.app.pipeline.replies.refresh(ref);
    await waitFor(() => h.slack.callsOf('reactions.remove').length > 0, 5000, 'the 📝 taken off');
    await h.app.pipeline.replies.idle();
    expect(h.slack.reactionsOn(ref.channel, ref.ts)).toEqual(['hourglass_flowing_sand']);
    expect(h.slack.callsOf('reactions.remove').map((c) => c.args.name)).toEqual(['memo']);
  });
});

describe('a job record the thread cannot show as it says', () => {
  it('complete without a segment (its segments gone) shows as waiting for the transcript, with ⏳', async () => {
    const h = await start();
    const file = h.slack.addFile({ name: 'mất-đoạn.wav', mimetype: 'audio/wav', path: speech('wav') });
    const { ref, id } = await plantedMemo(h, { fileId: file.id, fileName: 'mất-đoạn.wav' });
    await h.app.store.update(workspaceKeys(WORKSPACE).job(id), { state: 'complete' });

    await h.app.pipeline.replies.refresh(ref);
    const [reply] = await waitFor(() => h.slack.thread(ref.channel, ref.ts)[0] && h.slack.thread(ref.channel, ref.ts));
    await h.app.pipeline.replies.idle();
    expect(reply.text).toBe('mất-đoạn.wav was sent to OMICall; the transcript will appear here.');
    expect(h.slack.reactionsOn(ref.channel, ref.ts)).toEqual(['hourglass_flowing_sand']);
  });
});

describe('a final reaction follows the text it stands for', () => {
  it.each([
    ['a failure', {}, (text: string) => text.startsWith('Could not transcribe')],
    ['a time-out', { env: { CALLBACK_TIMEOUT_S: '1' } }, (text: string) => text.includes('has sent no transcript')],
  ])(
    '%s: ⚠️ waits while Slack holds back the words (a 429)',
    async (name, options, isFinal) => {
      const h = await start(options);
      if (name === 'a failure') h.omicall.answers.push({ kind: 'fail', error: 'bad_audio' });
      let heldBack = 0;
      h.slack.override((call, res) => {
        const writes = call.method === 'chat.update' || call.method === 'chat.postMessage';
        if (!writes || !isFinal(String(call.args.text))) return false;
        heldBack += 1;
        json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' });
        return true;
      });
      // A short memo: the time-out counts twice the audio's length.
      const memo = h.slack.addFile({ name: 'họp.wav', mimetype: 'audio/wav', path: speech('wav', 'Xin chào.') });
      const { channel, ts } = await h.share([memo]);
      await waitFor(() => h.slack.reactionsOn(channel, ts).includes('warning'), 15_000, 'the ⚠️ reaction');
      expect(heldBack).toBe(1);
      const shown = h.slack.calls.find((c) => c.status === 200 && isFinal(String(c.args.text)));
      const reacted = h.slack.callsOf('reactions.add').find((c) => c.args.name === 'warning');
      expect(shown).toBeDefined();
      expect(reacted?.at).toBeGreaterThanOrEqual(shown?.at ?? Number.POSITIVE_INFINITY);
    },
    30_000,
  );
});

describe('a reply Slack will not edit', () => {
  it('is logged as an error with Slack’s answer and the memo it belongs to; the next change tries again', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
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
    const timings = { replyLockRetryMs: 100 };
    const a = await start({ redis: true, timings });
    const b = await start({ redis: true, with: a, timings });
    const memo = await repliedMemo(a);
    await b.app.pipeline.replies.idle();

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
    const store = await createStore({ kind: 'redis', url: REDIS_URL, prefix: h.prefix, tlsVerify: true });
    try {
      const file = h.slack.addFile({ name: 'họp.wav', mimetype: 'audio/wav', path: speech('wav') });
      const lock = workspaceKeys(WORKSPACE).replyLock({ channel, ts, fileId: file.id });
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

describe('a reply a killed process posted but could not save', () => {
  it('is found in the thread by its metadata and edited, not posted a second time', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    const { key, posted } = await leaveReplyUnsaved(h, memo);
    // Before it in the thread, messages whose metadata is close to it but not it: another app's event, the reply of
    // another file of the same message, and a second part of this memo's reply.
    const field = memoField({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    const decoys = [
      { event_type: 'other_app_event', event_payload: { memo: field, part: 0 } },
      { event_type: 'transcript_reply', event_payload: { memo: `${field}X`, part: 0 } },
      { event_type: 'transcript_reply', event_payload: { memo: field, part: 1 } },
    ].map((metadata, i) => {
      const [whole, fraction] = posted.ts.split('.');
      const ts = `${whole}.${String(Number(fraction) - 3 + i).padStart(6, '0')}`;
      const text = `không phải nó ${i}`;
      return h.slack.addUserMessage({
        channel: memo.channel,
        ts,
        thread_ts: memo.ts,
        user: 'B0OTHER01',
        text,
        metadata,
      });
    });
    const series = 'transcriber_callback_to_update_seconds_count';
    const observed = await h.metric(series);

    const posts = h.slack.callsOf('chat.postMessage').length;
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'tìm lại được' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('tìm lại được'), 5000, 'the segment shown');
    await h.app.pipeline.replies.idle();

    expect(
      h.slack
        .thread(memo.channel, memo.ts)
        .filter((m) => !decoys.includes(m))
        .map((m) => m.ts),
    ).toEqual([posted.ts]);
    expect(decoys.map((d) => d.history)).toEqual(decoys.map((d) => [d.text]));
    // The edit shows the callback: its time is counted once.
    expect(await h.metric(series)).toBe(observed + 1);
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(posts);
    expect(h.slack.callsOf('conversations.replies').at(-1)?.args).toMatchObject({
      channel: memo.channel,
      ts: memo.threadTs,
      // Form-encoded, as Slack's Web API client sends it.
      include_all_metadata: 'true',
    });
    const saved = await h.app.store.get<ReplyRecord>(key);
    expect(saved?.replyTs).toEqual([posted.ts]);
    expect(saved?.posting).toBeUndefined();
  });

  it('is posted when the thread does not hold it (Slack never took the post)', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    // The record says a post was under way, and the thread holds no reply of it: Slack never took that post.
    const { posted } = await leaveReplyUnsaved(h, memo);
    h.slack.messages.splice(h.slack.messages.indexOf(posted), 1);

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'đăng lại' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('đăng lại'), 5000, 'the reply posted again');
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
    expect(h.slack.callsOf('conversations.replies')).not.toHaveLength(0);
  });
});

describe('looking for a reply a killed process posted, when Slack will not say', () => {
  it('a 429 to the look waits for Slack’s Retry-After, then finds the reply and edits it', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    const { posted } = await leaveReplyUnsaved(h, memo);
    h.slack.rateLimit('conversations.replies', 1);
    const posts = h.slack.callsOf('chat.postMessage').length;

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'chờ một chút' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('chờ một chút'), 8000, 'the segment shown');
    const looks = h.slack.callsOf('conversations.replies');
    expect(looks).toHaveLength(2);
    expect(looks[1].at - looks[0].at).toBeGreaterThanOrEqual(950);
    expect(h.slack.thread(memo.channel, memo.ts).map((m) => m.ts)).toEqual([posted.ts]);
    expect(h.slack.callsOf('chat.postMessage')).toHaveLength(posts);
    expect(h.logged('could not look for a reply posted before a restart')).toEqual([]);
  });

  it('a refused look is warned about, and the reply posted: a second reply rather than none', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    await leaveReplyUnsaved(h, memo);
    h.slack.refuse('conversations.replies', 'missing_scope');

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'đăng mới' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('đăng mới'), 5000, 'the reply posted');
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(2);
    expect(h.logged('could not look for a reply posted before a restart')).toEqual([
      expect.objectContaining({ level: 'warn', error: 'missing_scope' }),
    ]);
  });
});

describe('a first post Slack answered with a refusal or a 429', () => {
  it.each([
    ['refused (ok: false)', (res: ServerResponse) => json(res, 200, { ok: false, error: 'msg_blocks_too_long' })],
    [
      'answered 429',
      (res: ServerResponse) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '1' }),
    ],
  ])('%s posted nothing: the next post does not look for it in the thread', async (_name, answer) => {
    const h = await start();
    h.slack.override((call, res) => {
      if (call.method !== 'chat.postMessage') return false;
      answer(res);
      return true;
    });
    const memo = await uploadedMemo(h);
    await waitFor(() => h.slack.callsOf('chat.postMessage').length >= 1, 5000, 'the first post');
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'lần sau' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('lần sau'), 8000, 'the reply posted');
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
    expect(h.slack.callsOf('conversations.replies')).toEqual([]);
  });
});

/**
 * Makes the app's store fail the next `times` calls of `method` whose key `matches`, as an unreachable Redis fails
 * them; every other call goes through. Returns how many of those failures are still to come.
 */
function storeFails(
  h: Harness,
  method: 'get' | 'record' | 'update' | 'claim' | 'release',
  matches: (key: string) => boolean,
  times = 1,
): () => number {
  const store = h.app.store;
  const real = store[method].bind(store) as (key: string, ...rest: unknown[]) => Promise<unknown>;
  let left = times;
  Object.assign(store, {
    [method]: (key: string, ...rest: unknown[]) => {
      if (left > 0 && matches(key)) {
        left -= 1;
        return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
      }
      return real(key, ...rest);
    },
  });
  return () => left;
}

describe('the store failing while the reply is written', () => {
  const keys = workspaceKeys(WORKSPACE);
  const owedKey = keys.repliesOwed();

  it('a change the store could not note is still shown, and the operator is told once', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    const left = storeFails(h, 'update', (key) => key === owedKey);

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'vẫn hiện ra' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('vẫn hiện ra'), 5000, 'the segment shown');
    expect(left()).toBe(0);
    expect(h.logged('could not note a reply change')).toEqual([
      expect.objectContaining({ level: 'warn', error: expect.stringContaining('ECONNREFUSED') }),
    ]);
  });

  it('a look the store failed leaves the change owed, and the next sweep writes it', async () => {
    const h = await start({ timings: { repliesOwedSweepMs: 300 } });
    const memo = await repliedMemo(h);
    const replyKey = keys.reply({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    const left = storeFails(h, 'get', (key) => key === replyKey);

    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'lần quét sau' });
    await waitFor(() => h.logged('could not look at a thread reply').length > 0, 5000, 'the failed look');
    expect(left()).toBe(0);
    // Still owed in the store, so that no process forgets it.
    expect(Object.keys((await h.app.store.record(owedKey)) ?? {})).not.toEqual([]);
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('lần quét sau'), 5000, 'the sweep’s write');
    await h.app.pipeline.replies.idle();
    await waitFor(async () => Object.keys((await h.app.store.record(owedKey)) ?? {}).length === 0, 5000, 'none owed');
    expect(h.logged('could not look at a thread reply')).toEqual([
      expect.objectContaining({ level: 'warn', error: expect.stringContaining('ECONNREFUSED') }),
    ]);
  });

  it('a lock the store could not take is tried again after a back-off, and the reply written then', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    // A first segment puts 📝 on the memo: the next one needs an edit and nothing else.
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'câu đầu' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu đầu'), 5000, 'the first segment');
    await h.app.pipeline.replies.idle();
    const lockKey = keys.replyLock({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    const left = storeFails(h, 'claim', (key) => key === lockKey);

    const t0 = Date.now();
    await h.callBack({ tracking_id: memo.trackingId, from: 3, to: 6, text: 'sau một giây' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('sau một giây'), 5000, 'the write');
    expect(left()).toBe(0);
    const [warned] = h.logged('could not update the thread reply');
    expect(warned).toMatchObject({ level: 'warn', error: expect.stringContaining('ECONNREFUSED') });
    expect(String(warned.memo)).toContain(memo.ts);
    // The first back-off is a second.
    const edit = h.slack.callsOf('chat.update').find((c) => String(c.args.text).includes('sau một giây'));
    expect((edit?.at ?? 0) - t0).toBeGreaterThanOrEqual(950);
  });

  it('the sweep for replies owed that could not read the store is told, and sweeps again', async () => {
    const h = await start({ timings: { repliesOwedSweepMs: 200 } });
    // The sweep reads the replies owed of every workspace the app has seen a memo in.
    const memo = await repliedMemo(h);
    const left = storeFails(h, 'record', (key) => key === owedKey);
    await waitFor(() => h.logged('replies owed: could not look').length > 0, 5000, 'the failed sweep');
    expect(left()).toBe(0);
    expect(h.logged('replies owed: could not look')).toEqual([
      expect.objectContaining({ level: 'warn', error: expect.stringContaining('ECONNREFUSED') }),
    ]);
    // The sweep goes on: a change whose look failed afterwards is written by it.
    const replyKey = keys.reply({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    storeFails(h, 'get', (key) => key === replyKey);
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'quét tiếp' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('quét tiếp'), 5000, 'the next sweep’s write');
  });
});

describe('a first post Slack did not answer (a 500) may have gone through', () => {
  it('is tried again after a back-off, and that post first looks for it in the thread', async () => {
    const h = await start();
    h.slack.override((call, res) => {
      if (call.method !== 'chat.postMessage') return false;
      json(res, 500, { ok: false, error: 'internal_error' });
      return true;
    });
    const memo = await uploadedMemo(h);
    await waitFor(() => h.slack.thread(memo.channel, memo.ts).length === 1, 8000, 'the reply posted');
    expect(h.slack.thread(memo.channel, memo.ts)).toHaveLength(1);
    expect(h.slack.callsOf('conversations.replies')).toHaveLength(1);
    expect(h.logged('Slack did not take a thread reply; trying again')).toEqual([
      expect.objectContaining({ level: 'warn', method: 'chat.postMessage', memo: expect.stringContaining(memo.ts) }),
    ]);
  });
});

describe('a 429 holds back the method it answered, where Slack counts it, for every instance', () => {
  it('chat.postMessage: posts in that channel wait, posts in another do not', async () => {
    const a = await start({ redis: true });
    const b = await start({ redis: true, with: a });
    const limited = a.slack.rateLimit('chat.postMessage', 2);
    const first = await uploadedMemo(a, { channel: 'C0SALES01' });
    await waitFor(limited, 5000, 'the 429');
    // The other instance's posts: its own lanes are free, the budget in the store is not.
    const same = await uploadedMemo(b, { channel: 'C0SALES01' });
    const other = await uploadedMemo(b, { channel: 'C0RESULTS1' });
    for (const m of [first, same, other])
      await waitFor(() => a.slack.thread(m.channel, m.ts).length === 1, 8000, `the reply in ${m.channel}`);
    const postedAt = (m: { ts: string }) =>
      a.slack.callsOf('chat.postMessage').find((c) => c.status === 200 && c.args.thread_ts === m.ts)?.at ?? 0;
    const at = limited() ?? 0;
    expect(postedAt(other) - at).toBeLessThan(1500);
    expect(postedAt(same) - at).toBeGreaterThanOrEqual(1900);
    expect(postedAt(first) - at).toBeGreaterThanOrEqual(1900);
  });

  it('chat.update: edits of every channel wait, as Slack counts it for the workspace', async () => {
    const a = await start({ redis: true });
    const b = await start({ redis: true, with: a });
    const one = await repliedMemo(a, { channel: 'C0SALES01' });
    const two = await repliedMemo(a, { channel: 'C0RESULTS1' });
    await b.app.pipeline.replies.idle();
    const limited = a.slack.rateLimit('chat.update', 2);
    await a.callBack({ tracking_id: one.trackingId, from: 0, to: 3, text: 'kênh một' });
    await waitFor(limited, 5000, 'the 429');
    await b.callBack({ tracking_id: two.trackingId, from: 0, to: 3, text: 'kênh hai' });
    await waitFor(() => threadText(a, two.channel, two.ts).includes('kênh hai'), 8000, 'the other channel’s edit');
    const edit = a.slack
      .callsOf('chat.update')
      .find((c) => c.status === 200 && String(c.args.text).includes('kênh hai'));
    expect((edit?.at ?? 0) - (limited() ?? 0)).toBeGreaterThanOrEqual(1900);
  });
});

describe('in a lane Slack holds back, what goes first', () => {
  /** Three long segments, a minute each: a transcript of two messages. */
  async function sayAtLength(h: Harness, trackingId: string): Promise<void> {
    for (const n of [1, 2, 3])
      await h.callBack({ tracking_id: trackingId, from: (n - 1) * 60, to: n * 60, text: long(n) });
  }

  it('a memo’s first reply goes before the next part of another memo’s long transcript, though it came later', async () => {
    const h = await start();
    const long1 = await repliedMemo(h, { channel: 'C0SALES01' });
    const limited = h.slack.rateLimit('chat.postMessage', 2);
    // Enough text for a second message: its post is answered 429, and the channel's posts wait two seconds.
    await sayAtLength(h, long1.trackingId);
    await waitFor(limited, 5000, 'the 429');
    const later = await uploadedMemo(h, { channel: 'C0SALES01' });
    await waitFor(() => occurrences(h, long1.channel, long1.ts, 'đoạn-3') === 1, 8000, 'the second part');
    await waitFor(() => h.slack.thread(later.channel, later.ts).length === 1, 8000, 'the first reply');
    const posts = h.slack.callsOf('chat.postMessage').filter((c) => c.status === 200 && c.at > (limited() ?? 0));
    expect(posts.map((c) => c.args.thread_ts)).toEqual([later.ts, long1.ts]);
  });

  it('a final ✅ waits for every part of a long transcript, not only the first', async () => {
    const h = await start({ timings: { quietMs: 300 } });
    const memo = await repliedMemo(h);
    const limited = h.slack.rateLimit('chat.postMessage', 2);
    await sayAtLength(h, memo.trackingId);
    await waitFor(() => h.slack.reactionsOn(memo.channel, memo.ts).includes('white_check_mark'), 10_000, 'the ✅');
    const second = h.slack.callsOf('chat.postMessage').find((c) => c.status === 200 && c.at > (limited() ?? 0));
    const check = h.slack.callsOf('reactions.add').find((c) => c.args.name === 'white_check_mark');
    expect(second).toBeDefined();
    expect(check?.at).toBeGreaterThanOrEqual(second?.at ?? Number.POSITIVE_INFINITY);
  });
});

describe('a reply lock this process could not release (the store failed)', () => {
  it('is taken over by its next write at once, not after the lock’s lifetime', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    const lockKey = workspaceKeys(WORKSPACE).replyLock({ channel: memo.channel, ts: memo.ts, fileId: memo.file.id });
    // A first segment puts 📝 on: the next ones need one edit each, so one write under the lock.
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'câu đầu' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu đầu'), 5000, 'the first segment');
    await h.app.pipeline.replies.idle();
    const left = storeFails(h, 'release', (key) => key === lockKey);
    await h.callBack({ tracking_id: memo.trackingId, from: 3, to: 6, text: 'câu hai' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu hai'), 5000, 'the second segment');
    await h.app.pipeline.replies.idle();
    expect(left()).toBe(0);
    expect(await h.app.store.peek(lockKey)).toBeDefined();

    const t0 = Date.now();
    await h.callBack({ tracking_id: memo.trackingId, from: 6, to: 9, text: 'câu sau' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu sau'), 5000, 'the next segment');
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(h.logged('reply lock taken over from a process that died')).toEqual([
      expect.objectContaining({ level: 'info', lock: lockKey }),
    ]);
  });
});

describe('a change that comes while the writer looks at the thread', () => {
  it('is looked at once more when that look ends, even if the look found nothing to do', async () => {
    const h = await start();
    const memo = await repliedMemo(h);
    await h.callBack({ tracking_id: memo.trackingId, from: 0, to: 3, text: 'câu đầu' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('câu đầu'), 5000, 'the first segment');
    await h.app.pipeline.replies.idle();
    // The next look reads the reply record slowly (the segments it reads at once, before the change below).
    const ref = { workspace: WORKSPACE, channel: memo.channel, ts: memo.ts, fileId: memo.file.id };
    const replyKey = workspaceKeys(WORKSPACE).reply(ref);
    const store = h.app.store;
    const get = store.get.bind(store);
    let slow = true;
    Object.assign(store, {
      get: async (key: string) => {
        if (slow && key === replyKey) {
          slow = false;
          await new Promise((r) => setTimeout(r, 500));
        }
        return get(key);
      },
    });

    await h.app.pipeline.replies.refresh(ref);
    await new Promise((r) => setTimeout(r, 100));
    await h.callBack({ tracking_id: memo.trackingId, from: 3, to: 6, text: 'đến giữa chừng' });
    await waitFor(() => threadText(h, memo.channel, memo.ts).includes('đến giữa chừng'), 3000, 'the change shown');
    expect(slow).toBe(false);
  });
});
