/**
 * The storage interface: what the ZEO server serves and what the object
 * layer (`db/`) reads and commits through. FileStorage, MappingStorage and
 * the ZEO ClientStorage all implement it.
 */
import type { EventEmitter } from 'eventemitter3';
import type { Oid, Tid } from './oid.js';

/**
 * The metadata of a transaction being committed. The object itself is the
 * transaction's handle: every two-phase-commit call names the same object.
 */
export interface TransactionMetaData {
  /** The user, UTF-8 bytes (ZODB writes `"<path> <name>"`, e.g. `/ alice`); at most 65535 bytes. */
  readonly user: Buffer;
  /** The description, UTF-8 bytes; at most 65535 bytes. */
  readonly description: Buffer;
  /** The extension dict pickled (protocol 3), or empty bytes for none; at most 65535 bytes. */
  readonly extension: Buffer;
}

/**
 * The status character of a committed FileStorage transaction: `' '` for
 * normal commits, `'p'` for transactions copied by a pack.
 */
export type TransactionStatus = ' ' | 'p';

/** Options of {@link Storage.tpcBegin}, used when copying transactions from another storage. */
export interface TpcBeginOptions {
  /** The tid to commit with instead of a new one; must be later than the last transaction. */
  tid?: Tid;
  /** The status to record. @defaultValue `' '` */
  status?: TransactionStatus;
}

/** The current revision of an object. */
export interface LoadResult {
  /** The object record (class pickle and state pickle). */
  readonly data: Buffer;
  /** The tid of the transaction that wrote this revision. */
  readonly serial: Tid;
}

/** A revision found by {@link Storage.loadBefore}. */
export interface LoadBeforeResult {
  /** The object record. */
  readonly data: Buffer;
  /** The tid that wrote this revision (its start). */
  readonly serial: Tid;
  /** The tid of the next revision (where this one ends), or `null` if it is current. */
  readonly nextSerial: Tid | null;
}

/** One revision of an object as described by {@link Storage.history}. */
export interface HistoryEntry {
  /** The tid that wrote the revision. */
  readonly tid: Tid;
  /** The commit time, seconds since the Unix epoch (from the tid). */
  readonly time: number;
  /** The transaction's user. */
  readonly userName: Buffer;
  /** The transaction's description. */
  readonly description: Buffer;
  /** The transaction's pickled extension (empty if none); callers unpickle and merge its items. */
  readonly extension: Buffer;
  /** The length of the revision's record (0 for a back pointer or deletion). */
  readonly size: number;
}

/** The objects a committed transaction changed. */
export interface Invalidation {
  /** The committed transaction. */
  readonly tid: Tid;
  /** The oids it stored, each once, in the order they were first stored. */
  readonly oids: readonly Oid[];
}

/**
 * Decides a write conflict, like ZODB's `tryToResolveConflict`: given the
 * oid, the serial currently committed, the serial the writer started from,
 * and the record it wants to store, return the record to store instead, or
 * `null` if the conflict cannot be resolved.
 */
export type ConflictResolver = (oid: Oid, committedSerial: Tid, oldSerial: Tid, newData: Buffer) => Promise<Buffer | null>;

/** Options of {@link Storage.pack}. */
export interface PackOptions {
  /**
   * Also remove objects that the root no longer reaches at the pack time
   * (ZODB's `pack-gc`). Without it only old revisions are removed.
   * @defaultValue the storage's own setting (FileStorage: `packGc`, true)
   */
  readonly gc?: boolean;
}

/** Events of a {@link Storage}. */
export interface StorageEvents {
  /**
   * A transaction committed through this storage is durable. Emitted inside
   * `tpcFinish`, before it returns and before the next transaction can
   * start, so listeners see commits in tid order.
   */
  invalidation: (invalidation: Invalidation) => void;
}

