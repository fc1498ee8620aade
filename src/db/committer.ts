/**
 * A connection's commits: the changed objects (and the new objects they
 * reach) are serialized, stored through the storage's two-phase commit
 * (`tpcBegin`, `store`, `checkCurrentSerialInTransaction`, `tpcVote`,
 * `tpcFinish`), and the connection's objects are then brought in line
 * with the outcome: committed, abandoned, or unknown.
 */
import { ZkzeoError } from '../errors.js';
import { TransactionOutcomeUnknownError } from '../storage/errors.js';
import { z64, type Oid, type Tid } from '../storage/oid.js';
import type { TransactionMetaData } from '../storage/storage.js';
import type { ChangeSet } from './change-set.js';
import type { Connection } from './connection.js';
import type { ConnectionHost } from './connection-host.js';
import type { ConnectionStatus } from './connection-status.js';
import type { InvalidationQueue } from './invalidation-queue.js';
import type { ObjectCache } from './object-cache.js';
import { metaOf, PersistentState, type Persistent } from './persistent.js';
import { encodeObjectRecord, type WriterContext } from './serializer.js';
import type { TransactionMetadata } from './transaction.js';

interface EncodedRecord {
  readonly obj: Persistent;
  readonly oid: Oid;
  readonly serial: Tid;
  readonly data: Buffer;
}

/**
 * What a failed `tpcFinish` means. `undefined`: the storage refused before
 * writing anything (its own typed errors, or a retryable ZEO disconnection
 * found before `tpc_finish` was sent), so the transaction did not commit.
 * Anything else (an I/O error of a local storage, say) happened while the
 * commit was being made durable: its outcome is unknown.
 */
function unknownOutcome(error: unknown, storageName: string): TransactionOutcomeUnknownError | undefined {
  if (error instanceof TransactionOutcomeUnknownError) return error;
  if (error instanceof ZkzeoError) return undefined;
  return new TransactionOutcomeUnknownError(storageName, { cause: error });
}

/** @internal The parts of its connection a {@link Committer} reads and updates. */
export interface CommitterParts {
  readonly connection: Connection;
  readonly host: ConnectionHost;
  readonly status: ConnectionStatus;
  readonly changes: ChangeSet;
  readonly cache: ObjectCache;
  readonly writer: WriterContext;
  readonly invalidations: InvalidationQueue;
  /** After a commit, whatever its outcome: starts the next transaction, unless the connection was destroyed meanwhile. */
  endCommit(): void;
}

/** @internal Runs the commits of one connection, one at a time. */
export class Committer {
  readonly #parts: CommitterParts;
  // Settles (never rejects) when the commit in progress has ended.
  #committing: Promise<void> | undefined;
  // Whether that commit got past tpcBegin: cutting it short could leave the storage's half undone.
  #commitBegun = false;
  #ownTid: Tid | null = null;

  constructor(parts: CommitterParts) {
    this.#parts = parts;
  }

  /** The tid of this connection's latest commit (`null` before the first): the storage's invalidation for it is not news. */
  get ownTid(): Tid | null {
    return this.#ownTid;
  }

  /**
   * `undefined` when no commit runs; otherwise what destroying the
   * connection waits for: the commit's end once the storage has begun it,
   * nothing before that.
   */
  pendingCommit(): Promise<void> | undefined {
    const committing = this.#committing;
    if (committing === undefined) return undefined;
    return this.#commitBegun ? committing : Promise.resolve();
  }

  /** Commits `toStore` (and the reads to check) as `transaction`, see `Connection.commit`; resolves to the new tid. */
  async run(toStore: readonly Persistent[], transaction: TransactionMetadata): Promise<Tid> {
    const commit = this.#commit(toStore, transaction);
    const settled = commit.then(
      () => undefined,
      () => undefined,
    );
    this.#committing = settled;
    try {
      return await commit;
    } finally {
      if (this.#committing === settled) {
        this.#committing = undefined;
        this.#commitBegun = false;
      }
    }
  }

