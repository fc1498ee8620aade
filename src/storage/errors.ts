/**
 * Errors of the storage layer. Names follow ZODB's `POSException` module
 * where the concept is ZODB's, so people who know ZODB recognise them.
 */
import { ZkzeoError } from '../errors.js';
import { idRepr, type Oid, type Tid } from './oid.js';
import { recordClassName } from './record-class-name.js';
import { readableTidRepr } from './timestamp.js';

/** The root of the storage layer's errors. */
export class StorageError extends ZkzeoError {}

/** The object does not exist in the storage (or not in the revision asked for). */
export class POSKeyError extends StorageError {
  /** The oid that was not found. */
  readonly oid: Oid;

  /** @internal */
  constructor(oid: Oid, detail?: string) {
    super('STORAGE_POS_KEY', `object ${idRepr(oid)} not found${detail === undefined ? '' : `: ${detail}`}`);
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

function describeConflict(message: string, detail: ConflictDetail): string {
  const extras = [`oid ${idRepr(detail.oid)}`];
  const className = detail.data === undefined ? undefined : recordClassName(detail.data);
  if (className !== undefined) extras.push(`class ${className}`);
  extras.push(`serial this txn started with ${readableTidRepr(detail.serials[1])}`);
  extras.push(`serial currently committed ${readableTidRepr(detail.serials[0])}`);
  return `${message} (${extras.join(', ')})`;
}

/**
 * Another transaction changed an object this transaction stores, after this
 * transaction read it. The transaction must be aborted and may be retried.
 * `oid`/`serials` describe the first conflict; `conflicts` lists every one
 * found by the vote (a ZEO server in client-conflict-resolution mode needs
 * them all).
 */
export class ConflictError extends StorageError {
  /** The oid of the (first) object in conflict. */
  readonly oid: Oid;
  /** `[currently committed serial, serial the transaction started from]`. */
  readonly serials: readonly [Tid, Tid];
  /** The record that failed to commit, when known. */
  readonly data: Buffer | undefined;
  /** The class named by `data`, `module.Name`, when it could be read. */
  readonly className: string | undefined;
  /** Every conflict found, this one first. */
  readonly conflicts: readonly ConflictDetail[];

  /** @internal */
  constructor(detail: ConflictDetail, others: readonly ConflictDetail[] = [], code = 'STORAGE_CONFLICT') {
    super(code, describeConflict(detail.read ? 'database read conflict error' : 'database conflict error', detail));
    this.oid = detail.oid;
    this.serials = detail.serials;
    this.data = detail.data;
    this.className = detail.data === undefined ? undefined : recordClassName(detail.data);
    this.conflicts = [detail, ...others];
  }
}

/** An object the transaction required to stay unchanged (`checkCurrentSerialInTransaction`) was changed. */
export class ReadConflictError extends ConflictError {
  /** @internal */
  constructor(detail: ConflictDetail, others: readonly ConflictDetail[] = []) {
    super(detail, others, 'STORAGE_READ_CONFLICT');
  }
}

/** A write was attempted on a read-only storage. */
export class ReadOnlyError extends StorageError {
  /** @internal */
  constructor(name: string) {
    super('STORAGE_READ_ONLY', `storage ${name} is read-only`);
  }
}

/** A two-phase-commit call came out of order or named a transaction that is not the current one. */
export class StorageTransactionError extends StorageError {
  /** @internal */
  constructor(message: string) {
    super('STORAGE_TRANSACTION', message);
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
    super('STORAGE_CORRUPT_FILE', `${path} is corrupt at byte offset ${offset}: ${problem}`, options);
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
    super('STORAGE_LOCKED', `could not lock ${lockPath}${holder}: the storage is open elsewhere`);
    this.lockPath = lockPath;
    this.pid = pid;
  }
}

/** The storage was closed (or shut itself down after a failed write). */
export class StorageClosedError extends StorageError {
  /** @internal */
  constructor(name: string) {
    super('STORAGE_CLOSED', `storage ${name} is closed`);
  }
}
