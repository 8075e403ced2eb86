/** The transcript files people download (.txt, .srt, .vtt) and the cues they are cut into. */
import { describe, expect, it } from 'vitest';
import { CUE_LIMITS, toCues } from '../src/outputs/cues.ts';
import {
  OUTPUT_FORMATS,
  type OutputFormat,
  outputFileName,
  outputFormat,
  type TimedText,
  type TimedWord,
  type TranscriptDoc,
} from '../src/outputs/index.ts';

function format(id: string): OutputFormat {
  const found = outputFormat(id);
  if (!found) throw new Error(`no format ${id}`);
  return found;
}

const render = (id: string, segments: readonly TimedText[], extra: Partial<TranscriptDoc> = {}): string =>
  format(id).render({ fileName: 'memo.m4a', segments, ...extra });

interface ParsedCue {
  index?: number;
  fromMs: number;
  toMs: number;
  lines: string[];
}

const SRT_TIME = /^(\d{2,}):([0-5]\d):([0-5]\d),(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d),(\d{3})$/;
const VTT_TIME = /^(\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3}) --> (\d{2,}):([0-5]\d):([0-5]\d)\.(\d{3})$/;

function ms(h: string, m: string, s: string, milli: string): number {
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(milli);
}

/** A strict SubRip reader: number line, time line, 1-2 text lines, a blank line between cues. */
function parseSrt(text: string): ParsedCue[] {
  expect(text.endsWith('\n')).toBe(true);
  expect(text).not.toMatch(/\r|\n\n\n/);
  return text
    .slice(0, -1)
    .split('\n\n')
    .map((block) => {
      const [number, times, ...lines] = block.split('\n');
      expect(number).toMatch(/^\d+$/);
      const t = SRT_TIME.exec(times ?? '');
      if (!t) throw new Error(`bad SRT time line: ${times}`);
      for (const line of lines) expect(line).not.toContain('-->');
      return {
        index: Number(number),
        fromMs: ms(t[1], t[2], t[3], t[4]),
        toMs: ms(t[5], t[6], t[7], t[8]),
        lines,
      };
    });
}

/**
 * A strict WebVTT reader for what the app writes: header, blank line, cues of a time line and 1-2 lines of
 * text, which has no `-->` and no `&`, `<` or `>` but in the entities it decodes.
 */
