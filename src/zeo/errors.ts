/**
 * Errors of the ZEO layer. ZEO's own (`ZEO.Exceptions` and the wire
 * protocol) extend {@link ZeoError}. The POSException errors a server
 * raises are not ZEO's: they are the storage family of `storage/errors.ts`,
 * and the classes below with the same names (`ConflictError`,
 * `POSKeyError`, …) are only their wire forms, subclasses that add the
 * Python class name and what the server sent, with the storage codes.
 * Catch the storage classes; the wire forms are for the client and server.
 */
import { ZkzeoError } from '../errors.js';
import * as storage from '../storage/errors.js';
import type { ZeoValue } from './wire/values.js';

/** Dotted Python class names of the exceptions that get typed errors (the wire forms below). */
export const PYTHON_EXCEPTION_CLASSES = Object.freeze({
  /** A write conflict. */
  conflict: 'ZODB.POSException.ConflictError',
  /** A failed read-current check. */
  readConflict: 'ZODB.POSException.ReadConflictError',
  /** BTrees conflict resolution refused. */
  btreesConflict: 'ZODB.POSException.BTreesConflictError',
  /** No such object or revision. */
  posKey: 'ZODB.POSException.POSKeyError',
  /** A write on a read-only storage. */
  readOnly: 'ZODB.POSException.ReadOnlyError',
  /** A two-phase-commit call out of order. */
  storageTransaction: 'ZODB.POSException.StorageTransactionError',
  /**
   * A FileStorage failure; what a server raises for a refused pack (a bad
   * pack time, a pack already running). A reply to `pack` with it becomes
   * a {@link PackError}.
   */
  fileStorage: 'ZODB.FileStorage.FileStorage.FileStorageError',
  /** FileStorage's own pack failure (a `FileStorageError`); a {@link PackError} too. */
  fileStoragePack: 'ZODB.FileStorage.FileStorage.PackError',
} as const);

/**
 * The stable codes of ZEO's own errors, one per class or, for
 * {@link ProtocolError}, one per way the peer broke the protocol. The
 * POSException errors a server raises carry the storage codes
 * (`STORAGE_CONFLICT`, `STORAGE_POS_KEY`, … in `STORAGE_ERROR_CODES`).
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
 * The root of ZEO's own errors (protocol, connection, unknown server
 * exceptions). `retryable` tells a transaction manager whether running the
 * whole transaction again may succeed (a lost connection); it never
 * depends on the message. Conflicts are storage errors (also retryable).
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
 * transaction may be run again on a new connection, since the server
 * aborts a transaction whose connection is lost before `tpc_finish`. Once
 * `tpc_finish` was sent, a lost connection is reported as the storage
 * layer's `TransactionOutcomeUnknownError` instead, which is not retryable.
 * Python: `ZEO.Exceptions.ClientDisconnected`.
 */
export class ClientDisconnected extends ZeoError {
  /** @internal */
  constructor(message = 'Closed', options: { cause?: unknown } = {}) {
    super(ZEO_ERROR_CODES.clientDisconnected, message, { retryable: true, cause: options.cause });
  }
}

/**
 * What every error that stands for an exception the storage server raised
 * carries besides its class: the dotted Python class name. The POSException
 * ones are instances of the storage family (`ConflictError`, `POSKeyError`,
 * …, from `storage/errors.ts`); anything else is a {@link ServerError}.
 */
export interface ServerException extends ZkzeoError {
  /** The dotted Python class name, e.g. `ZODB.POSException.POSKeyError`. */
  readonly pythonClass: string;
  /** Whether running the transaction again may succeed (conflicts). */
  readonly retryable: boolean;
}

/**
 * An exception the server raised that has no dedicated class here, for
 * example `builtins.ValueError('unknown storage: x')`. Python's client
 * calls this `ZEO.Exceptions.ServerException`.
 */
export class ServerError extends ZeoError implements ServerException {
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

/** A Buffer over the same bytes (no copy), as the storage classes hold ids. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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

function conflictReport(details: ConflictDetails, serverMessage: string): storage.ConflictReport {
  const { oid, serials, className } = details;
  return {
    oid: oid == null ? undefined : asBuffer(oid),
    serials: serials == null ? undefined : [asBuffer(serials[0]), asBuffer(serials[1])],
    className: className ?? undefined,
    message: serverMessage,
  };
}

/**
 * The wire form of a write conflict (`ZODB.POSException.ConflictError`):
 * the storage layer's {@link storage.ConflictError}, so it is caught as
 * one, plus the text the server sent. Retryable.
 */
export class ConflictError extends storage.ConflictError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string = PYTHON_EXCEPTION_CLASSES.conflict;
  /** The server's message text (Python's `message` attribute). */
  readonly serverMessage: string;

