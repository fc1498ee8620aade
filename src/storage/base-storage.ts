/**
 * What every local storage shares (ZODB's `BaseStorage`): oid allocation,
 * tid choice, the commit lock and the order of the two-phase-commit calls.
 * Subclasses supply reading and the actual writes.
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { CommitLock } from './commit-lock.js';
import { ReadOnlyError, StorageClosedError, StorageError, StorageTransactionError, TransactionOutcomeUnknownError } from './errors.js';
import { idRepr, p64, z64, type Oid, type Tid } from './oid.js';
import { PendingTransaction, type CommittedSerials } from './pending-transaction.js';
import type {
  ConflictResolver,
  HistoryEntry,
  Invalidation,
  LoadBeforeResult,
  LoadResult,
  PackOptions,
  Storage,
  StorageEvents,
  TpcBeginOptions,
  TransactionMetaData,
} from './storage.js';
import { TidClock } from './timestamp.js';

/** Options every local storage accepts. */
export interface BaseStorageOptions {
  /**
   * Returns the current time in milliseconds since the Unix epoch; new tids
   * come from it.
   * @defaultValue `Date.now`
   */
  clock?: () => number;
  /** Resolves write conflicts at vote (ZODB's server-side conflict resolution); none by default. */
  resolveConflict?: ConflictResolver;
  /** Where warnings and failures of event listeners go. @defaultValue `silentLogger` */
  logger?: Logger;
}

/** @internal What a subclass tells the base when it is constructed. */
export interface BaseStorageState extends BaseStorageOptions {
  readonly name: string;
  readonly readOnly: boolean;
  readonly lastTid: Tid;
  readonly maxOid: bigint;
}

const MAX_METADATA_LENGTH = 0xffff;
const MAX_OIDS_PER_CALL = 1_000_000;

function checkId(value: unknown, what: string): asserts value is Buffer {
  if (!Buffer.isBuffer(value) || value.length !== 8) {
    throw new InvalidArgumentError(`${what} must be an 8-byte Buffer`);
  }
}

function checkMetadata(txn: TransactionMetaData): void {
  for (const field of ['user', 'description', 'extension'] as const) {
    const value = txn[field];
    if (!Buffer.isBuffer(value)) throw new InvalidArgumentError(`transaction ${field} must be a Buffer`);
    if (value.length > MAX_METADATA_LENGTH) {
      throw new InvalidArgumentError(`transaction ${field} is ${value.length} bytes; at most ${MAX_METADATA_LENGTH} are allowed`);
    }
  }
}

/**
 * The shared half of {@link Storage}: subclasses implement loading and the
 * `write…` hooks, which the base calls with the commit lock held.
 */
export abstract class BaseStorage extends EventEmitter<StorageEvents> implements Storage {
  readonly #name: string;
  readonly #readOnly: boolean;
  readonly #tids: TidClock;
  readonly #lock = new CommitLock();
  readonly #resolver: ConflictResolver | undefined;
  readonly #logger: Logger;
  #lastTid: Tid;
  #maxOid: bigint;
  #pending: PendingTransaction | undefined;
  // The vote or finish in progress, so an abort can wait for it.
  #busy: Promise<unknown> | undefined;
  #closed = false;

  /** @internal */
  protected constructor(state: BaseStorageState) {
    super();
    this.#name = state.name;
    this.#readOnly = state.readOnly;
    this.#lastTid = state.lastTid;
    this.#maxOid = state.maxOid;
    this.#resolver = state.resolveConflict;
    this.#logger = state.logger ?? silentLogger;
    this.#tids = new TidClock({ clock: state.clock, last: state.lastTid.equals(z64) ? undefined : state.lastTid });
  }

  /** {@inheritDoc Storage.getName} */
  getName(): string {
    return this.#name;
  }

  /** {@inheritDoc Storage.isReadOnly} */
  isReadOnly(): boolean {
    return this.#readOnly;
  }

  /** {@inheritDoc Storage.lastTransaction} */
  lastTransaction(): Tid {
    return this.#lastTid;
  }

  /** Whether `close()` was called (or the storage shut itself down). */
  get closed(): boolean {
    return this.#closed;
  }