/**
 * A ZODB storage: an oid → revisions map with multi-version reads and
 * two-phase commit. Commits run one at a time: `tpcBegin` waits until the
 * previous transaction finished or aborted.
 *
 * Commit sequence: `tpcBegin(txn)`; any number of `store` and
 * `checkCurrentSerialInTransaction`; `tpcVote(txn)` (conflicts are detected
 * here; on an error the caller must still call `tpcAbort`); then
 * `tpcFinish(txn)` or `tpcAbort(txn)`.
 */
export interface Storage extends EventEmitter<StorageEvents> {
  /** The storage's name (FileStorage: its path as given). */
  getName(): string;
  /** The storage size in bytes (FileStorage: the file size). */
  getSize(): number;
  /** The number of objects. */
  getLength(): number;
  /** Whether writes are refused. */
  isReadOnly(): boolean;
  /** The tid of the last committed transaction, `z64` if there is none. */
  lastTransaction(): Tid;

  /** The current revision of `oid`; `POSKeyError` if it does not exist. */
  load(oid: Oid): Promise<LoadResult>;
  /**
   * The newest revision of `oid` written before `tid`, or `null` if the
   * object exists but has no revision before `tid`. `POSKeyError` if the
   * object is unknown or that revision is a deletion.
   */
  loadBefore(oid: Oid, tid: Tid): Promise<LoadBeforeResult | null>;
  /** The record of `oid` written by `serial`; `POSKeyError` if there is none. */
  loadSerial(oid: Oid, serial: Tid): Promise<Buffer>;
  /** The serial of the current revision of `oid`; `POSKeyError` if it does not exist. */
  getTid(oid: Oid): Promise<Tid>;
  /** Up to `size` revisions of `oid`, newest first; `POSKeyError` if it does not exist. */
  history(oid: Oid, size?: number): Promise<HistoryEntry[]>;
  /**
   * The last `count` committed transactions with the oids they stored,
   * oldest first (a ZEO server fills its invalidation queue from this).
   */
  lastInvalidations(count: number): Promise<Invalidation[]>;

  /** A fresh oid, never handed out before by this storage. */
  newOid(): Promise<Oid>;
  /** `count` fresh oids, ascending. */
  newOids(count: number): Promise<Oid[]>;

  /** Starts committing `txn`, waiting for the commit lock; chooses the tid. */
  tpcBegin(txn: TransactionMetaData, options?: TpcBeginOptions): Promise<void>;
  /**
   * Queues a new revision of `oid`. `serial` is the revision the change is
   * based on (`z64` for a new object). The storage keeps `data` without
   * copying it: do not modify it afterwards.
   */
  store(oid: Oid, serial: Tid, data: Buffer, txn: TransactionMetaData): Promise<void>;
  /** Queues a check, done at vote, that `oid`'s current revision is still `serial`. */
  checkCurrentSerialInTransaction(oid: Oid, serial: Tid, txn: TransactionMetaData): Promise<void>;
  /**
   * Checks for conflicts and writes the transaction (not yet durable).
   * Returns the oids whose stored data differs from what was given
   * (resolved conflicts). Throws `ConflictError`/`ReadConflictError`.
   */
  tpcVote(txn: TransactionMetaData): Promise<Oid[]>;
  /** Makes the voted transaction durable, emits `invalidation` and returns its tid. */
  tpcFinish(txn: TransactionMetaData): Promise<Tid>;
  /** Abandons `txn` (a no-op if it is not the current transaction). */
  tpcAbort(txn: TransactionMetaData): Promise<void>;

  /**
   * Removes what is no longer needed as of `time` (seconds since the Unix
   * epoch, as in ZODB): every revision older than the one current at that
   * time, and, with garbage collection, every object the root does not
   * reach then. Revisions written after `time` are kept. Commits and loads
   * go on meanwhile. Resolves when the pack is done (also when there was
   * nothing to remove); rejects with `PackError` for a bad time, a pack
   * already running or a dangling reference, and with `ReadOnlyError` on a
   * read-only storage.
   */
  pack(time: number, options?: PackOptions): Promise<void>;

  /** Releases files and locks; idempotent. A transaction in progress is aborted. */
  close(): Promise<void>;
}
