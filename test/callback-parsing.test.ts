/**
 * How an OMICall callback body is read, without the app: its segments, their times, and the timed words of
 * word_alignment.
 */
import { describe, expect, it } from 'vitest';
import { parseCallback } from '../src/providers/omicall/callback.ts';
import { MAX_WORDS, parseWordAlignment } from '../src/providers/omicall/words.ts';

describe('a callback body', () => {
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

describe("OMICall's callback body", () => {
  it('keeps the timed words of word_alignment with the segment', () => {
    const parsed = parseCallback(
      JSON.stringify({
        tracking_id: 'T1',
        from: 0,
        to: 1,
        text: 'xin chào',
        word_alignment: [
          { word: 'xin', from: 0, to: 0.4 },
          { word: 'chào', from: 0.4, to: 1 },
        ],
      }),
    );
    expect(parsed.ok && parsed.deliveries[0].segment.words?.map((w) => w.text)).toEqual(['xin', 'chào']);
  });
});

describe("OMICall's word_alignment", () => {
  it('is read from an array or a JSON string of one, under any of the usual keys', () => {
    const expected = [
      { text: 'xin', from: 1, to: 1.2 },
      { text: 'chào', from: 1.2, to: 1.5 },
    ];
    expect(
      parseWordAlignment([
        { word: 'xin', from: 1, to: 1.2 },
        { word: 'chào', from: 1.2, to: 1.5 },
      ]),
    ).toEqual(expected);
    expect(parseWordAlignment('[{"text":"xin","start":"1","end":"1.2"},{"w":"chào","s":1.2,"e":"1.5"}]')).toEqual(
      expected,
    );
    expect(parseWordAlignment(JSON.stringify(JSON.stringify([{ word: 'xin', from: 1, to: 1.2 }])))).toEqual([
      expected[0],
    ]);
  });

  it('skips items it does not understand', () => {
    expect(
      parseWordAlignment([
        null,
        'xin',
        ['xin', 1, 2],
        { word: '', from: 0, to: 1 },
        { word: 'no-end', from: 0 },
        { word: 'backwards', from: 2, to: 1 },
        { word: 'negative', from: -1, to: 1 },
        { word: 'nan', from: 'abc', to: 1 },
        { word: { nested: true }, text: 'ok', from: 0, to: 0.5 },
        { word: 'good', from: '0.5', to: 0.9 },
      ]),
    ).toEqual([
      { text: 'ok', from: 0, to: 0.5 },
      { text: 'good', from: 0.5, to: 0.9 },
    ]);
  });

  it('is undefined when there is nothing to read, and never throws', () => {
    for (const value of [undefined, null, '', '[]', 'not json', '{"word":"x"}', 42, {}, [], [{ w: 1 }], '[1,2]']) {
      expect(parseWordAlignment(value)).toBeUndefined();
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(parseWordAlignment([cyclic])).toBeUndefined();
  });

  it('keeps at most MAX_WORDS words', () => {
    const many = Array.from({ length: MAX_WORDS + 500 }, (_, i) => ({ word: `w${i}`, from: i, to: i + 0.5 }));
    expect(parseWordAlignment(many)).toHaveLength(MAX_WORDS);
    expect(parseWordAlignment(JSON.stringify(many))).toHaveLength(MAX_WORDS);
  });
});
