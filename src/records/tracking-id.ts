import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where a transcript belongs: everything needed to post it, carried in the ID OMICall hands back. */
export interface MemoRef {
  channel: string;
  /** ts of the message that shared the file. */
  ts: string;
  /** ts of the thread the message is in, when it is a reply in a thread. */
  threadTs?: string;
  fileId: string;
}

const SIGNATURE_HEX = 24;
const FORMAT = /^([A-Z0-9]+)_(\d+\.\d+)_([A-Z0-9]+)_(\d+\.\d+|-)_([0-9a-f]{24})$/;

/**
 * `C123_1712345678.000100_F456_-_<hmac>`: channel, message ts, file, thread ts ("-" when none), signature.
 * The HMAC lets the webhook tell, with no stored state, that this app issued the ID.
 */
export function signTrackingId(ref: MemoRef, key: string): string {
  const body = `${ref.channel}_${ref.ts}_${ref.fileId}_${ref.threadTs && ref.threadTs !== ref.ts ? ref.threadTs : '-'}`;
  return `${body}_${sign(body, key)}`;
}

/** The reference a tracking ID carries, or undefined when this app did not issue it. */
export function verifyTrackingId(id: unknown, key: string): MemoRef | undefined {
  if (typeof id !== 'string') return undefined;
  const m = FORMAT.exec(id);
  if (!m) return undefined;
  const [, channel, ts, fileId, threadTs, signature] = m;
  const body = id.slice(0, id.length - SIGNATURE_HEX - 1);
  const expected = Buffer.from(sign(body, key));
  if (!timingSafeEqual(expected, Buffer.from(signature))) return undefined;
  return { channel, ts, fileId, ...(threadTs === '-' ? {} : { threadTs }) };
}

/** The ts to reply under: the thread the memo was shared in, else the memo itself. */
export function replyThreadTs(ref: MemoRef): string {
  return ref.threadTs ?? ref.ts;
}

function sign(body: string, key: string): string {
  return createHmac('sha256', key).update(body).digest('hex').slice(0, SIGNATURE_HEX);
}
