import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MemoId } from '../store/keys.ts';

/** Where a transcript belongs: everything needed to post it, carried in the ID the provider hands back. */
export interface MemoRef extends MemoId {
  /** The workspace whose installation and provider key serve the memo (`T…`, or `E…` for an org install). */
  workspace: string;
  /** ts of the thread the message is in, when it is a reply in a thread. */
  threadTs?: string;
}

/** What a valid tracking ID says. */
export interface TrackingInfo {
  ref: MemoRef;
  /** When this transcription was asked for, in epoch seconds. */
  issuedAt: number;
}

const SIGNATURE_HEX = 24;
/** Workspace, channel, message ts, file, thread ts or "-", time (base 36 seconds), signature. */
const FORM = /^([TE][A-Z0-9]+)_([A-Z0-9]+)_(\d+\.\d+)_([A-Z0-9]+)_(\d+\.\d+|-)_([0-9a-z]{1,10})_([0-9a-f]{24})$/;
const MAX_LENGTH = 200;

/**
 * `T0123_C0456_1712345678.000100_F0789_-_sfz3k0_<hmac>`: workspace, channel, message ts, file, thread ts ("-" when
 * none), the time the transcription was asked for (base 36 seconds), signature. The HMAC lets the webhook tell, with
 * no stored state, that this app issued the ID, for which workspace and when, so a leaked ID stops working after a
 * while and can never write into another workspace's threads.
 *
 * Automatic transcription uses the message's own ts as the time, so that Slack's retries and the same event on
 * two instances give the same ID (the queue's job ID); asking again gives a new one.
 */
export function signTrackingId(ref: MemoRef, issuedAt: number, key: string): string {
  const thread = ref.threadTs && ref.threadTs !== ref.ts ? ref.threadTs : '-';
  const body = [ref.workspace, ref.channel, ref.ts, ref.fileId, thread, Math.floor(issuedAt).toString(36)].join('_');
  return `${body}_${sign(body, key)}`;
}

/** What a tracking ID carries, or undefined when this app did not issue it. */
export function verifyTrackingId(id: unknown, key: string): TrackingInfo | undefined {
  if (typeof id !== 'string' || id.length > MAX_LENGTH) return undefined;
  const m = FORM.exec(id);
  if (!m) return undefined;
  const [, workspace, channel, ts, fileId, threadTs, issued, signature] = m;
  const body = id.slice(0, id.length - SIGNATURE_HEX - 1);
  if (!timingSafeEqual(Buffer.from(sign(body, key)), Buffer.from(signature))) return undefined;
  return {
    ref: { workspace, channel, ts, fileId, ...(threadTs === '-' ? {} : { threadTs }) },
    issuedAt: Number.parseInt(issued, 36),
  };
}

/** The ts to reply under: the thread the memo was shared in, else the memo itself. */
export function replyThreadTs(ref: Pick<MemoRef, 'ts' | 'threadTs'>): string {
  return ref.threadTs ?? ref.ts;
}

/** A Slack ts ("1712345678.000100") as epoch seconds. */
export function tsSeconds(ts: string): number {
  return Math.floor(Number(ts));
}

/** The memo's identity, whatever the attempt: one claim, one thread reply. */
export function memoLabel(ref: MemoRef): string {
  return `${ref.workspace}/${ref.channel}/${ref.ts}/${ref.fileId}`;
}

function sign(body: string, key: string): string {
  return createHmac('sha256', key).update(body).digest('hex').slice(0, SIGNATURE_HEX);
}