  /** {@inheritDoc Storage.getSize} */
  abstract getSize(): number;
  /** {@inheritDoc Storage.getLength} */
  abstract getLength(): number;
  /** {@inheritDoc Storage.load} */
  abstract load(oid: Oid): Promise<LoadResult>;
  /** {@inheritDoc Storage.loadBefore} */
  abstract loadBefore(oid: Oid, tid: Tid): Promise<LoadBeforeResult | null>;
  /** {@inheritDoc Storage.loadSerial} */
  abstract loadSerial(oid: Oid, serial: Tid): Promise<Buffer>;
  /** {@inheritDoc Storage.getTid} */
  abstract getTid(oid: Oid): Promise<Tid>;
  /** {@inheritDoc Storage.history} */
  abstract history(oid: Oid, size?: number): Promise<HistoryEntry[]>;
  /** {@inheritDoc Storage.lastInvalidations} */
  abstract lastInvalidations(count: number): Promise<Invalidation[]>;
  /** {@inheritDoc Storage.pack} */
  abstract pack(time: number, options?: PackOptions): Promise<void>;

  /** @internal The serial of the newest record of `oid`, `null` if never stored. */
  protected abstract currentSerial(oid: Oid): Promise<Tid | null>;
  /** @internal Writes the voted transaction (not yet durable). */
  protected abstract writeVote(pending: PendingTransaction): Promise<void>;
  /** @internal Makes the voted transaction durable and visible to loads. */
  protected abstract writeFinish(pending: PendingTransaction): Promise<void>;
  /** @internal Undoes whatever `writeVote` wrote. */
  protected abstract writeAbort(pending: PendingTransaction): Promise<void>;
  /** @internal Releases files and locks. */
  protected abstract closeStorage(): Promise<void>;

