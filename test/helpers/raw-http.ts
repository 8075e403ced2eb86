import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RawOptions {
  /**
   * The address the connection comes from: any of 127.0.0.0/8 on Linux, so that one test can be many callers (the
   * server counts its body slots per address).
   */
  from?: string;
}

/** A raw HTTP/1.1 exchange: what was written is exactly what the server sees, a body may stay unsent. */
export class Raw {
  readonly socket: Socket;
  readonly response: Promise<RawResponse>;
  readonly closed: Promise<void>;
  /** When the connection closed (performance.now()), once it has. */
  closedAt: number | undefined;
  #data = Buffer.alloc(0);

  constructor(url: string, head: string, body: string | Buffer = '', options: RawOptions = {}) {
    const { port } = new URL(url);
    this.socket = connect({ port: Number(port), host: '127.0.0.1', localAddress: options.from });
    this.socket.on('error', () => {});
    this.socket.once('close', () => {
      this.closedAt = performance.now();
    });
    this.socket.write(head);
    if (body.length > 0) this.socket.write(body);
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.response = new Promise((resolve, reject) => {
      this.socket.on('data', (chunk: Buffer) => {
        this.#data = Buffer.concat([this.#data, chunk]);
        const parsed = parseResponse(this.#data);
        if (parsed) resolve(parsed);
      });
      this.socket.once('close', () => reject(new Error(`closed without an answer: ${this.#data.toString()}`)));
    });
    this.response.catch(() => {});
  }

  /** Everything the server sent so far. */
  get received(): string {
    return this.#data.toString('utf8');
  }

  /** The response, or 'waiting' when none came within ms. */
  async within(ms: number): Promise<RawResponse | 'waiting'> {
    return Promise.race([this.response, sleep(ms).then(() => 'waiting' as const)]);
  }

  /** The first response, parsed, or undefined when none came (whatever the connection did). */
  get answer(): RawResponse | undefined {
    return parseResponse(this.#data);
  }
}

/**
 * `n` connections from `from` whose headers look signed (`v0=` and 64 zeros, a current timestamp) and announce a body
 * of `length` bytes, of which one is sent; then they idle: what took every body slot before deadlines were set.
 */
export async function idleFakeSigned(url: string, n: number, from: string, length = 4096): Promise<Raw[]> {
  const held: Raw[] = [];
  // In batches, within the listen backlog.
  for (let i = 0; i < n; i += 50) {
    held.push(...Array.from({ length: Math.min(50, n - i) }, () => new Raw(url, lookingSigned(length), '{', { from })));
    await sleep(20);
  }
  return held;
}

/** The first whole response in what a server sent, or undefined while it is incomplete. */
export function parseResponse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  const body = data.subarray(end + 4);
  if (body.length < Number(headers['content-length'] ?? 0)) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.toString('utf8') };
}

/** A request head as Slack writes one (JSON by default), to /slack/events unless told otherwise. */
export function slackHead(headers: Record<string, string | number>, method = 'POST', path = '/slack/events'): string {
  const lines = Object.entries({ host: '127.0.0.1', 'content-type': 'application/json', ...headers }).map(
    ([k, v]) => `${k}: ${v}\r\n`,
  );
  return `${method} ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

/** Headers that look signed, announcing a body of `length` bytes (which stays unsent unless given). */
export function lookingSigned(length: number, extra: Record<string, string | number> = {}): string {
  return slackHead({
    'x-slack-signature': `v0=${'0'.repeat(64)}`,
    'x-slack-request-timestamp': Math.floor(Date.now() / 1000),
    'content-length': length,
    ...extra,
  });
}
