import type { types } from '@slack/bolt';
import { clock, type Lang, messages, minutes } from '../i18n/index.ts';
import { OUTPUT_FORMATS } from '../outputs/index.ts';
import type { Failure } from '../records/job.ts';
import { inSpokenOrder, type Segment } from '../records/segments.ts';
import { ACTIONS } from '../slack/ids.ts';
import { escapeMrkdwn } from '../slack/mrkdwn.ts';

export interface SlackMessage {
  /** The notification and search text; Slack reads it as mrkdwn too, so it is escaped like the blocks. */
  text: string;
  blocks: types.KnownBlock[];
}

/** What a file's thread reply shows. */
export type ReplyView =
  | { kind: 'queued' | 'sending' | 'waiting' }
  | { kind: 'failed'; failure: Failure }
  | { kind: 'timed_out'; waitedMinutes: number }
  | {
      kind: 'transcript';
      segments: Segment[];
      complete: boolean;
      durationSeconds?: number;
      /** The value the export buttons carry (the signed tracking ID). */
      exportValue?: string;
    };

export interface RenderContext {
  lang: Lang;
  /** The provider's name, as users read it. */
  provider: string;
}

/** Slack's limits, with room to spare (msg_blocks_too_long has been seen around 13k characters). */
export const LIMITS = { sectionChars: 2900, messageChars: 11_000, blocksPerMessage: 45 } as const;

/**
 * The thread reply (or replies, when the transcript outgrows one message) for one audio file, in the app's
 * language. Everything that comes from users or the provider is escaped, in the blocks and in the text.
 * Every message fits Slack's limits on text, section and block sizes.
 */
export function renderReply(fileName: string, view: ReplyView, ctx: RenderContext): SlackMessage[] {
  const t = messages(ctx.lang);
  const file = escapeMrkdwn(fileName);
  const provider = ctx.provider;
  switch (view.kind) {
    case 'queued':
      return [statusMessage(t.queued({ file }))];
    case 'sending':
      return [statusMessage(t.sending({ file, provider }))];
    case 'waiting':
      return [statusMessage(t.waiting({ file, provider }))];
    case 'timed_out':
      return [statusMessage(t.timedOut({ file, provider, waited: minutes(ctx.lang, view.waitedMinutes) }))];
    case 'failed':
      return [statusMessage(t.failed({ file, reason: t.failure(escapedFailure(view.failure, provider)) }))];
    case 'transcript':
      return transcriptMessages(file, view, ctx);
  }
}

function escapedFailure(failure: Failure, provider: string): Failure & { provider: string } {
  const escaped: Failure =
    failure.code === 'provider_refused' || failure.code === 'provider_unreachable'
      ? { ...failure, error: escapeMrkdwn(failure.error).replace(/`/g, "'") }
      : failure;
  return { ...escaped, provider };
}

function statusMessage(mrkdwn: string): SlackMessage {
  return { text: plainOf(mrkdwn), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: mrkdwn } }] };
}

/**
 * The `text` of a message: what notifications and search show. Emoji codes and bold marks are dropped; the
 * escaping stays, because Slack reads `text` as mrkdwn too (a `<!channel>` there would notify everyone).
 */
function plainOf(mrkdwn: string): string {
  // Stryker disable next-line Regex: every status and header starts with one emoji code and one space, so dropping `^` (replace takes the first match anyway) or `*` changes nothing
  return mrkdwn.replace(/^:[a-z0-9_+-]+:\s*/, '').replace(/\*/g, '');
}

interface Line {
  mrkdwn: string;
  plain: string;
}

function transcriptMessages(
  file: string,
  view: Extract<ReplyView, { kind: 'transcript' }>,
  ctx: RenderContext,
): SlackMessage[] {
  const t = messages(ctx.lang);
  const lines: Line[] = inSpokenOrder(view.segments)
    .filter((s) => s.text !== '')
    .flatMap((s) =>
      // Stryker disable next-line ArithmeticOperator: the 20 is margin inside our own 2,900 (Slack allows 3,000); +20 still fits every line in a section Slack accepts
      splitEscaped(s.text, LIMITS.sectionChars - 20).map((piece) => ({
        mrkdwn: `\`${clock(s.from)}\`  ${piece}`,
        plain: `[${clock(s.from)}] ${piece}`,
      })),
    );
  const pages = paginate(lines);
  const duration = view.durationSeconds !== undefined ? clock(view.durationSeconds) : undefined;
  return pages.map((sections, i) => {
    const last = i === pages.length - 1;
    const header =
      i === 0
        ? `${t.transcriptHeader({ file, duration })}${pages.length > 1 ? ` (${t.partOf({ part: 1, parts: pages.length })})` : ''}`
        : t.transcriptContinued({ file, part: i + 1, parts: pages.length });
    const blocks: types.KnownBlock[] = [
      { type: 'context', elements: [{ type: 'mrkdwn', text: header }] },
      ...sections.map(
        (s): types.KnownBlock => ({
          type: 'section',
          text: { type: 'mrkdwn', text: s.map((l) => l.mrkdwn).join('\n') },
        }),
      ),
    ];
    if (last) blocks.push(...footer(view, ctx));
    const body = sections.flat().map((l) => l.plain);
    return { text: [plainOf(header), ...body].join('\n'), blocks };
  });
}

