import { ZkzeoError } from '../errors.js';
import type { ZeoValue } from './wire/values.js';

/**
 * The stable codes of every error the ZEO layer throws, one per class or,
 * for {@link ProtocolError}, one per way the peer broke the protocol.
 */
export const ZEO_ERROR_CODES = Object.freeze({
  /** A frame announced more bytes than the configured maximum. */
  frameTooLarge: 'ZEO_FRAME_TOO_LARGE',
  /** A frame announced a length the protocol never uses (zero). */
  badFrameLength: 'ZEO_BAD_FRAME_LENGTH',
  /** The stream ended in the middle of a frame. */
  truncatedFrame: 'ZEO_TRUNCATED_FRAME',
  /** The first frame was not a protocol version announcement. */
  badHandshake: 'ZEO_BAD_HANDSHAKE',
  /** The peer announced a protocol version we do not speak. */
  unsupportedVersion: 'ZEO_UNSUPPORTED_VERSION',
  /** A frame could not be decoded as a ZEO message. */
  badMessage: 'ZEO_BAD_MESSAGE',
  /** A value could not be encoded as a ZEO message. */
  unencodable: 'ZEO_UNENCODABLE',
  /** A reply arrived for a message id nobody was waiting for. */
  unexpectedReply: 'ZEO_UNEXPECTED_REPLY',
  /** The server raised an exception with no dedicated class here. */
  server: 'ZEO_SERVER_ERROR',
  /** A write conflict (`ZODB.POSException.ConflictError`). */
  conflict: 'ZEO_CONFLICT',
  /** A failed read-current check (`ZODB.POSException.ReadConflictError`). */
  readConflict: 'ZEO_READ_CONFLICT',
  /** BTrees conflict resolution refused (`ZODB.POSException.BTreesConflictError`). */
  btreesConflict: 'ZEO_BTREES_CONFLICT',
  /** No such object or revision (`ZODB.POSException.POSKeyError`). */
  posKey: 'ZEO_POS_KEY',
  /** A write on a read-only storage or connection (`ZODB.POSException.ReadOnlyError`). */
  readOnly: 'ZEO_READ_ONLY',
  /** A two-phase-commit call out of order (`ZODB.POSException.StorageTransactionError`). */
  storageTransaction: 'ZEO_STORAGE_TRANSACTION',
  /** The connection is gone (`ZEO.Exceptions.ClientDisconnected`). */
  clientDisconnected: 'ZEO_CLIENT_DISCONNECTED',
} as const);

/** One of the strings in {@link ZEO_ERROR_CODES}. */
export type ZeoErrorCode = (typeof ZEO_ERROR_CODES)[keyof typeof ZEO_ERROR_CODES];

/** The codes a {@link ProtocolError} can carry. */
export type ProtocolErrorCode =
  | 'ZEO_FRAME_TOO_LARGE'
  | 'ZEO_BAD_FRAME_LENGTH'
  | 'ZEO_TRUNCATED_FRAME'
  | 'ZEO_BAD_HANDSHAKE'
  | 'ZEO_UNSUPPORTED_VERSION'
  | 'ZEO_BAD_MESSAGE'
  | 'ZEO_UNENCODABLE'
  | 'ZEO_UNEXPECTED_REPLY';

/**
 * The root of the ZEO layer's errors. `retryable` tells a transaction
 * manager whether running the whole transaction again may succeed
 * (conflicts, lost connections); it never depends on the message.
 */
export class ZeoError extends ZkzeoError {
  /** Whether retrying the transaction (or call) may succeed. */
  readonly retryable: boolean;

