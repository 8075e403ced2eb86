import { describe, expect, it } from 'vitest';
import { clock } from '../src/i18n/index.ts';
import { renderReply } from '../src/pipeline/render.ts';
import { parseCallback } from '../src/providers/omicall/callback.ts';
import { signTrackingId, verifyTrackingId } from '../src/records/tracking-id.ts';

const en = { lang: 'en', provider: 'OMICall' } as const;

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

describe('callback bodies', () => {
  it('accept an object or an array, numeric strings, any word_alignment', () => {
    const parsed = parseCallback(
      JSON.stringify([
        { tracking_id: 'a', from: '1.5', to: '2', text: ' hi ', word_alignment: '[]' },
        { tracking_id: 'a', from: 3, text: 'no to', word_alignment: [{ w: 1 }] },
        { analyst_results: [] },
        { tracking_id: 'a', from: 'soon', text: 'bad time' },
      ]),
    );
    expect(parsed).toEqual({
      ok: true,
      ignored: 2,
      deliveries: [
        { trackingId: 'a', segment: { from: 1.5, to: 2, text: 'hi' } },
        { trackingId: 'a', segment: { from: 3, to: 3, text: 'no to' } },
      ],
    });
    expect(parseCallback('{"tracking_id":"a","from":0,"to":1,"text":"x"}')).toMatchObject({
      ok: true,
      deliveries: [{ segment: { text: 'x' } }],
    });
    expect(parseCallback('')).toMatchObject({ ok: false });
    expect(parseCallback('{')).toMatchObject({ ok: false });
  });
});

describe('tracking ids', () => {
  it('round-trip with the time they were issued, and refuse tampering', () => {
    const ref = { channel: 'C0123', ts: '1712345678.000100', threadTs: '1712345000.000200', fileId: 'F0456' };
    const id = signTrackingId(ref, 1712345678, 'key');
    expect(id).toMatch(/^C0123_1712345678\.000100_F0456_1712345000\.000200_[0-9a-z]+_[0-9a-f]{24}$/);
    expect(verifyTrackingId(id, 'key')).toEqual({ ref, issuedAt: 1712345678 });
    expect(verifyTrackingId(id, 'other')).toBeUndefined();
    expect(verifyTrackingId(id.replace('F0456', 'F0457'), 'key')).toBeUndefined();
    const later = signTrackingId(ref, 1712999999, 'key');
    expect(
      verifyTrackingId(later.replace(/_([0-9a-z]+)_([0-9a-f]{24})$/, `_${(1712345678).toString(36)}_$2`), 'key'),
    ).toBeUndefined();
    expect(verifyTrackingId(signTrackingId({ ...ref, threadTs: undefined }, 1712345678, 'key'), 'key')?.ref).toEqual({
      channel: 'C0123',
      ts: ref.ts,
      fileId: 'F0456',
    });
  });
});