  async #commit(toStore: readonly Persistent[], transaction: TransactionMetadata): Promise<Tid> {
    const { changes } = this.#parts;
    const storage = this.#parts.host.storage;
    let txn: TransactionMetaData | undefined;
    let finishing = false;
    try {
      this.#parts.status.checkWritable();
      const records = await this.#serialize(toStore);
      const meta = transaction.toStorage();
      await storage.tpcBegin(meta);
      txn = meta;
      this.#commitBegun = true;
      await Promise.all(records.map((r) => storage.store(r.oid, r.serial, r.data, meta)));
      const stored = new Set(records.map((r) => r.obj));
      for (const [obj, serial] of changes.readCurrent) {
        if (!stored.has(obj)) await storage.checkCurrentSerialInTransaction(metaOf(obj).oid as Oid, serial, meta);
      }
      const resolved = await storage.tpcVote(meta);
      finishing = true;
      const tid = await storage.tpcFinish(meta);
      finishing = false;
      txn = undefined;
      this.#finishCommit(records, resolved, tid);
      return tid;
    } catch (error) {
      const unknown = finishing ? unknownOutcome(error, storage.getName()) : undefined;
      if (unknown !== undefined) {
        // Nothing to abort: the storage has ended the transaction, one way or the other.
        this.#forgetUncertainCommit();
        throw unknown;
      }
      if (txn !== undefined) await storage.tpcAbort(txn).catch(() => undefined);
      changes.abort();
      this.#parts.endCommit();
      throw error;
    }
  }

  async #serialize(objects: readonly Persistent[]): Promise<EncodedRecord[]> {
    const { changes, host, writer } = this.#parts;
    const records: EncodedRecord[] = [];
    const done = new Set<Persistent>();
    for (const top of objects) {
      // Like ZODB's ObjectWriter: new objects found while pickling go on a stack, stored last found first.
      const stack = [top];
      while (stack.length > 0) {
        const obj = stack.pop() as Persistent;
        if (done.has(obj)) continue;
        done.add(obj);
        let encoded = encodeObjectRecord(obj, writer);
        while (encoded.newObjects !== undefined) {
          // Oids in the order the pickler met the objects, as ZODB assigns them.
          const fresh = encoded.newObjects.filter((o) => metaOf(o).jar === null);
          if (fresh.length > 0) {
            const oids = await host.storage.newOids(fresh.length);
            fresh.forEach((o, j) => changes.adopt(o, oids[j] as Oid));
            stack.push(...fresh);
          }
          encoded = encodeObjectRecord(obj, writer);
        }
        const meta = metaOf(obj);
        records.push({ obj, oid: meta.oid as Oid, serial: changes.isAdded(obj) ? z64 : meta.serial, data: encoded.data });
      }
    }
    return records;
  }

  #finishCommit(records: readonly EncodedRecord[], resolved: readonly Oid[], tid: Tid): void {
    const { cache } = this.#parts;
    for (const { obj } of records) {
      const meta = metaOf(obj);
      meta.serial = tid;
      meta.state = PersistentState.upToDate;
    }
    // The storage resolved conflicts for these: their stored state differs from ours.
    for (const oid of resolved) {
      const obj = cache.get(oid);
      if (obj !== undefined) cache.ghostify(obj);
    }
    this.#ownTid = tid;
    this.#parts.invalidations.forget(tid);
    this.#parts.changes.clear();
    this.#parts.host.committed(this.#parts.connection, tid, records.map((r) => r.oid));
    this.#parts.endCommit();
  }

  /**
   * The commit may or may not be durable: keep the oids of added objects
   * (they may now exist in the storage) and make every object a ghost, so
   * that what the storage really holds is loaded again.
   */
  #forgetUncertainCommit(): void {
    this.#parts.changes.forgetUncertain();
    this.#parts.invalidations.invalidateAll();
    this.#parts.endCommit();
  }
}