function parseVtt(text: string): ParsedCue[] {
  expect(text.startsWith('WEBVTT\n\n') || text === 'WEBVTT\n').toBe(true);
  const body = text.slice('WEBVTT\n\n'.length);
  if (body === '') return [];
  expect(body.endsWith('\n')).toBe(true);
  return body
    .slice(0, -1)
    .split('\n\n')
    .map((block) => {
      const [times, ...lines] = block.split('\n');
      const t = VTT_TIME.exec(times ?? '');
      if (!t) throw new Error(`bad VTT time line: ${times}`);
      for (const line of lines) {
        expect(line).not.toContain('-->');
        expect(line.replace(/&(amp|lt|gt);/g, '')).not.toMatch(/[&<>]/);
      }
      const decoded = lines.map((l) => l.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
      return { fromMs: ms(t[1], t[2], t[3], t[4]), toMs: ms(t[5], t[6], t[7], t[8]), lines: decoded };
    });
}

/** What a player needs: numbered from 1, times moving forward, every cue shown for some time, short lines. */
function expectWellFormed(cues: ParsedCue[]): void {
  cues.forEach((cue, i) => {
    if (cue.index !== undefined) expect(cue.index).toBe(i + 1);
    expect(cue.toMs).toBeGreaterThan(cue.fromMs);
    const previous = cues[i - 1];
    if (previous) {
      expect(cue.fromMs).toBeGreaterThan(previous.fromMs);
      expect(cue.fromMs).toBeGreaterThanOrEqual(previous.toMs);
    }
    expect(cue.lines.length).toBeGreaterThanOrEqual(1);
    expect(cue.lines.length).toBeLessThanOrEqual(CUE_LIMITS.maxLines);
    for (const line of cue.lines) {
      expect(line.trim()).not.toBe('');
      expect([...line].length).toBeLessThanOrEqual(CUE_LIMITS.lineChars);
    }
  });
}

const joined = (cues: ParsedCue[]) => cues.map((c) => c.lines.join(' ')).join(' ');

/** Words of a sentence, each `step` seconds long, starting at `from`. */
function timedWords(sentence: string, from: number, step: number): TimedWord[] {
  return sentence.split(' ').map((text, i) => ({ text, from: from + i * step, to: from + (i + 1) * step - 0.05 }));
}

const SENTENCE =
  'Chào cả nhà, mình vừa gặp khách hàng xong và họ đồng ý ký hợp đồng vào thứ Hai tuần sau, ' +
  'nhưng muốn xem lại điều khoản thanh toán trước khi gửi bản cuối cùng cho phòng pháp chế.';

describe('the format registry', () => {
  it('has .txt, .srt and .vtt, found by id', () => {
    expect(OUTPUT_FORMATS.map((f) => [f.id, f.label, f.extension, f.mimetype])).toEqual([
      ['txt', '.txt', 'txt', 'text/plain'],
      ['srt', '.srt', 'srt', 'application/x-subrip'],
      ['vtt', '.vtt', 'vtt', 'text/vtt'],
    ]);
    expect(outputFormat('srt')?.label).toBe('.srt');
    expect(outputFormat('pdf')).toBeUndefined();
    expect(outputFormat('')).toBeUndefined();
  });

  it('names files after the memo', () => {
    const srt = format('srt');
    const name = (fileName: string, f: OutputFormat = srt) => outputFileName({ fileName }, f);
    expect(name('memo.m4a')).toBe('memo.srt');
    expect(name('audio_message.webm', format('txt'))).toBe('audio_message.txt');
    expect(name('memo', format('vtt'))).toBe('memo.vtt');
    expect(name('Ghi âm cuộc họp.mp3')).toBe('Ghi âm cuộc họp.srt');
    expect(name('Meeting 10.30')).toBe('Meeting 10.30.srt');
    expect(name('Screen Recording 2024-05-01 at 10.00.00.mov')).toBe('Screen Recording 2024-05-01 at 10.00.00.srt');
    expect(name('../etc/pass:wd*?"<x>|.wav')).toBe('_etc_pass_wd____x__.srt');
    expect(name('tab\there\nnewline.m4a')).toBe('tab_here_newline.srt');
    expect(name('.m4a')).toBe('transcript.srt');
    expect(name('   ')).toBe('transcript.srt');
    expect(name(`${'dài '.repeat(80)}.m4a`).length).toBeLessThanOrEqual(104);
  });
});

describe('.txt', () => {
  it('has a title line with the name and length, a blank line, then [m:ss] lines in spoken order', () => {
    const text = render(
      'txt',
      [
        { from: 12.7, to: 20, text: 'Họ đồng ý ký hợp đồng.' },
        { from: 0, to: 12, text: '  Chào cả nhà,\n mình vừa gặp khách hàng xong. ' },
        { from: 30, to: 31, text: '   ' },
      ],
      { durationSeconds: 42.4 },
    );
    expect(text).toBe(
      'memo.m4a · 0:42\n\n[0:00] Chào cả nhà, mình vừa gặp khách hàng xong.\n[0:12] Họ đồng ý ký hợp đồng.\n',
    );
  });

  it('leaves the length out when it is not known, and shows h:mm:ss past an hour', () => {
    const text = render('txt', [
      { from: 59 * 60 + 59.9, to: 3600.5, text: 'trước một giờ' },
      { from: 3725.5, to: 3730, text: 'sau một giờ' },
      { from: 100 * 3600 + 2.345, to: 100 * 3600 + 4, text: 'một trăm giờ' },
    ]);
    expect(text.split('\n')).toEqual([
      'memo.m4a',
      '',
      '[59:59] trước một giờ',
      '[1:02:05] sau một giờ',
      '[100:00:02] một trăm giờ',
      '',
    ]);
  });
});

describe('.srt', () => {
  it('numbers cues from 1 with 00:00:00,000 times and a blank line between them', () => {
    const text = render('srt', [
      { from: 3, to: 5, text: 'Họ đồng ý.' },
      { from: 0, to: 2.5, text: 'Chào cả nhà.' },
      { from: 2.6, to: 2.9, text: '' },
    ]);
    expect(text).toBe(
      '1\n00:00:00,000 --> 00:00:02,500\nChào cả nhà.\n\n2\n00:00:03,000 --> 00:00:05,000\nHọ đồng ý.\n',
    );
    expectWellFormed(parseSrt(text));
  });

  it('formats hours, past 99 too', () => {
    const cues = parseSrt(
      render('srt', [
        { from: 3725.5, to: 3727, text: 'một giờ' },
        { from: 100 * 3600 + 2.345, to: 100 * 3600 + 4, text: 'một trăm giờ' },
      ]),
    );
    expect(render('srt', [{ from: 3725.5, to: 3727, text: 'x' }])).toContain('01:02:05,500 --> 01:02:07,000');
    expect(render('srt', [{ from: 360_002.345, to: 360_004, text: 'x' }])).toContain('100:00:02,345 --> 100:00:04,000');
    expectWellFormed(cues);
  });

  it('keeps times moving forward when segments overlap, start together, or have no end', () => {
    const text = render('srt', [
      { from: 0, to: 4, text: 'một' },
      { from: 3, to: 6, text: 'hai' },
      { from: 3, to: 5, text: 'ba' },
      { from: 10, to: 10, text: 'không có thời điểm kết thúc' },
      { from: 11, to: 9, text: 'kết thúc trước khi bắt đầu' },
      { from: Number.NaN, to: 1, text: 'không có thời điểm' },
    ]);
    const cues = parseSrt(text);
    expectWellFormed(cues);
    expect(text).not.toContain('NaN');
    expect(cues.map((c) => c.lines.join(' '))).toEqual([
      'một',
      'hai',
      'ba',
      'không có thời điểm kết thúc',
      'kết thúc trước khi bắt đầu',
    ]);
    expect(cues[0]).toMatchObject({ fromMs: 0, toMs: 3000 });
    expect(cues[1]).toMatchObject({ fromMs: 3000, toMs: 3001 });
    expect(cues[2]).toMatchObject({ fromMs: 3001, toMs: 5000 });
    // No end: shown as long as it takes to read (at least a second), until the next segment starts.
    expect(cues[3]).toMatchObject({ fromMs: 10_000, toMs: 11_000 });
    expect(cues[4]?.toMs).toBeGreaterThanOrEqual(12_000);
  });

  it('never lets an arrow in speech look like a time line', () => {
    const text = render('srt', [{ from: 0, to: 2, text: 'A --> B' }]);
    expect(text).toBe('1\n00:00:00,000 --> 00:00:02,000\nA -> B\n');
  });

  it('is one whole file for 1,200 segments', () => {
    const segments = Array.from({ length: 1250 }, (_, i) => ({
      from: i * 4,
      to: i * 4 + 3.5,
      text: `Đoạn ${i + 1}: chúng tôi đã thảo luận về kế hoạch.`,
    }));
    const started = performance.now();
    const cues = parseSrt(render('srt', segments));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(cues).toHaveLength(1250);
    expectWellFormed(cues);
    expect(cues[1249]).toEqual({
      index: 1250,
      fromMs: 4996_000,
      toMs: 4999_500,
      lines: ['Đoạn 1250: chúng tôi đã', 'thảo luận về kế hoạch.'],
    });
  });

  it('stays well formed for a messy transcript', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const vocabulary = SENTENCE.split(' ');
    const segments = Array.from({ length: 400 }, () => {
      const from = Math.round(random() * 3000 * 1000) / 1000;
      const n = 1 + Math.floor(random() * 60);
      const text = Array.from({ length: n }, () => vocabulary[Math.floor(random() * vocabulary.length)]).join(' ');
      const to = random() < 0.1 ? from : from + random() * 25;
      const words = random() < 0.5 ? timedWords(text, from, (to - from) / n || 0.3) : undefined;
      return { from, to, text, words };
    });
    expectWellFormed(parseSrt(render('srt', segments)));
    expectWellFormed(parseVtt(render('vtt', segments)));
  });
});

