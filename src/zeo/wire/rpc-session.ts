import { InvalidArgumentError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import { ClientDisconnected, ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import type { Marshaller } from './marshaller.js';
import { MESSAGE_KINDS, heartbeatMessage, type MessageId, type ReplyMessage, type ZeoMessage } from './message.js';
import { messageIdKey } from './message-id-key.js';
import { errorFromReply, errorReplyFor } from './server-exceptions.js';
import type { ZeoValue } from './values.js';

/** A call that arrived from the peer. */
export interface IncomingCall {
  /** The method's name. */
  readonly method: string;
  /** Its positional arguments. */
  readonly args: readonly ZeoValue[];
  /** True for a call without a reply (whatever the handler returns is dropped). */
  readonly oneWay: boolean;
  /** The msgid a reply will echo; undefined for one-way calls. */
  readonly msgid: MessageId | undefined;
}

/**
 * Handles a call from the peer. The return value (or the promise's value)
 * is the reply; `undefined` replies `None`. A thrown error becomes an error
 * reply, marshalled as the reference server would. Handlers are invoked
 * synchronously in arrival order; a handler that returns a promise lets
 * later messages be handled before it settles (replies may then go out of
 * order, which the protocol allows).
 */
export type IncomingCallHandler = (call: IncomingCall) => ZeoValue | void | Promise<ZeoValue | void>;

/** Options of {@link RpcSession}. */
export interface RpcSessionOptions {
  /** The connection's encoding (chosen by the handshake). */
  readonly marshaller: Marshaller;
  /**
   * Writes one whole frame (length prefix included) to the connection. It
   * may throw if the connection is gone; the call that wrote then fails
   * with that error.
   */
  readonly writeFrame: (frame: Buffer) => void;
  /**
   * Handles calls from the peer (server → client `invalidateTransaction`,
   * `info`, `receiveBlob*`, or client → server methods). Without it any
   * incoming call is a protocol error.
   */
  readonly onCall?: IncomingCallHandler;
  /**
   * Told when the handler of a one-way call failed. The reference server
   * closes the connection then; the reference client logs and carries on.
   * @defaultValue logs the error at `error` level
   */
  readonly onOneWayError?: (error: unknown, call: IncomingCall) => void;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/** Options of one {@link RpcSession.call}. */
export interface CallOptions {
  /**
   * Use this msgid instead of the next integer, as the Python client does
   * for `loadBefore` (msgid = `(oid, tid)`). A call with the msgid of a
   * call of the same method still waiting shares its reply.
   */
  readonly msgid?: MessageId;
}

interface PendingCall {
  readonly method: string;
  readonly promise: Promise<ZeoValue>;
  readonly resolve: (value: ZeoValue) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The request/reply bookkeeping of one ZEO connection, bytes only: it
 * allocates msgids, writes calls through `writeFrame`, matches replies
 * (which may come out of order) to the waiting promises, turns error
 * replies into typed errors, hands incoming calls to a handler and writes
 * its replies, and fails everything still waiting with
 * {@link ClientDisconnected} when the connection closes. The owner feeds
 * it every payload after the handshake with {@link receive}.
 */
export class RpcSession {
  readonly #marshaller: Marshaller;
  readonly #writeFrame: (frame: Buffer) => void;
  readonly #onCall: IncomingCallHandler | undefined;
  readonly #onOneWayError: (error: unknown, call: IncomingCall) => void;
  readonly #logger: Logger;
  readonly #pending = new Map<string, PendingCall>();
  #lastMsgid = 0;
  #closed = false;

  /** @throws InvalidArgumentError if `marshaller` or `writeFrame` is missing. */
  constructor(options: RpcSessionOptions) {
    if (options?.marshaller === undefined) throw new InvalidArgumentError('RpcSession needs a marshaller');
    if (typeof options.writeFrame !== 'function') throw new InvalidArgumentError('RpcSession needs a writeFrame function');
    this.#marshaller = options.marshaller;
    this.#writeFrame = options.writeFrame;
    this.#onCall = options.onCall;
    const logger = options.logger ?? silentLogger;
    this.#logger = logger;
    this.#onOneWayError =
      options.onOneWayError ??
      ((error, call) => logger.error({ err: error, method: call.method }, `one-way call ${call.method} failed`));
  }

  /** The connection's marshaller. */
  get marshaller(): Marshaller {
    return this.#marshaller;
  }

  /** How many calls are waiting for their reply. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Calls `method` on the peer and resolves with its reply.
   * Rejects with the typed error of an error reply, with
   * {@link ClientDisconnected} if the session is or gets closed first, or
   * with the error `writeFrame` or the encoder threw.
   */
  call(method: string, args: readonly ZeoValue[] = [], options: CallOptions = {}): Promise<ZeoValue> {
    if (this.#closed) return Promise.reject(new ClientDisconnected('closed'));
    let msgid: MessageId;
    let key: string;
    if (options.msgid === undefined) {
      msgid = ++this.#lastMsgid;
      key = messageIdKey(msgid);
    } else {
      msgid = options.msgid;
      key = messageIdKey(msgid);
      const waiting = this.#pending.get(key);
      if (waiting !== undefined) {
        if (waiting.method === method) return waiting.promise;
        return Promise.reject(new InvalidArgumentError(`msgid of ${method} is already used by a pending ${waiting.method} call`));
      }
    }
    let resolve!: (value: ZeoValue) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<ZeoValue>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#pending.set(key, { method, promise, resolve, reject });
    try {
      this.#writeFrame(this.#marshaller.encodeFrame({ kind: MESSAGE_KINDS.call, msgid, method, args }));
    } catch (error) {
      this.#pending.delete(key);
      reject(error);
    }
    return promise;
  }

  /**
   * Calls `method` on the peer without waiting for (or getting) a reply.
   * @throws ClientDisconnected if the session is closed, or whatever
   *   `writeFrame` or the encoder threw.
   */
  callOneWay(method: string, args: readonly ZeoValue[] = []): void {
    if (this.#closed) throw new ClientDisconnected(`cannot send ${method}: closed`);
    this.#writeFrame(this.#marshaller.encodeFrame({ kind: MESSAGE_KINDS.oneWay, method, args }));
  }

  /** Writes the keep-alive message `(-1, 0, '.reply', None)` (if not closed). */
  sendHeartbeat(): void {
    if (!this.#closed) this.#writeFrame(this.#marshaller.encodeFrame(heartbeatMessage()));
  }

  /**
   * Handles one payload received after the handshake. Ignored once closed.
   * @throws ProtocolError `ZEO_BAD_MESSAGE` if it cannot be decoded or is a
   *   call nobody handles (close the connection), `ZEO_UNEXPECTED_REPLY` for
   *   a reply to no pending call (the session stays usable; Python's client
   *   logs it and carries on).
   */
  receive(payload: Uint8Array): void {
    if (this.#closed) return;
    this.dispatch(this.#marshaller.decode(payload));
  }

  /** Like {@link receive}, for a message already decoded. */
  dispatch(message: ZeoMessage): void {
    if (this.#closed) return;
    switch (message.kind) {
      case MESSAGE_KINDS.heartbeat:
        return;
      case MESSAGE_KINDS.reply:
        this.#settle(message.msgid).resolve(message.result);
        return;
      case MESSAGE_KINDS.errorReply:
        this.#settle(message.msgid).reject(errorFromReply(message.pythonClass, message.payload));
        return;
      case MESSAGE_KINDS.oneWay:
        this.#handleOneWay({ method: message.method, args: message.args, oneWay: true, msgid: undefined });
        return;
      case MESSAGE_KINDS.call:
        this.#handleCall({ method: message.method, args: message.args, oneWay: false, msgid: message.msgid });
        return;
    }
  }

  /**
   * Marks the session closed and fails every waiting call with
   * {@link ClientDisconnected} (message: `reason`'s message, or `Closed`;
   * `reason` becomes its cause). Idempotent.
   */
  close(reason?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    const message = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'Closed';
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    for (const call of waiting) {
      call.reject(new ClientDisconnected(message, reason instanceof Error ? { cause: reason } : {}));
    }
  }

  #settle(msgid: MessageId): PendingCall {
    const key = messageIdKey(msgid);
    const call = this.#pending.get(key);
    if (call === undefined) {
      throw new ProtocolError(ZEO_ERROR_CODES.unexpectedReply, `reply for msgid ${key}, which no call is waiting for`);
    }
    this.#pending.delete(key);
    return call;
  }

  #handler(call: IncomingCall): IncomingCallHandler {
    if (this.#onCall === undefined) {
      throw new ProtocolError(ZEO_ERROR_CODES.badMessage, `unexpected call of ${call.method}: no handler for incoming calls`);
    }
    return this.#onCall;
  }

  #handleOneWay(call: IncomingCall): void {
    const handler = this.#handler(call);
    try {
      const result = handler(call);
      if (result instanceof Promise) result.catch((error: unknown) => this.#onOneWayError(error, call));
    } catch (error) {
      this.#onOneWayError(error, call);
    }
  }

  #handleCall(call: IncomingCall): void {
    const handler = this.#handler(call);
    const msgid = call.msgid as MessageId;
    let result: ZeoValue | void | Promise<ZeoValue | void>;
    try {
      result = handler(call);
    } catch (error) {
      this.#sendReply({ kind: MESSAGE_KINDS.reply, msgid, result: null }, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => this.#sendReply({ kind: MESSAGE_KINDS.reply, msgid, result: value ?? null }),
        (error: unknown) => this.#sendReply({ kind: MESSAGE_KINDS.reply, msgid, result: null }, error),
      );
    } else {
      this.#sendReply({ kind: MESSAGE_KINDS.reply, msgid, result: result ?? null });
    }
  }

  /**
   * Writes a reply, or the error reply for `error` when one is given. A
   * result or exception the encoder refuses is replaced, as the reference
   * server does, by an error reply; a failing write is logged (the
   * connection is then gone and its owner will close the session).
   */
  #sendReply(reply: ReplyMessage, error?: unknown): void {
    if (this.#closed) return;
    let frame: Buffer;
    try {
      frame = this.#encodeReply(reply, error);
    } catch (encodeError) {
      this.#logger.error({ err: encodeError }, `cannot encode the reply to ${messageIdKey(reply.msgid)}`);
      return;
    }
    try {
      this.#writeFrame(frame);
    } catch (writeError) {
      this.#logger.error({ err: writeError }, `cannot write the reply to ${messageIdKey(reply.msgid)}`);
    }
  }

  #encodeReply(reply: ReplyMessage, error: unknown): Buffer {
    if (error === undefined) {
      try {
        return this.#marshaller.encodeFrame(reply);
      } catch {
        return this.#marshaller.encodeFrame(errorReplyFor(reply.msgid, new RangeError("Couldn't pickle response")));
      }
    }
    try {
      return this.#marshaller.encodeFrame(errorReplyFor(reply.msgid, error));
    } catch {
      const message = error instanceof Error ? error.message : String(error);
      return this.#marshaller.encodeFrame(errorReplyFor(reply.msgid, new Error(message)));
    }
  }
}
