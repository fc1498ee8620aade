// A scripted fake ZEO server on a real loopback socket: it plays the
// recorded server side of a fixture conversation to whatever client
// connects, checking every frame the client sends against the recording.
import { createServer, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../../../src/zeo/wire/frame-decoder.js';
import type { ZeoEncoding } from '../../../src/zeo/wire/marshaller.js';
import { MESSAGE_KINDS, type ZeoMessage } from '../../../src/zeo/wire/message.js';
import { MsgpackMarshaller } from '../../../src/zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../../../src/zeo/wire/pickle-marshaller.js';
import { messageIdKey } from '../../../src/zeo/wire/message-id-key.js';
import type { ZeoValue } from '../../../src/zeo/wire/values.js';
import { ConversationReplay, type ReplayOutput } from '../../support-zeo/conversation-replay.js';
import { connectionEncodings, isSpecialFrame, type FixtureFrame, type WireFixture } from '../../support-zeo/wire-fixtures.js';

/** Where each 2PC method carries the transaction handle. */
const HANDLE_POSITION: Readonly<Record<string, number>> = Object.freeze({
  tpc_begin: 0,
  storea: 3,
  checkCurrentSerialInTransaction: 2,
  vote: 0,
  tpc_finish: 0,
  tpc_abort: 0,
});

function marshallerFor(encoding: ZeoEncoding) {
  return encoding === 'pickle' ? new PickleMarshaller() : new MsgpackMarshaller();
}

/**
 * Accepts a client frame where the recording has `expected` if it is the
 * same bytes, or the same message with another transaction handle (the
 * reference client uses `id(txn)`): the recorded message is re-encoded with
 * the client's handle and must then equal the client's bytes exactly.
 * Within a transaction (from its `tpc_begin`) the recorded handle must map
 * to one client handle (Python may reuse an `id` for the next transaction).
 */
export function handleTolerantMatch(fixture: WireFixture): (expected: FixtureFrame, actual: Buffer) => boolean {
  const encodings = connectionEncodings(fixture);
  const handles = new Map<string, string>();
  return (expected, actual) => {
    if (expected.payload.equals(actual)) return true;
    if (isSpecialFrame(expected)) return false;
    const marshaller = marshallerFor(encodings.get(expected.conn) ?? fixture.encoding);
    let recorded: ZeoMessage;
    let sent: ZeoMessage;
    try {
      recorded = marshaller.decode(expected.payload);
      sent = marshaller.decode(actual);
    } catch {
      return false;
    }
    if ((recorded.kind !== MESSAGE_KINDS.call && recorded.kind !== MESSAGE_KINDS.oneWay) || recorded.kind !== sent.kind) return false;
    if (recorded.method !== sent.method) return false;
    const position = HANDLE_POSITION[recorded.method];
    if (position === undefined) return false;
    const recordedHandle = recorded.args[position] as ZeoValue;
    const sentHandle = sent.args[position] as ZeoValue;
    const key = messageIdKey(recordedHandle);
    const mapped = recorded.method === 'tpc_begin' ? undefined : handles.get(key);
    if (mapped !== undefined && mapped !== messageIdKey(sentHandle)) return false;
    const args = [...recorded.args];
    args[position] = sentHandle;
    if (!marshaller.encode({ ...recorded, args }).equals(actual)) return false;
    handles.set(key, messageIdKey(sentHandle));
    return true;
  };
}

/** Options of {@link ReplayServer.start}. */
export interface ReplayServerOptions {
  /** The recorded connections to play, in the order clients will connect. @defaultValue all */
  readonly conns?: readonly number[];
  /** Connections the server closes once their recorded frames are done (besides those the recording says the server closed). */
  readonly closeAfter?: readonly number[];
  /** Listen on this Unix socket path instead of TCP. */
  readonly unixPath?: string;
}

/** Plays the server side of a recording; see the file comment. */
export class ReplayServer {
  readonly replay: ConversationReplay;
  /** Frames the client sent that the recording does not have (empty when all is well). */
  readonly mismatches: string[] = [];
  /** Connections beyond the recording, refused. */
  extraConnections = 0;
  address = '';
  readonly #server: Server;
  readonly #conns: number[];
  readonly #closeAfter: Set<number>;
  readonly #sockets = new Map<number, Socket>();
  readonly #queued = new Map<number, Buffer[]>();
  readonly #remaining = new Map<number, number>();
  readonly #allSockets = new Set<Socket>();
  #accepted = 0;
  readonly #finishWaiters: (() => void)[] = [];
  readonly #closeWaiters = new Map<number, (() => void)[]>();
  readonly #closedConns = new Set<number>();

  private constructor(readonly fixture: WireFixture, options: ReplayServerOptions) {
    const conns = options.conns ?? [...new Set(fixture.frames.map((f) => f.conn))].sort((a, b) => a - b);
    this.#conns = [...conns];
    this.#closeAfter = new Set(options.closeAfter ?? []);
    this.replay = new ConversationReplay(fixture, { play: 'server', conns, match: handleTolerantMatch(fixture) });
    for (const frame of fixture.frames) {
      if (conns.includes(frame.conn)) this.#remaining.set(frame.conn, (this.#remaining.get(frame.conn) ?? 0) + 1);
    }
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Starts listening (TCP on 127.0.0.1, port 0, or the Unix path). */
  static async start(fixture: WireFixture, options: ReplayServerOptions = {}): Promise<ReplayServer> {
    const server = new ReplayServer(fixture, options);
    await new Promise<void>((resolve) => {
      if (options.unixPath !== undefined) server.#server.listen(options.unixPath, resolve);
      else server.#server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.#server.address();
    server.address = typeof address === 'string' ? address : `127.0.0.1:${address?.port}`;
    server.#send(server.replay.start());
    return server;
  }

  /** Resolves when every recorded frame was exchanged (or a mismatch happened). */
  whenFinished(): Promise<void> {
    if (this.replay.finished || this.mismatches.length > 0) return Promise.resolve();
    return new Promise((resolve) => this.#finishWaiters.push(resolve));
  }

  /** Resolves when the socket of recorded connection `conn` has closed. */
  whenClosed(conn: number): Promise<void> {
    if (this.#closedConns.has(conn)) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.#closeWaiters.get(conn) ?? [];
      list.push(resolve);
      this.#closeWaiters.set(conn, list);
    });
  }

  /** Stops listening and closes every socket. */
  async stop(): Promise<void> {
    for (const socket of this.#allSockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    this.#allSockets.add(socket);
    socket.on('close', () => this.#allSockets.delete(socket));
    socket.on('error', () => undefined);
    const conn = this.#conns[this.#accepted++];
    if (conn === undefined) {
      this.extraConnections++;
      socket.destroy();
      return;
    }
    this.#sockets.set(conn, socket);
    socket.on('close', () => {
      this.#closedConns.add(conn);
      for (const resolve of this.#closeWaiters.get(conn) ?? []) resolve();
      this.#closeWaiters.delete(conn);
    });
    const decoder = new FrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      for (const payload of decoder.push(chunk)) this.#receive(conn, payload);
    });
    for (const bytes of this.#queued.get(conn) ?? []) socket.write(bytes);
    this.#queued.delete(conn);
    this.#maybeClose(conn);
  }

  #receive(conn: number, payload: Buffer): void {
    let outputs: ReplayOutput[];
    try {
      outputs = this.replay.receive(conn, payload);
    } catch (error) {
      this.mismatches.push((error as Error).message);
      if (process.env.REPLAY_DEBUG) console.log((error as Error).message);
      this.#sockets.get(conn)?.destroy();
      this.#notifyFinished();
      return;
    }
    this.#remaining.set(conn, (this.#remaining.get(conn) ?? 0) - 1);
    this.#send(outputs);
    this.#maybeClose(conn);
    this.#notifyFinished();
  }

  #send(outputs: readonly ReplayOutput[]): void {
    const touched = new Set<number>();
    for (const output of outputs) {
      this.#remaining.set(output.conn, (this.#remaining.get(output.conn) ?? 0) - 1);
      touched.add(output.conn);
      const socket = this.#sockets.get(output.conn);
      if (socket === undefined) {
        const list = this.#queued.get(output.conn) ?? [];
        list.push(output.bytes);
        this.#queued.set(output.conn, list);
      } else {
        socket.write(output.bytes);
      }
    }
    for (const conn of touched) this.#maybeClose(conn);
  }

  #maybeClose(conn: number): void {
    const socket = this.#sockets.get(conn);
    if (socket === undefined || this.#remaining.get(conn) !== 0) return;
    if (this.replay.closedBy(conn) === 'server' || this.#closeAfter.has(conn)) socket.end();
  }

  #notifyFinished(): void {
    if (!this.replay.finished && this.mismatches.length === 0) return;
    for (const resolve of this.#finishWaiters.splice(0)) resolve();
  }
}