/** Under the last part: whether more may come, and once complete, the export buttons. */
function footer(view: Extract<ReplyView, { kind: 'transcript' }>, ctx: RenderContext): types.KnownBlock[] {
  const t = messages(ctx.lang);
  if (!view.complete) return [{ type: 'context', elements: [{ type: 'mrkdwn', text: t.transcriptReceiving }] }];
  const done = view.exportValue ? `${t.transcriptComplete} ${t.exportPrompt}` : t.transcriptComplete;
  const blocks: types.KnownBlock[] = [{ type: 'context', elements: [{ type: 'mrkdwn', text: done }] }];
  if (view.exportValue) blocks.push(exportButtons(view.exportValue));
  return blocks;
}

/** A transcript's download buttons (one per output format), carrying its signed tracking ID. */
export function exportButtons(trackingId: string): types.KnownBlock {
  return {
    type: 'actions',
    block_id: 'export',
    elements: OUTPUT_FORMATS.map((f) => ({
      type: 'button',
      action_id: `${ACTIONS.exportPrefix}${f.id}`,
      text: { type: 'plain_text', text: f.label },
      value: trackingId,
    })),
  };
}

/** Groups lines into sections, and sections into messages, within LIMITS (with room for the footer). */
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
    // Stryker disable next-line ConditionalExpression,EqualityOperator: a page is only closed empty at the very end with no lines, and the result is then [[]] either way
    if (page.length > 0) pages.push(page);
    page = [];
    pageChars = 0;
  };
  for (const line of lines) {
    const size = line.mrkdwn.length + 1;
    // Stryker disable next-line EqualityOperator: a line exactly at our 2,900 limit moves to the next section or not; both are far inside Slack's 3,000
    if (sectionChars + size > LIMITS.sectionChars) closeSection();
    if (
      // Stryker disable next-line EqualityOperator: as above, one character inside our 11,000 (Slack refuses near 13,000)
      pageChars + sectionChars + size > LIMITS.messageChars ||
      // Stryker disable next-line ConditionalExpression,EqualityOperator: unreachable with these LIMITS (a section closes only when the next line does not fit, so two neighbours pass 2,900 together and 45 sections pass 11,000 first); kept as a guard should LIMITS change
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

/** Escaped pieces of text, each at most max characters (escaping can make text up to 5x longer). */
function splitEscaped(text: string, max: number, chunk = max): string[] {
  return splitAtSpaces(text, chunk).flatMap((plain) => {
    const escaped = escapeMrkdwn(plain);
    return escaped.length <= max ? [escaped] : splitEscaped(plain, max, Math.floor(chunk / 2));
  });
}

/** Splits text longer than max at spaces (or hard, when a word is longer than max). */
function splitAtSpaces(text: string, max: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const cut = rest.lastIndexOf(' ', max);
    // Stryker disable next-line EqualityOperator: a space exactly half-way is as good a cut as a hard one; both keep every character, in order
    const at = cut > max / 2 ? cut : max;
    pieces.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  pieces.push(rest);
  return pieces;
}
