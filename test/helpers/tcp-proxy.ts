import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server (the tests' Redis), which a test can cut: every connection is dropped and
 * new ones are refused, as when the server dies, without needing to start a server of its own. It can also
 * freeze: connections stay open but nothing passes (a server that hangs), until it thaws.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #frozen = false;
  /** What arrived while frozen, to pass on at thaw. */
  readonly #held: { to: Socket; data: Buffer }[] = [];
  port = 0;

  private constructor(target: { host: string; port: number }) {
    this.#server = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      this.#forward(client, upstream);
      this.#forward(upstream, client);
    });
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    const address = proxy.#server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  #forward(from: Socket, to: Socket): void {
    from.on('data', (data: Buffer) => {
      if (this.#frozen) this.#held.push({ to, data });
      else to.write(data);
    });
    from.on('end', () => to.end());
  }

  /** Nothing passes from now on, either way, on any connection; the connections stay open. */
  freeze(): void {
    this.#frozen = true;
  }

  /** Passes on what was held, in order, and everything after. */
  thaw(): void {
    this.#frozen = false;
    for (const { to, data } of this.#held.splice(0)) if (!to.destroyed) to.write(data);
  }

  /** Drops every connection and refuses new ones. */
  async cut(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  /** After a cut: takes connections again on the same port, as when the server is back. */
  async reopen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(this.port, '127.0.0.1', resolve));
  }
}
