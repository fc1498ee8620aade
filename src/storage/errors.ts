/**
 * Errors of the storage layer: the library's one family of ZODB
 * `POSException` errors. FileStorage and MappingStorage throw these classes;
 * the ZEO client throws them too (their wire forms in `zeo/errors.ts` are
 * subclasses that only add what the server sent), and the object layer lets
 * them through. So `err instanceof ConflictError` holds for a conflict
 * wherever it was found, and `code` is the same for every source.
 */
import { ZkzeoError } from '../errors.js';
import { idRepr, type Oid, type Tid } from './oid.js';
import { recordClassName } from './record-class-name.js';
import { readableTidRepr } from './timestamp.js';

/**
 * The stable codes of the storage errors, one per class. The ZEO wire forms
 * of these classes carry the same codes: a code names the problem, not the
 * transport that reported it.
 */
export const STORAGE_ERROR_CODES = Object.freeze({
  /** No such object or revision ({@link POSKeyError}). */
  posKey: 'STORAGE_POS_KEY',
  /** A write conflict ({@link ConflictError}). */
  conflict: 'STORAGE_CONFLICT',
  /** A failed read-current check ({@link ReadConflictError}). */
  readConflict: 'STORAGE_READ_CONFLICT',
  /** BTrees conflict resolution refused, on a ZEO server (`BTreesConflictError`, a {@link ConflictError}). */
  btreesConflict: 'STORAGE_BTREES_CONFLICT',
  /** A write on a read-only storage ({@link ReadOnlyError}). */
  readOnly: 'STORAGE_READ_ONLY',
  /** A two-phase-commit call out of order ({@link StorageTransactionError}). */
  transaction: 'STORAGE_TRANSACTION',
  /** A damaged storage file ({@link CorruptFileError}). */
  corruptFile: 'STORAGE_CORRUPT_FILE',
  /** The storage file is locked by another process ({@link StorageLockedError}). */
  locked: 'STORAGE_LOCKED',
  /** The storage is closed ({@link StorageClosedError}). */
  closed: 'STORAGE_CLOSED',
  /** A pack could not run or failed ({@link PackError}). */
  pack: 'STORAGE_PACK',
  /** A commit failed after it was asked to finish: it may or may not be durable ({@link TransactionOutcomeUnknownError}). */
  outcomeUnknown: 'STORAGE_OUTCOME_UNKNOWN',
} as const);

/** One of the strings in {@link STORAGE_ERROR_CODES}. */
export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[keyof typeof STORAGE_ERROR_CODES];

/**
 * The root of the storage layer's errors (Python's `POSError`).
 * `retryable` tells a transaction manager whether running the whole
 * transaction again may succeed (Python's `TransientError`: conflicts); it
 * never depends on the message.
 */
export class StorageError extends ZkzeoError {
  /** Whether running the transaction again may succeed. */
  readonly retryable: boolean;

  /** @internal */
  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

/** `idRepr` for a well-formed id; the hex of anything else (a server may send odd bytes). */
function describeId(id: Buffer): string {
  return id.length === 8 ? idRepr(id) : `0x${id.toString('hex')} (${id.length} bytes)`;
}

function describeTid(tid: Tid): string {
  return tid.length === 8 ? readableTidRepr(tid) : describeId(tid);
}

/** The object does not exist in the storage (or not in the revision asked for). */
export class POSKeyError extends StorageError {
  /** The oid that was not found. */
  readonly oid: Oid;

  /** @internal */
  constructor(oid: Oid, detail?: string) {
    super(STORAGE_ERROR_CODES.posKey, `object ${describeId(oid)} not found${detail === undefined ? '' : `: ${detail}`}`);
    this.oid = Buffer.from(oid);
  }
}

/** One conflicting store or read check found when voting. */
export interface ConflictDetail {
  /** The object in conflict. */
  readonly oid: Oid;
  /** `[currently committed serial, serial the transaction started from]`, as ZODB orders them. */
  readonly serials: readonly [Tid, Tid];
  /** The record the transaction tried to store (absent for read conflicts). */
  readonly data?: Buffer | undefined;
  /** True for a failed `checkCurrentSerialInTransaction` (a read conflict). */
  readonly read: boolean;
}

/**
 * What a conflict is known by when it is created. A local storage knows
 * everything (a {@link ConflictDetail}); a server may report a conflict
 * without oid or serials, as Python's `ConflictError()` allows.
 */
export interface ConflictReport {
  /** The object in conflict, if known. */
  readonly oid?: Oid | undefined;
  /** `[currently committed serial, serial the transaction started from]`, if known. */
  readonly serials?: readonly [Tid, Tid] | undefined;
  /** The record the transaction tried to store, if known. */
  readonly data?: Buffer | undefined;
  /** The class of the object, when `data` is not at hand (a server names it). */
  readonly className?: string | undefined;
  /** True for a failed read-current check. */
  readonly read?: boolean;
  /** The text Python keeps as the exception's `message`; defaults to ZODB's. */
  readonly message?: string;
}

function describeConflict(message: string, report: ConflictReport, className: string | undefined): string {
  const extras: string[] = [];
  if (report.oid !== undefined) extras.push(`oid ${describeId(report.oid)}`);
  if (className !== undefined) extras.push(`class ${className}`);
  if (report.serials !== undefined) {
    extras.push(`serial this txn started with ${describeTid(report.serials[1])}`);
    extras.push(`serial currently committed ${describeTid(report.serials[0])}`);
  }
  return extras.length === 0 ? message : `${message} (${extras.join(', ')})`;
}

/**
 * Another transaction changed an object this transaction stores, after this
 * transaction read it. The transaction must be aborted and may be retried
 * (`retryable` is true). `oid`/`serials` describe the first conflict
 * (undefined only when a server reported a conflict without them);
 * `conflicts` lists every one found by the vote (a ZEO server in
 * client-conflict-resolution mode needs them all).
 */
export class ConflictError extends StorageError {
  /** The oid of the (first) object in conflict, if known. */
  readonly oid: Oid | undefined;
  /** `[currently committed serial, serial the transaction started from]`, if known. */
  readonly serials: readonly [Tid, Tid] | undefined;
  /** The record that failed to commit, when known. */
  readonly data: Buffer | undefined;
  /** The class of the object, `module.Name`, when it could be read from `data` or was reported. */
  readonly className: string | undefined;
  /** Every conflict found with its oid and serials known, this one first. */
  readonly conflicts: readonly ConflictDetail[];

