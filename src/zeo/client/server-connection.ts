/**
 * One client connection to one ZEO server: the socket, the handshake,
 * framing, the RPC session, registration, keep-alives. It knows nothing
 * of caches or transactions; the owner reacts to what the server sends
 * through a {@link ServerConnectionDelegate}.
 */
import { connect, type Socket } from 'node:net';
import { silentLogger, type Logger } from '../../logger.js';
import type { Oid, Tid } from '../../storage/oid.js';
import { ReadOnlyError } from '../../storage/errors.js';
import { ClientDisconnected, ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { encodeFrame } from '../wire/frame-encoder.js';
import { encodeHandshake, parseServerHandshake } from '../wire/handshake.js';
import { ZEO_ENCODINGS, type Marshaller, type ZeoEncoding } from '../wire/marshaller.js';
import { MESSAGE_KINDS, type ZeoMessage } from '../wire/message.js';
import { MsgpackMarshaller } from '../wire/msgpack-marshaller.js';
import { PickleMarshaller } from '../wire/pickle-marshaller.js';
import { RpcSession, type IncomingCall } from '../wire/rpc-session.js';
import type { ZeoValue } from '../wire/values.js';
import { CLIENT_ENCODINGS, type ClientEncoding } from './options.js';
import type { ZeoServerAddress } from './server-address.js';

/** What the owner of a connection is told about, synchronously, in arrival order. */
export interface ServerConnectionDelegate {
  /**
   * A `loadBefore(oid, before)` reply carried a revision (copied out of the
   * socket buffers). Called before the caller's promise settles, so the
   * cache is updated in message order with invalidations.
   */
  loadReply(oid: Oid, before: Tid, data: Buffer, start: Tid, end: Tid | null): void;
  /** `invalidateTransaction(tid, oids)` from the server (ids are copies). */
  invalidateTransaction(tid: Tid, oids: Oid[]): void;
  /** `info(dict)` from the server. */
  info(info: ReadonlyMap<ZeoValue, ZeoValue>): void;
}

/** How a connection registers: the `read_only` argument(s) of `register`. */
export type RegistrationMode = 'readWrite' | 'readOnly' | 'fallback';

/** The outcome of `register`. */
export interface Registration {
  /** The storage's last transaction when registration took effect. */
  readonly serverTid: Tid;
  /** Whether the connection is registered read-only. */
  readonly readOnly: boolean;
}

/** Options of a {@link ServerConnection}. */
export interface ServerConnectionOptions {
  /** Where to connect. */
  readonly address: ZeoServerAddress;
  /** What to answer the server's announcement with. */
  readonly encoding: ClientEncoding;
  /** Time allowed for connect plus the server's handshake, in ms. */
  readonly connectTimeoutMs: number;
  /** Interval of keep-alive messages, in ms. */
  readonly heartbeatIntervalMs: number;
  /** The largest frame accepted. */
  readonly maxFrameBytes: number;
  /** Called once when the connection is closed, by either side, with the reason. */
  readonly onClose?: (connection: ServerConnection, reason: Error) => void;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

const SERVER_METHODS = new Set(['invalidateTransaction', 'info', 'receiveBlobStart', 'receiveBlobChunk', 'receiveBlobStop']);

function isId(value: ZeoValue | undefined): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 8;
}

/** Copies 8-byte ids into one new buffer and returns views of it. */
function copyIds(ids: readonly Uint8Array[]): Buffer[] {
  const block = Buffer.allocUnsafe(ids.length * 8);
  return ids.map((id, i) => {
    block.set(id, i * 8);
    return block.subarray(i * 8, i * 8 + 8);
  });
}

/**
 * A connection to one server. Construction starts connecting; {@link ready}
 * settles once the server's handshake arrived and was answered. Calls go
 * out through one pipelined RPC session; writes of one event-loop turn
 * leave in one system call (cork/uncork).
 */
export class ServerConnection {
  /** Where this connection goes. */
  readonly address: ZeoServerAddress;
  /** Settles when the handshake is done; rejects with {@link ClientDisconnected} if the connection failed first. */
  readonly ready: Promise<void>;
  /** Resolves once the socket is fully closed. */
  readonly closed: Promise<void>;
  readonly #options: ServerConnectionOptions;
  readonly #logger: Logger;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #replyHooks = new Map<number, (result: ZeoValue) => void>();
  readonly #queuedInvalidations: [Tid, Oid[]][] = [];
  #session: RpcSession | undefined;
  #encoding: ZeoEncoding | undefined;
  #delegate: ServerConnectionDelegate | undefined;
  #readOnly = false;
  #lastMsgid = 0;
  #corked = false;
  #isClosed = false;
  #closeReason: Error | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #settleReady!: (error?: Error) => void;

  /** Starts connecting to `options.address`. */
  constructor(options: ServerConnectionOptions) {
    this.address = options.address;
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes });
    this.ready = new Promise<void>((resolve, reject) => {
      this.#settleReady = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.ready.catch(() => undefined); // the owner may close before awaiting it
    const address = options.address;
    this.#socket = address.kind === 'unix' ? connect({ path: address.path }) : connect({ host: address.host, port: address.port });
    if (address.kind === 'tcp') this.#socket.setNoDelay(true);
    this.closed = new Promise<void>((resolve) => this.#socket.once('close', () => resolve()));
    this.#connectTimer = setTimeout(
      () => this.close(new ClientDisconnected(`no handshake from ${address.label} within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    this.#connectTimer.unref?.();
    this.#socket.on('data', this.#onData);
    this.#socket.on('error', (error) => this.close(new ClientDisconnected(`connection to ${address.label} failed: ${error.message}`, { cause: error })));
    this.#socket.on('close', () => this.close(new ClientDisconnected(`connection to ${address.label} closed by the server`)));
  }

  /** The encoding in use (known once {@link ready}). */
  get encoding(): ZeoEncoding | undefined {
    return this.#encoding;
  }

  /** Whether `register` made this a read-only connection. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** Whether the connection is closed (or failed). */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Why it closed, once closed. */
  get closeReason(): Error | undefined {
    return this.#closeReason;
  }

  /**
   * Registers with `storage`. In `fallback` mode a `ReadOnlyError` reply to
   * `register(name, False)` is followed by `register(name, True)` on the
   * same connection, as ZEO does. The `read_only` argument is `0` in
   * `readWrite` mode, as the Python client sends it.
   */
  async register(storage: string, mode: RegistrationMode): Promise<Registration> {
    let readOnly = mode === 'readOnly';
    let reply: ZeoValue;
    try {
      reply = await this.call('register', [storage, mode === 'readWrite' ? 0 : readOnly]);
    } catch (error) {
      if (mode !== 'fallback' || !(error instanceof ReadOnlyError)) throw error;
      reply = await this.call('register', [storage, true]);
      readOnly = true;
    }
    if (!isId(reply)) {
      throw new ProtocolError(ZEO_ERROR_CODES.badMessage, `register on ${this.address.label} answered with something that is not a tid`);
    }
    this.#readOnly = readOnly;
    return { serverTid: Buffer.from(reply), readOnly };
  }

  /**
   * Starts delivering `invalidateTransaction`, `info` and load replies to
   * `delegate` and returns the invalidations that arrived before, in order.
   */
  attach(delegate: ServerConnectionDelegate): [Tid, Oid[]][] {
    this.#delegate = delegate;
    return this.#queuedInvalidations.splice(0);
  }

  /** Calls `method` and resolves with its reply (rejects with the typed error of an error reply). */
  call(method: string, args: readonly ZeoValue[] = []): Promise<ZeoValue> {
    const session = this.#session;
    if (session === undefined || this.#isClosed) return Promise.reject(this.#disconnected(method));
    const msgid = ++this.#lastMsgid;
    return session.call(method, args, { msgid });
  }

  /**
   * Like {@link call}, but `onReply` sees a successful result synchronously
   * while the reply is processed, before later messages (e.g.
   * invalidations) are; for `tpc_finish`, whose result updates the cache.
   */
  callWithReplyHook(method: string, args: readonly ZeoValue[], onReply: (result: ZeoValue) => void): Promise<ZeoValue> {
    const session = this.#session;
    if (session === undefined || this.#isClosed) return Promise.reject(this.#disconnected(method));
    const msgid = ++this.#lastMsgid;
    this.#replyHooks.set(msgid, onReply);
    return session.call(method, args, { msgid });
  }

  /**
   * `loadBefore(oid, before)` with the `(oid, before)` msgid the Python
   * client uses, so identical loads in flight share one request. Resolves
   * with `null` or `[data, start, end]` (copies, not views of socket buffers).
   */
  loadBefore(oid: Oid, before: Tid): Promise<ZeoValue> {
    const session = this.#session;
    if (session === undefined || this.#isClosed) return Promise.reject(this.#disconnected('loadBefore'));
    const msgid = [oid, before];
    return session.call('loadBefore', msgid, { msgid });
  }

  /** Sends a call without reply. @throws ClientDisconnected if closed. */
  callOneWay(method: string, args: readonly ZeoValue[]): void {
    const session = this.#session;
    if (session === undefined || this.#isClosed) throw this.#disconnected(method);
    session.callOneWay(method, args);
  }

  /** Sends the keep-alive message now. */
  sendHeartbeat(): void {
    this.#session?.sendHeartbeat();
  }

  /**
   * Closes the connection (idempotent): calls waiting for replies fail
   * with {@link ClientDisconnected} (cause: `reason`), written data is
   * flushed, then the socket closes.
   */
  close(reason: Error = new ClientDisconnected('Closed')): void {
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#closeReason = reason;
    clearTimeout(this.#connectTimer);
    clearInterval(this.#heartbeat);
    this.#replyHooks.clear();
    this.#session?.close(reason);
    this.#settleReady(reason instanceof ClientDisconnected ? reason : new ClientDisconnected(reason.message, { cause: reason }));
    const socket = this.#socket;
    if (this.#corked) {
      this.#corked = false;
      socket.uncork();
    }
    // Before the handshake there is nothing to flush (and a pending connect must not linger).
    if (reason instanceof ProtocolError || socket.destroyed || this.#session === undefined) socket.destroy();
    else socket.end(() => socket.destroy());
    this.#options.onClose?.(this, reason);
  }

  #disconnected(method: string): ClientDisconnected {
    const reason = this.#closeReason;
    if (reason instanceof ClientDisconnected) return reason;
    return new ClientDisconnected(`cannot call ${method}: connection to ${this.address.label} is ${this.#isClosed ? 'closed' : 'not ready'}`);
  }

  #write = (frame: Buffer): void => {
    if (this.#isClosed) throw this.#disconnected('write');
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(this.#uncork);
    }
    this.#socket.write(frame);
  };

  #uncork = (): void => {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket.uncork();
  };

  #onData = (chunk: Buffer): void => {
    let payloads: Buffer[];
    try {
      payloads = this.#decoder.push(chunk);
    } catch (error) {
      this.close(error as Error);
      return;
    }
    for (const payload of payloads) {
      if (this.#isClosed) return;
      if (this.#session === undefined) {
        this.#handshake(payload);
        continue;
      }
      let message: ZeoMessage;
      try {
        message = this.#session.marshaller.decode(payload);
      } catch (error) {
        this.close(error as Error);
        return;
      }
      try {
        this.#route(message, payload);
      } catch (error) {
        if (error instanceof ProtocolError && error.code === ZEO_ERROR_CODES.unexpectedReply) {
          this.#logger.error({ err: error, address: this.address.label }, error.message);
        } else {
          this.close(error as Error);
          return;
        }
      }
    }
  };

  #handshake(payload: Buffer): void {
    let reply: Buffer;
    try {
      const announcement = parseServerHandshake(payload);
      const wanted = this.#options.encoding;
      const encoding: ZeoEncoding = wanted === CLIENT_ENCODINGS.pickle ? ZEO_ENCODINGS.pickle : ZEO_ENCODINGS.msgpack;
      reply = encodeHandshake(encoding);
      this.#encoding = encoding;
      this.#logger.debug({ address: this.address.label, announced: announcement.announced }, `answering ${reply.toString('latin1')}`);
    } catch (error) {
      this.close(error as Error);
      return;
    }
    const marshaller: Marshaller = this.#encoding === ZEO_ENCODINGS.pickle ? new PickleMarshaller() : new MsgpackMarshaller();
    this.#session = new RpcSession({
      marshaller,
      writeFrame: this.#write,
      onCall: this.#onServerCall,
      onOneWayError: (error, call) => this.#logger.error({ err: error, method: call.method }, `handling ${call.method} from the server failed`),
      logger: this.#logger,
    });
    this.#write(encodeFrame(reply));
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#heartbeat = setInterval(() => this.#session?.sendHeartbeat(), this.#options.heartbeatIntervalMs);
    this.#heartbeat.unref?.();
    this.#settleReady();
  }

  #route(message: ZeoMessage, payload: Buffer): void {
    const session = this.#session as RpcSession;
    if (message.kind === MESSAGE_KINDS.reply) {
      const msgid = message.msgid;
      if (typeof msgid === 'number') {
        if (this.#replyHooks.size > 0) {
          const hook = this.#replyHooks.get(msgid);
          if (hook !== undefined) {
            this.#replyHooks.delete(msgid);
            try {
              hook(message.result);
            } catch (error) {
              this.#logger.error({ err: error, address: this.address.label }, 'processing a reply failed');
            }
          }
        }
      } else if (Array.isArray(msgid)) {
        session.dispatch(this.#loadReply(msgid as readonly ZeoValue[], message.result, payload));
        return;
      }
    } else if (message.kind === MESSAGE_KINDS.errorReply && typeof message.msgid === 'number') {
      this.#replyHooks.delete(message.msgid);
    }
    session.dispatch(message);
  }

  /**
   * Copies the reply's payload once and re-points data, start and end at
   * the copy, so the cache does not pin socket buffers; tells the delegate.
   */
  #loadReply(msgid: readonly ZeoValue[], result: ZeoValue, payload: Buffer): ZeoMessage {
    const [oid, before] = msgid;
    if (!Array.isArray(result) || result.length !== 3 || !isId(oid) || !isId(before)) {
      return { kind: MESSAGE_KINDS.reply, msgid, result };
    }
    const [data, start, end] = result as readonly ZeoValue[];
    if (!(data instanceof Uint8Array) || !isId(start) || !(end === null || isId(end))) {
      return { kind: MESSAGE_KINDS.reply, msgid, result };
    }
    const copy = Buffer.allocUnsafe(payload.length);
    payload.copy(copy);
    const rebase = (view: Uint8Array): Buffer => {
      const offset = view.byteOffset - payload.byteOffset;
      if (view.buffer === payload.buffer && offset >= 0 && offset + view.length <= payload.length) {
        return copy.subarray(offset, offset + view.length);
      }
      return Buffer.from(view);
    };
    const ownData = rebase(data);
    const ownStart = rebase(start);
    const ownEnd = end === null ? null : rebase(end);
    this.#delegate?.loadReply(rebase(oid), rebase(before), ownData, ownStart, ownEnd);
    return { kind: MESSAGE_KINDS.reply, msgid, result: [ownData, ownStart, ownEnd] };
  }

  #onServerCall = (call: IncomingCall): void => {
    if (!call.oneWay || !SERVER_METHODS.has(call.method)) {
      throw new ProtocolError(ZEO_ERROR_CODES.badMessage, `the server called ${call.method}, which a ZEO client does not offer`);
    }
    if (call.method === 'invalidateTransaction') {
      const [tid, oids] = call.args;
      if (!isId(tid) || !Array.isArray(oids) || !(oids as readonly ZeoValue[]).every(isId)) {
        throw new ProtocolError(ZEO_ERROR_CODES.badMessage, 'invalidateTransaction needs (tid, [oid, …])');
      }
      const [ownTid, ...ownOids] = copyIds([tid, ...(oids as Uint8Array[])]) as [Tid, ...Oid[]];
      if (this.#delegate === undefined) this.#queuedInvalidations.push([ownTid, ownOids]);
      else this.#delegate.invalidateTransaction(ownTid, ownOids);
    } else if (call.method === 'info') {
      const [info] = call.args;
      if (info instanceof Map) this.#delegate?.info(info);
    } else {
      this.#logger.debug({ method: call.method }, 'ignoring blob message: blobs are not supported');
    }
  };
}
