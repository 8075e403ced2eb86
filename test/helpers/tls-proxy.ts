import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The committed self-signed test certificate (CN localhost, SAN localhost and 127.0.0.1), valid until 2126. */
export const TEST_CERT_PATH = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));
const TEST_KEY_PATH = fileURLToPath(new URL('../fixtures/tls/key.pem', import.meta.url));

/**
 * An https front on 127.0.0.1, as a tunnel or a platform's router is: it holds the certificate and forwards each
 * request to a plain-http port. Pointed at nothing (`forwardTo(undefined)`, or a port where nothing listens), it
 * answers 502 as tunnels do when the app behind them is not running.
 */
export class TlsProxy {
  #server: Server;
  #target: number | undefined;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target?: number): Promise<TlsProxy> {
    const server = createServer({ key: readFileSync(TEST_KEY_PATH), cert: readFileSync(TEST_CERT_PATH) });
    const proxy = new TlsProxy(server);
    proxy.#target = target;
    server.on('request', (req, res) => {
      const badGateway = (): void => {
        if (res.headersSent) res.destroy();
        else
          res.writeHead(502, { 'content-type': 'text/plain' }).end('502 Bad Gateway: no app answers behind this proxy');
      };
      if (proxy.#target === undefined) {
        badGateway();
        return;
      }
      const upstream = httpRequest(
        { host: '127.0.0.1', port: proxy.#target, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', badGateway);
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** Where requests go from now on: a port on 127.0.0.1, or nowhere. */
  forwardTo(port: number | undefined): void {
    this.#target = port;
  }

  /** The proxy's https address, as PUBLIC_URL would name it. */
  get url(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