  /** @internal */
  constructor(report: ConflictReport, others: readonly ConflictDetail[] = [], code: string = STORAGE_ERROR_CODES.conflict) {
    const read = report.read ?? false;
    const className = (report.data === undefined ? undefined : recordClassName(report.data)) ?? report.className;
    const message = report.message ?? (read ? 'database read conflict error' : 'database conflict error');
    super(code, describeConflict(message, report, className), { retryable: true });
    this.oid = report.oid;
    this.serials = report.serials;
    this.data = report.data;
    this.className = className;
    const { oid, serials } = report;
    this.conflicts = oid === undefined || serials === undefined ? [...others] : [{ oid, serials, data: report.data, read }, ...others];
  }
}

/** An object the transaction required to stay unchanged (`checkCurrentSerialInTransaction`) was changed. */
export class ReadConflictError extends ConflictError {
  /** @internal */
  constructor(report: ConflictReport, others: readonly ConflictDetail[] = []) {
    super({ ...report, read: report.read ?? true }, others, STORAGE_ERROR_CODES.readConflict);
  }
}

/** A write was attempted on a read-only storage (or a read-only connection to one). */
export class ReadOnlyError extends StorageError {
  /** @internal */
  constructor(name?: string, message = name === undefined ? 'the storage is read-only' : `storage ${name} is read-only`) {
    super(STORAGE_ERROR_CODES.readOnly, message);
  }
}

/** A two-phase-commit call came out of order or named a transaction that is not the current one. */
export class StorageTransactionError extends StorageError {
  /** @internal */
  constructor(message: string) {
    super(STORAGE_ERROR_CODES.transaction, message);
  }
}

/** The storage file is damaged at `offset`; a file in this state is never modified. */
export class CorruptFileError extends StorageError {
  /** The file that is damaged. */
  readonly path: string;
  /** The byte offset where the damage was found. */
  readonly offset: number;

  /** @internal */
  constructor(path: string, offset: number, problem: string, options?: { cause?: unknown }) {
    super(STORAGE_ERROR_CODES.corruptFile, `${path} is corrupt at byte offset ${offset}: ${problem}`, options);
    this.path = path;
    this.offset = offset;
  }
}

/** Another storage object (in this or another process) has the file open for writing. */
export class StorageLockedError extends StorageError {
  /** The lock file that is held. */
  readonly lockPath: string;
  /** The process id written in the lock file, if it could be read. */
  readonly pid: number | undefined;

  /** @internal */
  constructor(lockPath: string, pid: number | undefined) {
    const holder = pid === undefined ? '' : ` (held by process ${pid})`;
    super(STORAGE_ERROR_CODES.locked, `could not lock ${lockPath}${holder}: the storage is open elsewhere`);
    this.lockPath = lockPath;
    this.pid = pid;
  }
}

/** The storage was closed (or shut itself down after a failed write). */
export class StorageClosedError extends StorageError {
  /** @internal */
  constructor(name: string) {
    super(STORAGE_ERROR_CODES.closed, `storage ${name} is closed`);
  }
}

/**
 * A pack refused or failed (ZODB's `FileStorageError` from `pack`): a bad
 * pack time, a pack already running, or a reference to an object that
 * does not exist at the pack time. The storage is unchanged.
 */
export class PackError extends StorageError {
  /** @internal */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(STORAGE_ERROR_CODES.pack, message, options);
  }
}

/**
 * A commit failed after `tpcFinish` was requested (a lost ZEO connection
 * before the reply, a failed `fsync`): the transaction may or may not have
 * been committed. Never retryable, since running it again could apply it
 * twice; check the database in a new transaction to learn which happened.
 * Python's ZODB treats any failure in `tpc_finish` the same way.
 */
export class TransactionOutcomeUnknownError extends StorageError {
  /** @internal */
  constructor(storageName: string, options: { cause?: unknown } = {}) {
    const cause = options.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      STORAGE_ERROR_CODES.outcomeUnknown,
      `the commit to ${storageName} failed after it was asked to finish${cause}; the transaction may or may not have been committed. ` +
        'It is not retried: check the database in a new transaction before running it again',
      { cause: options.cause, retryable: false },
    );
  }
}
