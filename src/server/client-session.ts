/**
 * One connected client: the socket, the handshake, the frame decoder, the
 * RPC bookkeeping, the gate of allowed method names, flow control, and the
 * hand-over of calls to its {@link StorageSession}. A client that breaks
 * the protocol (bad frame, undecodable message, unknown method, failing
 * one-way call) is disconnected; the server goes on.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { ProtocolError, ZEO_ERROR_CODES } from '../zeo/errors.js';
import { FrameDecoder } from '../zeo/wire/frame-decoder.js';
import { encodeFrame } from '../zeo/wire/frame-encoder.js';
import { encodeHandshake, parseClientHandshake } from '../zeo/wire/handshake.js';
import { ZEO_ENCODINGS, type Marshaller, type ZeoEncoding } from '../zeo/wire/marshaller.js';
import { MsgpackMarshaller } from '../zeo/wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../zeo/wire/pickle-marshaller.js';
import { RpcSession, type IncomingCall } from '../zeo/wire/rpc-session.js';
import type { ZeoValue } from '../zeo/wire/values.js';
import { REGISTERED_METHODS, UNREGISTERED_METHODS } from './method-names.js';
import { StorageSession, type SessionContext } from './storage-session.js';

/** Options of a {@link ClientSession}. */
export interface ClientSessionOptions {
  /** The encoding the server announces (the client's answer decides). */
  readonly announce: ZeoEncoding;
  /** The largest frame accepted from the client. */
  readonly maxFrameBytes: number;
  /** Stop reading from the client while this many of its calls await their reply. */
  readonly maxPendingCalls: number;
  /** Stop reading while this many reply bytes wait to be sent. */
  readonly maxBufferedBytes: number;
  /** Drop the client when, with more than `maxBufferedBytes` waiting, it takes nothing between two checks this far apart. */
  readonly stalledClientTimeoutMs: number;
  /** What sessions share. */
  readonly context: SessionContext;
  /** The `ruok` answer (JSON text). */
  readonly ruok: () => string;
  /** Told once the connection is closed and its transaction cleaned up. */
  readonly onClosed: (session: ClientSession) => void;
  /** Where to log. */
  readonly logger: Logger;
}

/** The two marshallers are stateless between messages and can be shared by connections. */
let sharedPickle: PickleMarshaller | undefined;
let sharedMsgpack: MsgpackMarshaller | undefined;

function marshallerFor(encoding: ZeoEncoding): Marshaller {
  if (encoding === ZEO_ENCODINGS.msgpack) return (sharedMsgpack ??= new MsgpackMarshaller());
  return (sharedPickle ??= new PickleMarshaller());
}

const FORCE_CLOSE_MS = 2000;
const KEEPALIVE_MS = 60_000;

/**
 * The bytes handed to libuv that the kernel has not taken yet, when Node
 * says (an undocumented but long-stable field of the socket's handle).
 * `writableLength` drops only when a whole write is done, so a big reply
 * read slowly shows no progress there for a long time.
 */
function kernelQueue(socket: Socket): number | undefined {
  const size = (socket as unknown as { _handle?: { writeQueueSize?: unknown } | null })._handle?.writeQueueSize;
  return typeof size === 'number' ? size : undefined;
}

/** The server side of one client connection. */
export class ClientSession {
  /** A number naming the connection in logs and events. */
  readonly id: number;
  /** The peer's address, as text. */
  readonly remote: string;
  readonly #socket: Socket;
  readonly #options: ClientSessionOptions;
  readonly #decoder: FrameDecoder;
  readonly #storage: StorageSession;
  #rpc: RpcSession | undefined;
  #closing = false;
  #closedReason: string | undefined;
  #corked = false;
  #pendingCalls = 0;
  #paused = false;
  #draining = false;
  // Bytes handed to the socket, and what had left at the last stall check.
  #queuedBytes = 0;
  #stallMark: { readonly sent: number; readonly queue: number | undefined } | undefined;
  #stallCheck: NodeJS.Timeout | undefined;
  /** One promise per `tpc_finish` in progress, settled once its reply is written. */
  readonly #finishReplies = new Set<Promise<void>>();

