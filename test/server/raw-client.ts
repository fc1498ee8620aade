// A minimal ZEO client for driving the server in tests: a real socket, the
// wire layer's framing, handshake and RpcSession, and a record of the
// one-way calls the server makes (invalidateTransaction, info).
import net from 'node:net';
import { FrameDecoder } from '../../src/zeo/wire/frame-decoder.js';
import { encodeFrame } from '../../src/zeo/wire/frame-encoder.js';
import { encodeHandshake } from '../../src/zeo/wire/handshake.js';
import type { ZeoEncoding } from '../../src/zeo/wire/marshaller.js';
import { MsgpackMarshaller } from '../../src/zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../../src/zeo/wire/pickle-marshaller.js';
import { RpcSession } from '../../src/zeo/wire/rpc-session.js';
import type { ZeoValue } from '../../src/zeo/wire/values.js';
import type { BoundAddress } from '../../src/server/listen.js';

export interface ServerCall {
  readonly method: string;
  readonly args: readonly ZeoValue[];
}

export function connectOptions(address: BoundAddress): net.NetConnectOpts {
  return address.family === 'unix' ? { path: address.path } : { host: address.host === '::' ? '::1' : address.host, port: address.port };
}

/** Opens a TCP or Unix connection and resolves once connected. */
export function openSocket(address: BoundAddress): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(connectOptions(address));
    socket.setNoDelay(true);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Resolves when `socket` is closed (by either side). */
export function closed(socket: net.Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

export class RawClient {
  readonly socket: net.Socket;
  readonly rpc: RpcSession;
  readonly received: ServerCall[] = [];
  announced = '';
  #waiters: Array<() => void> = [];

  private constructor(socket: net.Socket, encoding: ZeoEncoding) {
    this.socket = socket;
    const marshaller = encoding === 'msgpack' ? new MsgpackMarshaller() : new PickleMarshaller();
    this.rpc = new RpcSession({
      marshaller,
      writeFrame: (frame) => socket.write(frame),
      onCall: (call) => {
        this.received.push({ method: call.method, args: call.args });
        for (const wake of this.#waiters.splice(0)) wake();
      },
    });
  }

  /** Connects, reads the server's handshake and answers with `encoding`. */
  static async connect(address: BoundAddress, encoding: ZeoEncoding = 'pickle'): Promise<RawClient> {
    const socket = await openSocket(address);
    const decoder = new FrameDecoder();
    let client: RawClient | undefined;
    const announced = await new Promise<string>((resolve, reject) => {
      socket.once('close', () => reject(new Error('closed before the handshake')));
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          if (client === undefined) {
            client = new RawClient(socket, encoding);
            client.announced = frame.toString('latin1');
            socket.write(encodeFrame(encodeHandshake(encoding)));
            resolve(client.announced);
          } else {
            client.rpc.receive(frame);
          }
        }
      });
    });
    socket.on('close', () => client?.rpc.close());
    // A reset (the server was killed) is a close like any other: pending calls fail with ClientDisconnected.
    socket.on('error', () => undefined);
    (client as RawClient).announced = announced;
    return client as RawClient;
  }

  /** Connects and registers for `storage`. Resolves with the last tid. */
  static async registered(address: BoundAddress, encoding: ZeoEncoding = 'pickle', storage = '1', readOnly = false): Promise<{ client: RawClient; lastTid: Buffer }> {
    const client = await RawClient.connect(address, encoding);
    const lastTid = (await client.call('register', [storage, readOnly])) as Buffer;
    return { client, lastTid };
  }

  call(method: string, args: readonly ZeoValue[] = []): Promise<ZeoValue> {
    return this.rpc.call(method, args);
  }

  oneWay(method: string, args: readonly ZeoValue[] = []): void {
    this.rpc.callOneWay(method, args);
  }

  /** Resolves once a one-way call named `method` has arrived `count` times in all. */
  async waitFor(method: string, count = 1): Promise<ServerCall[]> {
    for (;;) {
      const matching = this.received.filter((c) => c.method === method);
      if (matching.length >= count) return matching;
      if (this.socket.closed) throw new Error(`connection closed while waiting for ${method}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        this.socket.once('close', resolve);
      });
    }
  }

  /** Commits `stores` ([oid, serial, data]) in one transaction; resolves with the tid. */
  async commit(handle: number, stores: ReadonlyArray<readonly [Buffer, Buffer, Buffer]>): Promise<Buffer> {
    this.oneWay('tpc_begin', [handle, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    for (const [oid, serial, data] of stores) this.oneWay('storea', [oid, serial, data, handle]);
    try {
      await this.call('vote', [handle]);
    } catch (error) {
      await this.call('tpc_abort', [handle]);
      throw error;
    }
    return (await this.call('tpc_finish', [handle])) as Buffer;
  }

  close(): Promise<void> {
    this.socket.end();
    return closed(this.socket);
  }
}
