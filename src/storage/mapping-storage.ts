/**
 * An in-memory storage with full revision history (ZODB's MappingStorage):
 * the same behaviour as FileStorage without a file, for tests and demos.
 */
import { InvalidArgumentError } from '../errors.js';
import { BaseStorage, type BaseStorageOptions } from './base-storage.js';
import { POSKeyError } from './errors.js';
import { oidKey, z64, type Oid, type OidKey, type Tid } from './oid.js';
import type { PendingTransaction } from './pending-transaction.js';
import type { HistoryEntry, Invalidation, LoadBeforeResult, LoadResult, TransactionMetaData } from './storage.js';
import { TimeStamp } from './timestamp.js';

/** Options of a {@link MappingStorage}. */
export interface MappingStorageOptions extends BaseStorageOptions {
  /** The storage name. @defaultValue `'MappingStorage'` */
  name?: string;
}

interface Revision {
  readonly tid: Tid;
  // null marks a deleted object (never written by store, kept for symmetry with FileStorage).
  readonly data: Buffer | null;
  readonly txn: CommittedTransaction;
}

interface CommittedTransaction {
  readonly tid: Tid;
  readonly meta: TransactionMetaData;
  readonly oids: readonly Oid[];
}

/**
 * A storage kept in memory. Records are neither copied when stored nor when
 * loaded: treat loaded data as read-only.
 */
export class MappingStorage extends BaseStorage {
  readonly #objects = new Map<OidKey, Revision[]>();
  readonly #transactions: CommittedTransaction[] = [];
  #size = 0;

  /** Creates an empty storage. */
  constructor(options: MappingStorageOptions = {}) {
    super({ ...options, name: options.name ?? 'MappingStorage', readOnly: false, lastTid: z64, maxOid: 0n });
  }

  /** The total length of all stored records, in bytes. */
  getSize(): number {
    return this.#size;
  }

  /** {@inheritDoc Storage.getLength} */
  getLength(): number {
    return this.#objects.size;
  }

  #revisions(oid: Oid): Revision[] {
    this.checkOpen();
    this.checkId(oid, 'oid');
    const revisions = this.#objects.get(oidKey(oid));
    if (revisions === undefined) throw new POSKeyError(oid);
    return revisions;
  }

  /** {@inheritDoc Storage.load} */
  async load(oid: Oid): Promise<LoadResult> {
    const revisions = this.#revisions(oid);
    const current = revisions[revisions.length - 1];
    if (current?.data == null) throw new POSKeyError(oid, 'the object was deleted');
    return { data: current.data, serial: current.tid };
  }

  /** {@inheritDoc Storage.loadBefore} */
  async loadBefore(oid: Oid, tid: Tid): Promise<LoadBeforeResult | null> {
    const revisions = this.#revisions(oid);
    this.checkId(tid, 'tid');
    let nextSerial: Tid | null = null;
    for (let i = revisions.length - 1; i >= 0; i--) {
      const revision = revisions[i] as Revision;
      if (revision.tid.compare(tid) < 0) {
        if (revision.data === null) throw new POSKeyError(oid, 'the revision is a deletion');
        return { data: revision.data, serial: revision.tid, nextSerial };
      }
      nextSerial = revision.tid;
    }
    return null;
  }

  /** {@inheritDoc Storage.loadSerial} */
  async loadSerial(oid: Oid, serial: Tid): Promise<Buffer> {
    const revisions = this.#revisions(oid);
    this.checkId(serial, 'serial');
    const revision = revisions.find((r) => r.tid.equals(serial));
    if (revision?.data == null) throw new POSKeyError(oid, `no revision with serial ${serial.toString('hex')}`);
    return revision.data;
  }

  /** {@inheritDoc Storage.getTid} */
  async getTid(oid: Oid): Promise<Tid> {
    return (await this.load(oid)).serial;
  }

  /** {@inheritDoc Storage.history} */
  async history(oid: Oid, size = 1): Promise<HistoryEntry[]> {
    const revisions = this.#revisions(oid);
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`history: size must be a positive integer, got ${size}`);
    return revisions
      .slice(-size)
      .reverse()
      .map((r) => ({
        tid: r.tid,
        time: TimeStamp.fromBytes(r.tid).timeTime(),
        userName: r.txn.meta.user,
        description: r.txn.meta.description,
        extension: r.txn.meta.extension,
        size: r.data?.length ?? 0,
      }));
  }

  /** {@inheritDoc Storage.lastInvalidations} */
  async lastInvalidations(count: number): Promise<Invalidation[]> {
    this.checkOpen();
    if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`lastInvalidations: bad count ${count}`);
    if (count === 0) return [];
    return this.#transactions.slice(-count).map((t) => ({ tid: t.tid, oids: t.oids }));
  }

  /** @internal */
  protected async currentSerial(oid: Oid): Promise<Tid | null> {
    const revisions = this.#objects.get(oidKey(oid));
    return revisions?.[revisions.length - 1]?.tid ?? null;
  }

  /** @internal Nothing to write before finish: the data stays queued in memory. */
  protected async writeVote(): Promise<void> {}

  /** @internal */
  protected async writeFinish(pending: PendingTransaction): Promise<void> {
    const txn: CommittedTransaction = {
      tid: pending.tid,
      meta: { user: pending.txn.user, description: pending.txn.description, extension: pending.txn.extension },
      oids: pending.storedOids(),
    };
    for (const { oid, data } of pending.stores) {
      const key = oidKey(oid);
      let revisions = this.#objects.get(key);
      if (revisions === undefined) {
        revisions = [];
        this.#objects.set(key, revisions);
      }
      const last = revisions[revisions.length - 1];
      // A second store of the same oid in one transaction replaces the first.
      if (last?.tid.equals(pending.tid) === true) revisions.pop();
      revisions.push({ tid: pending.tid, data, txn });
      this.#size += data.length;
    }
    this.#transactions.push(txn);
  }

  /** @internal */
  protected async writeAbort(): Promise<void> {}

  /** @internal */
  protected async closeStorage(): Promise<void> {}
}