  /** Takes over `socket` (just accepted) and sends the server's handshake. */
  constructor(id: number, socket: Socket, options: ClientSessionOptions) {
    this.id = id;
    this.#socket = socket;
    this.#options = options;
    this.remote = socket.remoteAddress === undefined ? 'unix socket' : `${socket.remoteAddress}:${socket.remotePort}`;
    this.#decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes });
    this.#storage = new StorageSession(options.context, {
      callOneWay: (method, args) => this.#rpc?.callOneWay(method, args),
      close: (reason) => this.close(reason),
    });
    socket.setNoDelay(true);
    // A client that vanished without a word (power, network) is found out even on a quiet server
    // (after the idle time and the system's probes: about 11 minutes on Linux).
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#maybeResume());
    socket.on('error', (error) => options.logger.debug({ err: error, client: this.remote }, 'client socket error'));
    socket.once('close', () => {
      clearTimeout(this.#stallCheck);
      void this.#onSocketClosed();
    });
    this.#write(encodeFrame(encodeHandshake(options.announce)));
  }

  /** The storage side of the connection (registration, transaction). */
  get storage(): StorageSession {
    return this.#storage;
  }

  /** Why the server closed the connection, if it did. */
  get closedReason(): string | undefined {
    return this.#closedReason;
  }

  /**
   * The `tpc_finish` calls in progress, up to and including the writing of
   * their reply; undefined when there are none. Never rejects. A graceful
   * shutdown waits for it before closing, so that a client whose commit
   * became durable is told its tid.
   */
  get finishing(): Promise<void> | undefined {
    if (this.#finishReplies.size === 0) return undefined;
    return Promise.all(this.#finishReplies).then(() => undefined);
  }

  /**
   * Takes no more calls from the client (everything it sends from now on
   * is dropped), for a server shutdown; calls already running go on.
   */
  stopReading(): void {
    this.#draining = true;
  }

  /**
   * Closes the connection after writing what is queued; idempotent. Calls
   * still running get no reply. The transaction in progress is aborted
   * once the socket is closed. The socket is destroyed if the client has
   * not taken the queued bytes after `forceAfterMs`.
   */
  close(reason: string, forceAfterMs: number = FORCE_CLOSE_MS): void {
    if (this.#closing) return;
    this.#closing = true;
    this.#closedReason = reason;
    this.#rpc?.close(reason);
    this.#socket.end();
    // Keep reading (and dropping) so the client's own end is seen and the socket closes without the timer.
    if (this.#paused) this.#socket.resume();
    const force = setTimeout(() => this.#socket.destroy(), forceAfterMs).unref();
    // Cleared once closed, so a closed session is not kept alive for forceAfterMs.
    this.#socket.once('close', () => clearTimeout(force));
  }

  /** Closes the connection now, dropping unsent bytes. */
  destroy(reason: string): void {
    this.close(reason);
    this.#socket.destroy();
  }

  readonly #uncork = (): void => {
    this.#corked = false;
    this.#socket.uncork();
  };

  /** Writes one frame; frames written in the same event-loop turn leave in one system call. */
  readonly #write = (frame: Buffer): void => {
    if (this.#socket.destroyed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      setImmediate(this.#uncork);
    }
    this.#socket.write(frame);
    this.#queuedBytes += frame.length;
    if (this.#stallCheck === undefined && this.#socket.writableLength > this.#options.maxBufferedBytes) this.#armStallCheck();
  };

  // A client that stopped reading (paused, hung) but keeps its connection
  // open would have every invalidation pile up here: it is dropped once it
  // takes nothing between two checks, and reconnects when it reads again.
  #armStallCheck(): void {
    this.#stallCheck = setTimeout(this.#checkStall, this.#options.stalledClientTimeoutMs).unref();
  }

  readonly #checkStall = (): void => {
    this.#stallCheck = undefined;
    const waiting = this.#socket.writableLength;
    if (this.#closing || waiting <= this.#options.maxBufferedBytes) {
      this.#stallMark = undefined;
      return;
    }
    // Node hands libuv the next write only once the one in flight is done,
    // so between two checks either a write finished or the kernel took
    // part of the same one (a big reply read slowly), or nothing moved.
    const now = { sent: this.#queuedBytes - waiting, queue: kernelQueue(this.#socket) };
    const before = this.#stallMark;
    const moved =
      before === undefined ||
      now.sent > before.sent ||
      (now.queue !== undefined && before.queue !== undefined && now.queue < before.queue);
    if (moved) {
      this.#stallMark = now;
      this.#armStallCheck();
      return;
    }
    const reason = `the client read nothing for ${this.#options.stalledClientTimeoutMs} ms while ${waiting} bytes waited for it`;
    this.#options.logger.warn({ client: this.remote, waiting }, `disconnecting ${this.remote}: ${reason}`);
    this.destroy(reason);
  };

  #onData(chunk: Buffer): void {
    if (this.#closing || this.#draining) return;
    let frames: Buffer[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (error) {
      this.#protocolFailure(error);
      return;
    }
    for (const frame of frames) {
      if (this.#closing) return;
      const rpc = this.#rpc;
      if (rpc === undefined) {
        this.#handshake(frame);
        continue;
      }
      try {
        rpc.receive(frame);
      } catch (error) {
        this.#protocolFailure(error);
        return;
      }
    }
    this.#maybePause();
  }

  #protocolFailure(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#options.logger.error({ err: error, client: this.remote }, `Can't deserialize message: ${message}`);
    this.close(`protocol error: ${message}`);
  }

  #handshake(frame: Buffer): void {
    let handshake;
    try {
      handshake = parseClientHandshake(frame);
    } catch (error) {
      this.#options.logger.error({ client: this.remote }, `bad handshake ${JSON.stringify(frame.toString('latin1'))}`);
      this.close(error instanceof Error ? error.message : 'bad handshake');
      return;
    }
    if (handshake.kind === 'ruok') {
      this.#write(encodeFrame(Buffer.from(this.#options.ruok(), 'ascii')));
      this.close('ruok answered');
      return;
    }
    this.#options.logger.info({ client: this.remote }, `received handshake ${JSON.stringify(handshake.received)}`);
    this.#rpc = new RpcSession({
      marshaller: marshallerFor(handshake.encoding),
      writeFrame: this.#write,
      onCall: (call) => this.#onCall(call),
      onOneWayError: (error, call) => this.#oneWayFailed(error, call),
      logger: this.#options.logger,
    });
  }

  #onCall(call: IncomingCall): ZeoValue | Promise<ZeoValue> {
    const allowed = this.#storage.registered ? REGISTERED_METHODS : UNREGISTERED_METHODS;
    if (!allowed.has(call.method)) {
      this.#options.logger.error({ client: this.remote }, `Invalid method, ${JSON.stringify(call.method)}`);
      // Closed first, so the session writes no error reply: the reference just hangs up.
      this.close(`invalid method ${call.method}`);
      throw new ProtocolError(ZEO_ERROR_CODES.badMessage, `invalid method ${call.method}`);
    }
    const result = this.#storage.handle(call);
    if (!(result instanceof Promise)) return result;
    this.#pendingCalls += 1;
    const reply = result.finally(this.#callSettled);
    if (call.method === 'tpc_finish') this.#trackFinish(reply);
    return reply;
  }

  /** Counts a `tpc_finish` as {@link finishing} until its reply has been written. */
  #trackFinish(reply: Promise<ZeoValue>): void {
    let written!: () => void;
    const replied = new Promise<void>((resolve) => (written = resolve));
    const done = (): void => {
      this.#finishReplies.delete(replied);
      written();
    };
    this.#finishReplies.add(replied);
    // The RpcSession attaches its reply writer to `reply` as soon as this handler
    // returns; a reaction attached one microtask later runs after it, once the reply is written.
    queueMicrotask(() => reply.then(done, done));
  }

  readonly #callSettled = (): void => {
    this.#pendingCalls -= 1;
    if (this.#paused) this.#maybeResume();
  };

  #oneWayFailed(error: unknown, call: IncomingCall): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#options.logger.error({ err: error, client: this.remote }, `async ${JSON.stringify(call.method)} raised exception: ${message}`);
    this.close(`one-way ${call.method} failed: ${message}`);
  }

  #maybePause(): void {
    if (this.#paused || this.#closing) return;
    const options = this.#options;
    if (this.#pendingCalls >= options.maxPendingCalls || this.#socket.writableLength >= options.maxBufferedBytes) {
      this.#paused = true;
      this.#socket.pause();
    }
  }

  #maybeResume(): void {
    if (!this.#paused) return;
    const options = this.#options;
    if (this.#pendingCalls <= options.maxPendingCalls / 2 && this.#socket.writableLength < options.maxBufferedBytes) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  async #onSocketClosed(): Promise<void> {
    this.#closing = true;
    this.#rpc?.close(this.#closedReason ?? 'connection closed');
    try {
      await this.#storage.disconnected();
    } catch (error) {
      this.#options.logger.error({ err: error, client: this.remote }, 'aborting the transaction of a closed connection failed');
    }
    this.#options.onClosed(this);
  }
}