describe('long segments', () => {
  const words = timedWords(SENTENCE, 10, 0.55);
  const segment = { from: 10, to: words[words.length - 1]?.to ?? 0, text: SENTENCE, words };

  it('are split at word boundaries by OMICall word times, within ~7 s and 84 characters', () => {
    expect(segment.to - segment.from).toBeGreaterThan(20);
    const cues = parseSrt(render('srt', [segment]));
    expectWellFormed(cues);
    expect(cues.length).toBeGreaterThanOrEqual(3);
    expect(joined(cues)).toBe(SENTENCE);
    let next = 0;
    for (const cue of cues) {
      expect(cue.toMs - cue.fromMs).toBeLessThanOrEqual(CUE_LIMITS.maxSeconds * 1000);
      expect(cue.lines.join(' ').length).toBeLessThanOrEqual(CUE_LIMITS.maxChars);
      // Each cue starts when its first word is said and ends when its last word ends.
      const count = cue.lines.join(' ').split(' ').length;
      const first = words[next];
      const last = words[next + count - 1];
      expect(cue.fromMs).toBe(Math.round((first?.from ?? -1) * 1000));
      expect(cue.toMs).toBe(Math.round((last?.to ?? -1) * 1000));
      next += count;
    }
    expect(next).toBe(words.length);
  });

  it('take word times counted from the segment start as well', () => {
    const relative = words.map((w) => ({ ...w, from: w.from - 10, to: w.to - 10 }));
    const shifted = { ...segment, from: 110, to: segment.to + 100, words: relative };
    const cues = parseSrt(render('srt', [shifted]));
    const absolute = parseSrt(render('srt', [segment]));
    expect(cues.map((c) => [c.fromMs - 100_000, c.toMs - 100_000, c.lines])).toEqual(
      absolute.map((c) => [c.fromMs, c.toMs, c.lines]),
    );
  });

  it('are split by characters when they are quick but long', () => {
    const quick = timedWords(SENTENCE, 0, 0.1);
    const cues = parseSrt(render('srt', [{ from: 0, to: 4, text: SENTENCE, words: quick }]));
    expectWellFormed(cues);
    expect(cues.length).toBe(3);
    expect(joined(cues)).toBe(SENTENCE);
  });

  it('keep the text punctuation when OMICall times the same words, else show its words', () => {
    const bare = words.map((w) => ({ ...w, text: w.text.replace(/[,.]/g, '').toLowerCase() }));
    expect(joined(parseSrt(render('srt', [{ ...segment, words: bare }])))).toBe(SENTENCE);
    const fewer = bare.slice(0, -1);
    expect(joined(parseSrt(render('srt', [{ ...segment, words: fewer }])))).toBe(fewer.map((w) => w.text).join(' '));
  });

  it('without word times are split at spaces, timed by their share of the characters', () => {
    const cues = parseSrt(render('srt', [{ from: 100, to: 130, text: SENTENCE }]));
    expectWellFormed(cues);
    expect(cues.length).toBeGreaterThanOrEqual(5);
    expect(joined(cues)).toBe(SENTENCE);
    expect(cues[0]?.fromMs).toBe(100_000);
    expect(cues[cues.length - 1]?.toMs).toBe(130_000);
    const total = [...SENTENCE].length;
    let before = 0;
    for (const cue of cues) {
      const text = cue.lines.join(' ');
      expect(cue.toMs - cue.fromMs).toBeLessThanOrEqual(CUE_LIMITS.maxSeconds * 1000);
      expect(cue.fromMs).toBe(Math.round((100 + (30 * before) / total) * 1000));
      before += [...text].length + 1;
    }
  });

  it('with untrustworthy word times fall back to the characters', () => {
    const far = words.map((w) => ({ ...w, from: w.from + 500, to: w.to + 500 }));
    const cues = parseSrt(render('srt', [{ from: 100, to: 130, text: SENTENCE, words: far }]));
    expect(cues[0]?.fromMs).toBe(100_000);
    expect(cues[cues.length - 1]?.toMs).toBe(130_000);
  });

  it('wrap a word longer than a line', () => {
    const url = `https://example.com/${'a'.repeat(90)}`;
    const cues = parseSrt(render('srt', [{ from: 0, to: 3, text: `xem ${url} nhé` }]));
    expectWellFormed(cues);
    expect(
      cues
        .flatMap((c) => c.lines)
        .join('')
        .replace(/ /g, ''),
    ).toBe(`xem${url}nhé`);
  });

  it('become cues of at most two balanced lines', () => {
    const cues = toCues([{ from: 0, to: 6, text: 'một hai ba bốn năm sáu bảy tám chín mười mười một mười hai' }]);
    expect(cues).toEqual([
      { fromMs: 0, toMs: 6000, lines: ['một hai ba bốn năm sáu bảy tám', 'chín mười mười một mười hai'] },
    ]);
  });
});