  /** @internal */
  constructor(details: ConflictDetails = {}) {
    const serverMessage = details.message ?? 'database conflict error';
    super(conflictReport(details, serverMessage));
    this.serverMessage = serverMessage;
  }
}

/**
 * The wire form of a failed `checkCurrentSerialInTransaction` check
 * (`ZODB.POSException.ReadConflictError`): the storage layer's
 * {@link storage.ReadConflictError} plus the text the server sent. Retryable.
 */
export class ReadConflictError extends storage.ReadConflictError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string = PYTHON_EXCEPTION_CLASSES.readConflict;
  /** The server's message text (Python's `message` attribute). */
  readonly serverMessage: string;

  /** @internal */
  constructor(details: ConflictDetails = {}) {
    const serverMessage = details.message ?? 'database read conflict error';
    super(conflictReport(details, serverMessage));
    this.serverMessage = serverMessage;
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
 * BTrees conflict resolution on the server refused a conflict. A
 * {@link storage.ConflictError} (without oid or serials: Python's carries
 * only the positions), so it is retried and caught like any conflict.
 * Python: `ZODB.POSException.BTreesConflictError`.
 */
export class BTreesConflictError extends storage.ConflictError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string = PYTHON_EXCEPTION_CLASSES.btreesConflict;
  /** The positions and reason BTrees reported. */
  readonly btrees: BTreesConflictDetails;

  /** @internal */
  constructor(btrees: BTreesConflictDetails) {
    super(
      { message: `BTrees conflict error at ${btrees.p1}/${btrees.p2}/${btrees.p3}: reason ${btrees.reason}` },
      [],
      storage.STORAGE_ERROR_CODES.btreesConflict,
    );
    this.btrees = btrees;
  }
}

/**
 * The wire form of `ZODB.POSException.POSKeyError`, raised with the oid:
 * the storage layer's {@link storage.POSKeyError}.
 */
export class POSKeyError extends storage.POSKeyError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string = PYTHON_EXCEPTION_CLASSES.posKey;

  /** @internal */
  constructor(oid: Uint8Array) {
    super(asBuffer(oid));
  }
}

/**
 * The wire form of `ZODB.POSException.ReadOnlyError`, raised without
 * arguments: the storage layer's {@link storage.ReadOnlyError}.
 */
export class ReadOnlyError extends storage.ReadOnlyError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string = PYTHON_EXCEPTION_CLASSES.readOnly;

  /** @internal */
  constructor(message = 'the storage is read-only') {
    super(undefined, message);
  }
}

/**
 * The wire form of `ZODB.POSException.StorageTransactionError`: a
 * two-phase-commit call came out of order (no or another transaction in
 * progress, or a second vote). The storage layer's
 * {@link storage.StorageTransactionError} plus the Python exception's
 * args, e.g. `['Already voting (locked)']` or `[currentHandle, givenHandle]`.
 */
export class StorageTransactionError extends storage.StorageTransactionError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string = PYTHON_EXCEPTION_CLASSES.storageTransaction;
  /** The exception's args as the server sent them. */
  readonly args: readonly ZeoValue[];

  /** @internal */
  constructor(args: readonly ZeoValue[]) {
    super(`storage transaction error: ${args.map((a) => String(a)).join(', ')}`);
    this.args = args;
  }
}

/**
 * The wire form of a failed or refused pack: the storage layer's
 * {@link storage.PackError} plus the Python class and args the server
 * sent. Our server sends a `PackError` as
 * `ZODB.FileStorage.FileStorage.FileStorageError(message)`, what Python's
 * FileStorage raises for a bad pack time or a pack already running.
 */
export class PackError extends storage.PackError implements ServerException {
  /** The Python class this error stands for. */
  readonly pythonClass: string;
  /** The exception's args as the server sent them. */
  readonly args: readonly ZeoValue[];

  /** @internal */
  constructor(pythonClass: string = PYTHON_EXCEPTION_CLASSES.fileStorage, args: readonly ZeoValue[] = []) {
    const [first] = args;
    const described = args.map((a) => (a instanceof Uint8Array ? `0x${Buffer.from(a).toString('hex')}` : String(a)));
    super(typeof first === 'string' ? first : `the server could not pack: ${pythonClass}(${described.join(', ')})`);
    this.pythonClass = pythonClass;
    this.args = args;
  }
}

/** Whether `error` is one of the classes above that stand for an exception the server raised. */
export function isServerException(error: unknown): error is ServerException {
  return (
    error instanceof ServerError ||
    error instanceof ConflictError ||
    error instanceof ReadConflictError ||
    error instanceof BTreesConflictError ||
    error instanceof POSKeyError ||
    error instanceof ReadOnlyError ||
    error instanceof StorageTransactionError ||
    error instanceof PackError
  );
}
