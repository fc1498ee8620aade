// A proxy in front of a real ZooKeeper that answers like a server older
// than 3.6: addWatch (op 106) gets UNIMPLEMENTED and then the connection
// is closed, as ZooKeeper's UnimplementedRequestProcessor does. Everything
// else passes through.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenOnLoopback } from './tcp-proxy.js';

const OP_ADD_WATCH = 106;
const XID_NOTIFICATION = -1;
const UNIMPLEMENTED = -6;

/** Splits a stream into length-prefixed frames (4-byte big-endian length, then the frame). */
class Frames {
  #pending = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.#pending = Buffer.concat([this.#pending, chunk]);
    const frames: Buffer[] = [];
    while (this.#pending.length >= 4) {
      const length = this.#pending.readInt32BE(0);
      if (this.#pending.length < 4 + length) break;
      frames.push(this.#pending.subarray(0, 4 + length));
      this.#pending = this.#pending.subarray(4 + length);
    }
    return frames;
  }
}

export class OldZooKeeperProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  port = 0;
  /** How many addWatch requests clients sent. */
  addWatchRequests = 0;

  private constructor(targetHost: string, targetPort: number) {
    this.#server = createServer((client) => this.#serve(client, targetHost, targetPort));
  }

  static async start(targetHost: string, targetPort: number): Promise<OldZooKeeperProxy> {
    const proxy = new OldZooKeeperProxy(targetHost, targetPort);
    proxy.port = await listenOnLoopback(proxy.#server);
    return proxy;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #serve(client: Socket, targetHost: string, targetPort: number): void {
    const upstream = connect({ host: targetHost, port: targetPort });
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const requests = new Frames();
    const replies = new Frames();
    let connectSent = false;
    let connectAnswered = false;
    let outstanding = 0; // requests passed on and not yet answered
    let refused: { xid: number } | undefined;
    let lastZxid = Buffer.alloc(8);
    const refuseWhenQuiet = (): void => {
      if (refused === undefined || outstanding > 0) return;
      const reply = Buffer.alloc(20);
      reply.writeInt32BE(16, 0);
      reply.writeInt32BE(refused.xid, 4);
      lastZxid.copy(reply, 8);
      reply.writeInt32BE(UNIMPLEMENTED, 16);
      client.end(reply);
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      for (const frame of requests.push(chunk)) {
        if (refused !== undefined) continue; // the connection is about to close
        if (!connectSent) {
          connectSent = true;
        } else if (frame.readInt32BE(8) === OP_ADD_WATCH) {
          this.addWatchRequests += 1;
          refused = { xid: frame.readInt32BE(4) };
          refuseWhenQuiet();
          continue;
        } else {
          outstanding += 1;
        }
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const frame of replies.push(chunk)) {
        if (!connectAnswered) {
          connectAnswered = true;
        } else if (frame.readInt32BE(4) !== XID_NOTIFICATION) {
          outstanding -= 1;
          lastZxid = Buffer.from(frame.subarray(8, 16));
        }
        client.write(frame);
      }
      refuseWhenQuiet();
    });
  }
}
