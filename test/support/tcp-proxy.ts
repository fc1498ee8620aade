// A loopback TCP proxy a test can switch between passing bytes, refusing
// connections and black-holing them: for cutting one client off a real
// server without disturbing the server's other clients.
import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'refuse' | 'blackhole';

/** Listens on a free loopback port; resolves with the port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return address.port;
}

export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #clients = new Set<Socket>();
  #mode: ProxyMode = 'pass';
  // While holding: what servers sent, not yet passed on (per client socket).
  #held: Map<Socket, Buffer[]> | undefined;
  port = 0;
  /** Everything clients sent, in every mode (a black hole records what it drops). */
  readonly fromClients: Buffer[] = [];

  private constructor(targetHost: string, targetPort: number) {
    this.#server = createServer((client) => {
      if (this.#mode === 'refuse') {
        client.destroy();
        return;
      }
      this.#clients.add(client);
      client.on('close', () => this.#clients.delete(client));
      const upstream = connect({ host: targetHost, port: targetPort });
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) => {
        this.fromClients.push(chunk);
        if (this.#mode === 'pass') upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (this.#mode !== 'pass') return;
        const held = this.#held;
        if (held === undefined) client.write(chunk);
        else held.set(client, [...(held.get(client) ?? []), chunk]);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    proxy.port = await listenOnLoopback(proxy.#server);
    return proxy;
  }

  /** From now on, keeps what servers send instead of passing it on. */
  holdReplies(): void {
    this.#held ??= new Map();
  }

  /** What is held so far, for all clients together. */
  get held(): Buffer {
    return Buffer.concat([...(this.#held?.values() ?? [])].flat());
  }

  /** Passes on what was held, each client's bytes in one write (so they arrive in one read), and stops holding. */
  releaseReplies(): void {
    const held = this.#held;
    this.#held = undefined;
    for (const [client, chunks] of held ?? []) client.write(Buffer.concat(chunks));
  }

  /** Client connections currently open through the proxy. */
  get openConnections(): number {
    return this.#clients.size;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Switches mode; `refuse` also drops every open connection. */
  setMode(mode: ProxyMode): void {
    this.#mode = mode;
    if (mode === 'refuse') for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
