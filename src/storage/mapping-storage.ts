/**
 * An in-memory storage with full revision history (ZODB's MappingStorage):
 * the same behaviour as FileStorage without a file, for tests and demos.
 */
import { InvalidArgumentError } from '../errors.js';
import { BaseStorage, type BaseStorageOptions } from './base-storage.js';
import { PackError, POSKeyError, ReadOnlyError } from './errors.js';
import { idRepr, oidFromKey, oidKey, z64, type Oid, type OidKey, type Tid } from './oid.js';
import type { PendingTransaction } from './pending-transaction.js';
import { recordReferences } from './record-references.js';
import type { HistoryEntry, Invalidation, LoadBeforeResult, LoadResult, PackOptions, TransactionMetaData } from './storage.js';
import { packTid } from './pack-time.js';
import { TimeStamp } from './timestamp.js';

/** Options of a {@link MappingStorage}. */
export interface MappingStorageOptions extends BaseStorageOptions {
  /** The storage name. @defaultValue `'MappingStorage'` */
  name?: string;
  /** Garbage-collect when packing, unless `pack()` says otherwise (as FileStorage's `packGc`). @defaultValue true */
  packGc?: boolean;
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
  #transactions: CommittedTransaction[] = [];
  #size = 0;
  readonly #packGc: boolean;
  // The tid of the last pack time, as ZODB's `_last_pack`.
  #lastPack: Tid | undefined;

  /** Creates an empty storage. */
  constructor(options: MappingStorageOptions = {}) {
    super({ ...options, name: options.name ?? 'MappingStorage', readOnly: false, lastTid: z64, maxOid: 0n });
    this.#packGc = options.packGc !== false;
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

  /**
   * Removes what is no longer needed as of `time` (seconds since the Unix
   * epoch, as in ZODB), as ZODB's MappingStorage does, with the commit lock
   * held (a transaction in progress ends first): each object keeps
   * the revision current at the pack time and those written after it.
   * Garbage collection (`options.gc`, else the `packGc` option) starts
   * from the root and from every object written after the pack time, and
   * follows the references of those kept revisions; other objects go.
   * Transactions left without records are forgotten (`lastInvalidations`
   * no longer lists them). Packing to the last pack time again does
   * nothing; to an earlier one fails with `PackError`, as in ZODB.
   * @throws PackError for a time that is not a finite number after
   *   1900-01-01 00:00 UTC, an earlier time than the last pack, a reference
   *   to an object that does not exist, a missing root or a record that is
   *   not a pickle (garbage collection only); the storage is then
   *   unchanged. StorageClosedError once closed.
   */
  async pack(time: number, options: PackOptions = {}): Promise<void> {
    this.checkOpen();
    if (this.isReadOnly()) throw new ReadOnlyError(this.getName());
    const stop = packTid(time, this.getName());
    const gc = options.gc ?? this.#packGc;
    await this.withCommitLock(async () => this.#packTo(stop, gc));
  }

  #packTo(stop: Tid, gc: boolean): void {
    if (this.#objects.size === 0) return;
    if (this.#lastPack !== undefined) {
      const order = this.#lastPack.compare(stop);
      if (order === 0) return;
      if (order > 0) throw new PackError(`${this.getName()} was already packed to a later time`);
    }
    // Everything is decided before anything changes, so a failure leaves the storage as it was.
    const kept = new Map<OidKey, number>();
    for (const [key, revisions] of this.#objects) kept.set(key, firstKept(revisions, stop));
    const reachable = gc ? this.#reachable(stop, kept) : undefined;
    const removed = new Map<OidKey, Set<OidKey>>();
    for (const [key, revisions] of this.#objects) {
      const first = reachable === undefined || reachable.has(key) ? (kept.get(key) as number) : revisions.length;
      if (first === 0) continue;
      for (const revision of revisions.slice(0, first)) {
        this.#size -= revision.data?.length ?? 0;
        const tidKey = oidKey(revision.tid);
        let oids = removed.get(tidKey);
        if (oids === undefined) removed.set(tidKey, (oids = new Set()));
        oids.add(key);
      }
      if (first === revisions.length) this.#objects.delete(key);
      else revisions.splice(0, first);
    }
    this.#transactions = this.#transactions.flatMap((txn) => {
      const gone = removed.get(oidKey(txn.tid));
      if (gone === undefined) return [txn];
      const oids = txn.oids.filter((oid) => !gone.has(oidKey(oid)));
      return oids.length === 0 ? [] : [{ ...txn, oids }];
    });
    this.#lastPack = stop;
  }

  /**
   * The objects to keep: those the root or an object written after `stop`
   * reaches through the revisions that are kept (`kept` says from which
   * index an object's revisions stay).
   */
  #reachable(stop: Tid, kept: ReadonlyMap<OidKey, number>): Set<OidKey> {
    const reachable = new Set<OidKey>();
    const todo: Array<readonly [OidKey, OidKey | undefined]> = [];
    let anyAtPackTime = false;
    for (const [key, revisions] of this.#objects) {
      if ((revisions[revisions.length - 1] as Revision).tid.compare(stop) > 0) todo.push([key, undefined]);
      const first = revisions[kept.get(key) as number];
      if (first !== undefined && first.data !== null && first.tid.compare(stop) <= 0) anyAtPackTime = true;
    }
    // Packing to before the database's first object has no root to start from, and nothing to collect.
    if (anyAtPackTime) todo.push([oidKey(z64), undefined]);
    while (todo.length > 0) {
      const [key, referrer] = todo.pop() as readonly [OidKey, OidKey | undefined];
      if (reachable.has(key)) continue;
      const revisions = this.#objects.get(key);
      const first = kept.get(key);
      const live = revisions === undefined || first === undefined ? [] : revisions.slice(first).filter((r) => r.data !== null);
      if (live.length === 0) throw this.#missing(key, referrer);
      reachable.add(key);
      for (const revision of live) {
        for (const ref of this.#references(key, revision)) {
          const refKey = oidKey(ref);
          if (!reachable.has(refKey)) todo.push([refKey, key]);
        }
      }
    }
    return reachable;
  }

  #references(key: OidKey, revision: Revision): Oid[] {
    try {
      return recordReferences(revision.data as Buffer);
    } catch (error) {
      throw new PackError(
        `cannot pack ${this.getName()}: the record of oid ${idRepr(oidFromKey(key))} written by ${idRepr(revision.tid)} is not a valid object record; pack without garbage collection`,
        { cause: error },
      );
    }
  }

  #missing(key: OidKey, referrer: OidKey | undefined): PackError {
    const oid = idRepr(oidFromKey(key));
    return new PackError(
      referrer === undefined
        ? `cannot pack ${this.getName()}: its root object (oid ${oid}) does not exist at the pack time; pack without garbage collection`
        : `cannot pack ${this.getName()}: oid ${idRepr(oidFromKey(referrer))} refers to oid ${oid}, which does not exist at the pack time`,
    );
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

/**
 * The index of the first revision a pack to `stop` keeps: the one current
 * at `stop` (the last written at or before it), or the first one written
 * after it when that is a deletion or there is none.
 */
function firstKept(revisions: readonly Revision[], stop: Tid): number {
  let after = revisions.length;
  while (after > 0 && (revisions[after - 1] as Revision).tid.compare(stop) > 0) after -= 1;
  if (after === 0) return 0;
  return (revisions[after - 1] as Revision).data === null ? after : after - 1;
}