describe('.vtt', () => {
  it('starts with WEBVTT and writes 00:00:00.000 times', () => {
    const text = render('vtt', [
      { from: 1.25, to: 2, text: 'Xin chào' },
      { from: 3725.5, to: 3727, text: 'một giờ' },
      { from: 360_002.345, to: 360_004, text: 'một trăm giờ' },
    ]);
    expect(text).toBe(
      'WEBVTT\n\n00:00:01.250 --> 00:00:02.000\nXin chào\n\n01:02:05.500 --> 01:02:07.000\nmột giờ\n\n' +
        '100:00:02.345 --> 100:00:04.000\nmột trăm giờ\n',
    );
    expectWellFormed(parseVtt(text));
  });

  it('escapes &, < and >, so no --> is left in cue text', () => {
    const text = render('vtt', [{ from: 0, to: 3, text: 'a < b && c > d --> e <i>' }]);
    expect(text).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:03.000\na &lt; b &amp;&amp; c &gt; d --&gt; e &lt;i&gt;\n');
    expectWellFormed(parseVtt(text));
  });

  it('is a header alone for an empty transcript', () => {
    expect(render('vtt', [])).toBe('WEBVTT\n');
    expect(render('srt', [{ from: 0, to: 1, text: ' ' }])).toBe('');
  });

  it('is one whole file for 1,200 segments', () => {
    const segments = Array.from({ length: 1200 }, (_, i) => ({ from: i * 3, to: i * 3 + 3, text: `câu ${i + 1}` }));
    const cues = parseVtt(render('vtt', segments));
    expect(cues).toHaveLength(1200);
    expectWellFormed(cues);
    expect(cues[1199]).toEqual({ fromMs: 3597_000, toMs: 3600_000, lines: ['câu 1200'] });
  });
});
