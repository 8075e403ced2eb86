import { createHmac, timingSafeEqual } from 'node:crypto';

/** Where a transcript belongs: everything needed to post it, carried in the ID the provider hands back. */
export interface MemoRef {
  channel: string;
  /** ts of the message that shared the file. */
  ts: string;
  /** ts of the thread the message is in, when it is a reply in a thread. */
  threadTs?: string;
  fileId: string;
}

/** What a valid tracking ID says. */
export interface TrackingInfo {
  ref: MemoRef;
  /** When this transcription was asked for, in epoch seconds. */
  issuedAt: number;
}

const SIGNATURE_HEX = 24;

/**
 * `C123_1712345678.000100_F456_-_sfz3k0_<hmac>`: channel, message ts, file, thread ts ("-" when none), the time
 * the transcription was asked for (base 36 seconds), signature. The HMAC lets the webhook tell, with no stored
 * state, that this app issued the ID and when, so a leaked ID stops working after a while.
 *
 * Automatic transcription uses the message's own ts as the time, so that Slack's retries and the same event on
 * two instances give the same ID (the queue's job ID); asking again gives a new one.
 */
export function signTrackingId(ref: MemoRef, issuedAt: number, key: string): string {
  const thread = ref.threadTs && ref.threadTs !== ref.ts ? ref.threadTs : '-';
  const body = `${ref.channel}_${ref.ts}_${ref.fileId}_${thread}_${Math.floor(issuedAt).toString(36)}`;
  return `${body}_${sign(body, key)}`;
}

/** What a tracking ID carries, or undefined when this app did not issue it. */
export function verifyTrackingId(id: unknown, key: string): TrackingInfo | undefined {
  if (typeof id !== 'string' || id.length > 200) return undefined;
  // Channel, message ts, file, thread ts or "-", time, signature. (Built here rather than once per module: a
  // regular expression made at load time escapes StrykerJS' per-test mutant switching, so none of its mutants
  // could be killed.)
  const m = /^([A-Z0-9]+)_(\d+\.\d+)_([A-Z0-9]+)_(\d+\.\d+|-)_([0-9a-z]{1,10})_([0-9a-f]{24})$/.exec(id);
  if (!m) return undefined;
  const [, channel, ts, fileId, threadTs, issued, signature] = m;
  const body = id.slice(0, id.length - SIGNATURE_HEX - 1);
  if (!timingSafeEqual(Buffer.from(sign(body, key)), Buffer.from(signature))) return undefined;
  return {
    ref: { channel, ts, fileId, ...(threadTs === '-' ? {} : { threadTs }) },
    issuedAt: Number.parseInt(issued, 36),
  };
}

/** The identity of a shared file, whatever the attempt: one claim, one thread reply. */
export function memoKey(ref: Pick<MemoRef, 'channel' | 'ts' | 'fileId'>): string {
  return `${ref.channel}_${ref.ts}_${ref.fileId}`;
}

/** The ts to reply under: the thread the memo was shared in, else the memo itself. */
export function replyThreadTs(ref: MemoRef): string {
  return ref.threadTs ?? ref.ts;
}

/** A Slack ts ("1712345678.000100") as epoch seconds. */
export function tsSeconds(ts: string): number {
  return Math.floor(Number(ts));
}

function sign(body: string, key: string): string {
  return createHmac('sha256', key).update(body).digest('hex').slice(0, SIGNATURE_HEX);
}