  /** @internal */
  constructor(code: ZeoErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The peer broke the wire protocol: a bad frame length, a bad handshake or
 * an undecodable message. The owner of the connection should close it;
 * `code` says what was wrong.
 */
export class ProtocolError extends ZeoError {
  declare readonly code: ProtocolErrorCode;

  /** @internal */
  constructor(code: ProtocolErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/**
 * The connection to the server is gone (or was never there). Calls waiting
 * for a reply fail with it when the connection closes. Retryable: the
 * transaction may be run again on a new connection.
 * Python: `ZEO.Exceptions.ClientDisconnected`.
 */
export class ClientDisconnected extends ZeoError {
  /** @internal */
  constructor(message = 'Closed', options: { cause?: unknown } = {}) {
    super(ZEO_ERROR_CODES.clientDisconnected, message, { retryable: true, cause: options.cause });
  }
}

/**
 * An error that is, or stands for, a Python exception raised by the storage
 * server: it knows the Python class name and the payload the server sends
 * for it (the exception's attribute dict, or its args tuple).
 */
export abstract class StorageServerError extends ZeoError {
  /** The dotted Python class name, e.g. `ZODB.POSException.POSKeyError`. */
  abstract readonly pythonClass: string;
}

/**
 * An exception the server raised that has no dedicated class here, for
 * example `builtins.ValueError('unknown storage: x')`. Python's client
 * calls this `ZEO.Exceptions.ServerException`.
 */
export class ServerError extends StorageServerError {
  /** The dotted Python class name the server sent. */
  readonly pythonClass: string;
  /**
   * What the server sent with it: the exception's attribute dict (a
   * `Map`) if it had attributes, otherwise its args tuple (an array).
   */
  readonly payload: ZeoValue;

  /** @internal */
  constructor(pythonClass: string, payload: ZeoValue, message?: string) {
    super(ZEO_ERROR_CODES.server, message ?? `server raised ${pythonClass}`);
    this.pythonClass = pythonClass;
    this.payload = payload;
  }
}

function hex(bytes: Uint8Array | null): string {
  return bytes === null ? 'None' : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The fields of a write or read conflict, as the server reports them. */
export interface ConflictDetails {
  /** The conflicting object's oid (8 bytes), if known. */
  readonly oid?: Uint8Array | null;
  /**
   * `[committed serial, serial the transaction read]` (8 bytes each), if
   * known. Python calls this `serials`.
   */
  readonly serials?: readonly [Uint8Array, Uint8Array] | null;
  /** The Python class of the conflicting object, e.g. `persistent.mapping.PersistentMapping`. */
  readonly className?: string | null;
  /** The message the server used; defaults to Python's default. */
  readonly message?: string;
}

/**
 * A write conflict: another transaction committed the object after this
 * transaction read it, and the conflict could not be resolved. Retryable.
 * Python: `ZODB.POSException.ConflictError`.
 */
export class ConflictError extends StorageServerError {
  /** The Python class this error stands for. */
  readonly pythonClass: string = 'ZODB.POSException.ConflictError';
  /** The conflicting object's oid (8 bytes), or null if unknown. */
  readonly oid: Uint8Array | null;
  /** `[committed serial, serial read]`, or null if unknown. */
  readonly serials: readonly [Uint8Array, Uint8Array] | null;
  /** Python class of the object, or null if unknown. */
  readonly className: string | null;
  /** The server's message text (Python's `message` attribute). */
  readonly serverMessage: string;

  /** @internal */
  constructor(details: ConflictDetails = {}, code: ZeoErrorCode = ZEO_ERROR_CODES.conflict) {
    const serverMessage = details.message ?? defaultConflictMessage(code);
    const oid = details.oid ?? null;
    const serials = details.serials ?? null;
    const parts = [serverMessage];
    if (oid !== null) parts.push(`oid ${hex(oid)}`);
    if (serials !== null) parts.push(`serial this txn started with ${hex(serials[1])} < current serial ${hex(serials[0])}`);
    if (details.className != null) parts.push(`class ${details.className}`);
    super(code, parts.join(', '), { retryable: true });
    this.oid = oid;
    this.serials = serials;
    this.className = details.className ?? null;
    this.serverMessage = serverMessage;
  }
}

function defaultConflictMessage(code: ZeoErrorCode): string {
  return code === ZEO_ERROR_CODES.readConflict ? 'database read conflict error' : 'database conflict error';
}

/**
 * A `checkCurrentSerialInTransaction` check failed at vote: an object the
 * transaction only read was changed meanwhile. Retryable.
 * Python: `ZODB.POSException.ReadConflictError`.
 */
export class ReadConflictError extends ConflictError {
  /** The Python class this error stands for. */
  override readonly pythonClass: string = 'ZODB.POSException.ReadConflictError';

  /** @internal */
  constructor(details: ConflictDetails = {}) {
    super(details, ZEO_ERROR_CODES.readConflict);
  }
}

/** The positions BTrees conflict resolution reports. */
export interface BTreesConflictDetails {
  /** Position in the old state. */
  readonly p1: number;
  /** Position in the committed state. */
  readonly p2: number;
  /** Position in the new state. */
  readonly p3: number;
  /** BTrees' numeric reason code. */
  readonly reason: number;
}

/**
 * BTrees conflict resolution refused a conflict. Retryable.
 * Python: `ZODB.POSException.BTreesConflictError`.
 */
export class BTreesConflictError extends ConflictError {
  /** The Python class this error stands for. */
  override readonly pythonClass: string = 'ZODB.POSException.BTreesConflictError';
  /** The positions and reason BTrees reported. */
  readonly btrees: BTreesConflictDetails;

  /** @internal */
  constructor(btrees: BTreesConflictDetails) {
    super({ message: `BTrees conflict error at ${btrees.p1}/${btrees.p2}/${btrees.p3}: reason ${btrees.reason}` },
      ZEO_ERROR_CODES.btreesConflict);
    this.btrees = btrees;
  }
}

/**
 * The object (or the requested revision) does not exist.
 * Python: `ZODB.POSException.POSKeyError`, raised with the oid.
 */
export class POSKeyError extends StorageServerError {
  /** The Python class this error stands for. */
  readonly pythonClass: string = 'ZODB.POSException.POSKeyError';
  /** The missing oid (8 bytes). */
  readonly oid: Uint8Array;

  /** @internal */
  constructor(oid: Uint8Array) {
    super(ZEO_ERROR_CODES.posKey, `no such object: oid ${hex(oid)}`);
    this.oid = oid;
  }
}

/**
 * A write was attempted on a read-only storage or connection.
 * Python: `ZODB.POSException.ReadOnlyError`, raised without arguments.
 */
export class ReadOnlyError extends StorageServerError {
  /** The Python class this error stands for. */
  readonly pythonClass: string = 'ZODB.POSException.ReadOnlyError';

  /** @internal */
  constructor(message = 'the storage is read-only') {
    super(ZEO_ERROR_CODES.readOnly, message);
  }
}

/**
 * A two-phase-commit call came out of order: no or another transaction in
 * progress, or a second vote. `args` are the Python exception's args, e.g.
 * `['Already voting (locked)']` or `[currentHandle, givenHandle]`.
 * Python: `ZODB.POSException.StorageTransactionError`.
 */
export class StorageTransactionError extends StorageServerError {
  /** The Python class this error stands for. */
  readonly pythonClass: string = 'ZODB.POSException.StorageTransactionError';
  /** The exception's args as the server sent them. */
  readonly args: readonly ZeoValue[];

  /** @internal */
  constructor(args: readonly ZeoValue[]) {
    super(ZEO_ERROR_CODES.storageTransaction, `storage transaction error: ${args.map((a) => String(a)).join(', ')}`);
    this.args = args;
  }
}
