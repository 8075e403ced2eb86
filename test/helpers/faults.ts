/**
 * Loaded into the app's process with `node --import` (test/http-hostile-requests.test.ts), never by the app: faults
 * no input can cause any more, to see what the process does with an error nothing caught.
 *
 * - A request with `x-test-fault: reject` or `throw`: when the app first writes its answer's head, the answer is
 *   held back and, in that request's async context, a promise is rejected (and never handled) or an exception thrown
 *   from a later turn of the event loop; the error's message quotes the OMICall key, as a careless one might.
 * - SIGUSR2: the same fault outside any request, as a timer of the pipeline would have it; `TEST_FAULT` says which.
 */
import { ServerResponse } from 'node:http';

const faulted = new WeakSet<ServerResponse>();
const fault = (kind: string, where: string) => {
  const error = new Error(`test fault ${where}, key ${process.env.OMICALL_API_KEY}`);
  if (kind === 'reject') void Promise.reject(error);
  if (kind === 'throw')
    setImmediate(() => {
      throw error;
    });
};

const writeHead = ServerResponse.prototype.writeHead;
ServerResponse.prototype.writeHead = function (this: ServerResponse, ...args: unknown[]) {
  const kind = this.req?.headers['x-test-fault'];
  if (typeof kind === 'string' && !faulted.has(this)) {
    faulted.add(this);
    fault(kind, 'in a request');
    // The answer's body is held back too (an `end()` would write a 200 head of its own).
    const end = this.end;
    this.end = function (this: ServerResponse) {
      this.end = end;
      return this;
    } as typeof end;
    return this;
  }
  return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
} as typeof writeHead;

process.on('SIGUSR2', () => fault(process.env.TEST_FAULT ?? 'throw', 'in the background'));
