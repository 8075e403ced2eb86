import type { types } from '@slack/bolt';
import { inSpokenOrder, type Segment } from '../records/segments.ts';

export interface SlackMessage {
  /** Plain text: notifications, search, and clients that cannot show blocks. */
  text: string;
  blocks: types.KnownBlock[];
}

export type ReplyState =
  | { kind: 'working' }
  | { kind: 'waiting' }
  | { kind: 'transcript'; segments: Segment[] }
  | { kind: 'failed'; reason: string };

/** Slack's limits, with room to spare (msg_blocks_too_long has been seen around 13k characters). */
export const LIMITS = { sectionChars: 2900, messageChars: 11_000, blocksPerMessage: 45 } as const;

/** 75.4 -> "1:15", 3725 -> "1:02:05". */
export function clock(seconds: number): string {
  const total = Math.floor(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The thread reply (or replies, when the transcript outgrows one message) for one audio file.
 * Every message fits Slack's limits on text, section and block sizes.
 */
export function renderReply(fileName: string, state: ReplyState): SlackMessage[] {
  const name = escapeMrkdwn(fileName);
  switch (state.kind) {
    case 'working':
      return [statusMessage(`:hourglass_flowing_sand: Transcribing *${name}*…`, `Transcribing ${fileName}…`)];
    case 'waiting':
      return [
        statusMessage(
          `:hourglass_flowing_sand: *${name}* was sent to OMICall; the transcript will appear here.`,
          `${fileName} was sent to OMICall; the transcript will appear here.`,
        ),
      ];
    case 'failed':
      return [
        statusMessage(
          `:warning: Could not transcribe *${name}*: ${escapeMrkdwn(state.reason)}`,
          `Could not transcribe ${fileName}: ${state.reason}`,
        ),
      ];
    case 'transcript':
      return transcriptMessages(fileName, state.segments);
  }
}

function statusMessage(mrkdwn: string, text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }] };
}

interface Line {
  mrkdwn: string;
  plain: string;
}

function transcriptMessages(fileName: string, segments: Segment[]): SlackMessage[] {
  const lines = inSpokenOrder(segments)
    .filter((s) => s.text !== '')
    .flatMap((s) =>
      splitEscaped(s.text, LIMITS.sectionChars - 20).map((piece) => ({
        mrkdwn: `\`${clock(s.from)}\`  ${piece.escaped}`,
        plain: `[${clock(s.from)}] ${piece.plain}`,
      })),
    );
  const pages = paginate(lines);
  return pages.map((sections, i) => {
    const header =
      i === 0
        ? `:memo: Transcript of *${escapeMrkdwn(fileName)}*${pages.length > 1 ? ` (part 1 of ${pages.length})` : ''}`
        : `:memo: *${escapeMrkdwn(fileName)}*, continued (part ${i + 1} of ${pages.length})`;
    const blocks: types.KnownBlock[] = [
      { type: 'context', elements: [{ type: 'mrkdwn', text: header }] },
      ...sections.map(
        (s): types.KnownBlock => ({
          type: 'section',
          text: { type: 'mrkdwn', text: s.map((l) => l.mrkdwn).join('\n') },
        }),
      ),
    ];
    const plainHeader = i === 0 ? `Transcript of ${fileName}` : `${fileName}, continued`;
    return { text: [plainHeader, ...sections.flat().map((l) => l.plain)].join('\n'), blocks };
  });
}

/** Groups lines into sections, and sections into messages, within LIMITS. */
function paginate(lines: Line[]): Line[][][] {
  const pages: Line[][][] = [];
  let page: Line[][] = [];
  let pageChars = 0;
  let section: Line[] = [];
  let sectionChars = 0;
  const closeSection = () => {
    if (section.length === 0) return;
    page.push(section);
    pageChars += sectionChars;
    section = [];
    sectionChars = 0;
  };
  const closePage = () => {
    closeSection();
    if (page.length > 0) pages.push(page);
    page = [];
    pageChars = 0;
  };
  for (const line of lines) {
    const size = line.mrkdwn.length + 1;
    if (sectionChars + size > LIMITS.sectionChars) closeSection();
    if (
      pageChars + sectionChars + size > LIMITS.messageChars ||
      (section.length === 0 && page.length >= LIMITS.blocksPerMessage)
    ) {
      closePage();
    }
    section.push(line);
    sectionChars += size;
  }
  closePage();
  return pages.length > 0 ? pages : [[]];
}

/** Pieces of text whose escaped form fits in max characters (escaping can make text up to 5x longer). */
function splitEscaped(text: string, max: number, chunk = max): { plain: string; escaped: string }[] {
  return splitLongText(text, chunk).flatMap((plain) => {
    const escaped = escapeMrkdwn(plain);
    return escaped.length <= max ? [{ plain, escaped }] : splitEscaped(plain, max, Math.floor(chunk / 2));
  });
}

/** Splits text longer than max at spaces (or hard, when a word is longer than max). */
export function splitLongText(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(' ', max);
    const at = cut > max / 2 ? cut : max;
    pieces.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  pieces.push(rest);
  return pieces;
}