  /** @internal Throws `StorageClosedError` after `close()`. */
  protected checkOpen(): void {
    if (this.#closed) throw new StorageClosedError(this.#name);
  }

  /**
   * @internal Runs `work` holding the commit lock, queued behind the
   * transactions already waiting, so no transaction is between `tpcBegin`
   * and its end meanwhile (a pack swaps files under it).
   */
  protected async withCommitLock<T>(work: () => Promise<T>): Promise<T> {
    const owner = {};
    await this.#lock.acquire(owner);
    try {
      this.checkOpen();
      return await work();
    } finally {
      this.#lock.release(owner);
    }
  }

  /** @internal Validates an oid or tid argument. */
  protected checkId(value: unknown, what: string): asserts value is Buffer {
    checkId(value, what);
  }

  /** {@inheritDoc Storage.newOid} */
  async newOid(): Promise<Oid> {
    this.#checkWritable();
    return this.#allocateOid();
  }

  /** {@inheritDoc Storage.newOids} */
  async newOids(count: number): Promise<Oid[]> {
    this.#checkWritable();
    if (!Number.isInteger(count) || count < 1 || count > MAX_OIDS_PER_CALL) {
      throw new InvalidArgumentError(`newOids: count must be an integer from 1 to ${MAX_OIDS_PER_CALL}, got ${count}`);
    }
    const oids: Oid[] = [];
    for (let i = 0; i < count; i++) oids.push(this.#allocateOid());
    return oids;
  }

  #checkWritable(): void {
    this.checkOpen();
    if (this.#readOnly) throw new ReadOnlyError(this.#name);
  }

  #allocateOid(): Oid {
    this.#maxOid += 1n;
    return p64(this.#maxOid);
  }

  /** {@inheritDoc Storage.tpcBegin} */
  async tpcBegin(txn: TransactionMetaData, options: TpcBeginOptions = {}): Promise<void> {
    this.#checkWritable();
    if (this.#pending?.txn === txn || this.#lock.isWaiting(txn)) {
      throw new StorageTransactionError('duplicate tpcBegin calls for the same transaction');
    }
    checkMetadata(txn);
    const status = options.status ?? ' ';
    if (status !== ' ' && status !== 'p') throw new InvalidArgumentError(`tpcBegin: invalid status ${JSON.stringify(status)}`);
    if (options.tid !== undefined) checkId(options.tid, 'tpcBegin tid');
    await this.#lock.acquire(txn);
    try {
      this.checkOpen();
      let tid: Tid;
      if (options.tid === undefined) {
        tid = this.#tids.next();
      } else {
        if (options.tid.compare(this.#lastTid) <= 0) {
          throw new InvalidArgumentError(
            `tpcBegin: tid ${idRepr(options.tid)} is not later than the last transaction ${idRepr(this.#lastTid)}`,
          );
        }
        tid = Buffer.from(options.tid);
        this.#tids.observe(tid);
      }
      this.#pending = new PendingTransaction(txn, tid, status);
    } catch (error) {
      this.#lock.release(txn);
      throw error;
    }
  }

  #current(txn: TransactionMetaData, call: string): PendingTransaction {
    this.checkOpen();
    const pending = this.#pending;
    if (pending === undefined || pending.txn !== txn) {
      throw new StorageTransactionError(`${call} called with a transaction that is not in progress`);
    }
    return pending;
  }

  /** {@inheritDoc Storage.store} */
  async store(oid: Oid, serial: Tid, data: Buffer, txn: TransactionMetaData): Promise<void> {
    const pending = this.#current(txn, 'store');
    checkId(oid, 'store oid');
    checkId(serial, 'store serial');
    // An empty record would read back as a back pointer in FileStorage.
    if (!Buffer.isBuffer(data) || data.length === 0) throw new InvalidArgumentError('store data must be a non-empty Buffer');
    if (pending.voted || this.#busy !== undefined) throw new StorageTransactionError('store called after tpcVote');
    const value = oid.readBigUInt64BE(0);
    if (value > this.#maxOid) this.#maxOid = value;
    pending.stores.push({ oid: Buffer.from(oid), serial: Buffer.from(serial), data });
  }

  /** {@inheritDoc Storage.checkCurrentSerialInTransaction} */
  async checkCurrentSerialInTransaction(oid: Oid, serial: Tid, txn: TransactionMetaData): Promise<void> {
    const pending = this.#current(txn, 'checkCurrentSerialInTransaction');
    checkId(oid, 'checkCurrentSerialInTransaction oid');
    checkId(serial, 'checkCurrentSerialInTransaction serial');
    if (pending.voted || this.#busy !== undefined) {
      throw new StorageTransactionError('checkCurrentSerialInTransaction called after tpcVote');
    }
    pending.checks.push({ oid: Buffer.from(oid), serial: Buffer.from(serial) });
  }

  /** {@inheritDoc Storage.tpcVote} */
  async tpcVote(txn: TransactionMetaData): Promise<Oid[]> {
    const pending = this.#current(txn, 'tpcVote');
    if (pending.voted || this.#busy !== undefined) throw new StorageTransactionError('tpcVote called twice');
    const committed: CommittedSerials = {
      currentSerial: (oid) => this.currentSerial(oid),
      getTid: (oid) => this.getTid(oid),
    };
    const vote = (async () => {
      const resolved = await pending.checkConflicts(committed, this.#resolver);
      await this.writeVote(pending);
      pending.voted = true;
      return resolved;
    })();
    this.#busy = vote;
    try {
      return await vote;
    } finally {
      this.#busy = undefined;
    }
  }

  /** {@inheritDoc Storage.tpcFinish} */
  async tpcFinish(txn: TransactionMetaData): Promise<Tid> {
    const pending = this.#current(txn, 'tpcFinish');
    if (!pending.voted) throw new StorageTransactionError('tpcFinish called before tpcVote succeeded');
    if (this.#busy !== undefined) throw new StorageTransactionError('tpcFinish called twice');
    const finish = this.writeFinish(pending);
    this.#busy = finish;
    try {
      await finish;
    } catch (error) {
      this.#pending = undefined;
      this.#lock.release(txn);
      // Our own refusals are definite; anything else (an I/O error writing
      // the status byte or syncing) leaves the outcome unknown.
      throw error instanceof StorageError ? error : new TransactionOutcomeUnknownError(this.#name, { cause: error });
    } finally {
      this.#busy = undefined;
    }
    this.#lastTid = pending.tid;
    this.#pending = undefined;
    try {
      this.emit('invalidation', { tid: pending.tid, oids: pending.storedOids() });
    } catch (error) {
      // The transaction is durable: a failing listener must not make it look failed.
      this.#logger.error({ err: error, storage: this.#name }, `an invalidation listener of ${this.#name} failed`);
    } finally {
      this.#lock.release(txn);
    }
    return pending.tid;
  }

  /** {@inheritDoc Storage.tpcAbort} */
  async tpcAbort(txn: TransactionMetaData): Promise<void> {
    if (this.#lock.cancel(txn, new StorageTransactionError('transaction aborted while waiting for the commit lock'))) return;
    if (this.#pending?.txn !== txn) return;
    await this.#abortPending();
  }

  async #abortPending(): Promise<void> {
    const pending = this.#pending;
    if (pending === undefined) return;
    // A vote still writing must end before its bytes can be removed.
    await this.#busy?.catch(() => undefined);
    if (this.#pending !== pending) return;
    // Cleared first so a second abort, or a late store, finds nothing to act on.
    this.#pending = undefined;
    try {
      await this.writeAbort(pending);
    } finally {
      this.#lock.release(pending.txn);
    }
  }

  /** {@inheritDoc Storage.close} */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#lock.rejectAll(new StorageClosedError(this.#name));
    try {
      await this.#abortPending();
    } finally {
      await this.closeStorage();
    }
  }
}
