import { describe, expect, it } from 'vitest';
import { type ReplyView, renderReply, type SlackMessage } from '../src/pipeline/render.ts';

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

function clockOf(s: number): string {
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
