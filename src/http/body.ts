import type { IncomingMessage } from 'node:http';
import { isSoleView, release } from '../buffers.ts';

/** How a body read ended: its bytes, or why there are none (the status to answer with, and a word for the logs). */
export type BodyRead =
  | { ok: true; body: Buffer }
  | { ok: false; status: 400; error: 'unreadable body' }
  | { ok: false; status: 408; error: 'body too slow' }
  | { ok: false; status: 413; error: 'body too large' }
  | { ok: false; status: 503; error: 'busy' };

export type BodyRefusal = Exclude<BodyRead, { ok: true }>;

export interface ReadOptions {
  /** The most bytes the body may have; one more and the read stops (413). */
  limit: number;
  /** The whole body must have arrived within this, from the start of the read; else the read stops (408). */
  deadlineMs: number;
  /** Sees each chunk as it arrives (a signature computed on the way). */
  onChunk?: (chunk: Buffer) => void;
}

/**
 * Reads a request's body within its limits of size and time. A read that stops early leaves the rest of the body
 * unread: the caller answers, and closes the connection (`refuse` in server.ts). The memory of the chunks read is
 * released at once when the body is refused, so that what an attacker sends costs nothing after the answer.
 */
export function readBody(req: IncomingMessage, options: ReadOptions): Promise<BodyRead> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (result.ok) return resolve(result);
      req.pause();
      // Stryker disable next-line ConditionalExpression: memory only: Node copies each body chunk into memory of its own (always a sole view), and releasing it or not changes nothing a caller sees
      for (const c of chunks) if (isSoleView(c)) release(c);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.limit) {
        chunks.push(chunk);
        return finish({ ok: false, status: 413, error: 'body too large' });
      }
      options.onChunk?.(chunk);
      chunks.push(chunk);
    };
    const onEnd = () => {
      const body = Buffer.concat(chunks);
      // Stryker disable next-line ConditionalExpression: memory only, as above
      for (const c of chunks) if (isSoleView(c)) release(c);
      chunks.length = 0;
      finish({ ok: true, body });
    };
    const onError = () => finish({ ok: false, status: 400, error: 'unreadable body' });
    const onClose = () => finish({ ok: false, status: 400, error: 'unreadable body' });
    const timer = setTimeout(() => finish({ ok: false, status: 408, error: 'body too slow' }), options.deadlineMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
