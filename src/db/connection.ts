/**
 * A connection: one view of the database, with its own object cache and
 * one transaction at a time (ZODB's `Connection` and its MVCC adapter).
 * Every transaction reads one snapshot: records are loaded with
 * `loadBefore(oid, snapshot)`, and invalidations from other commits are
 * applied only when a transaction starts.
 *
 * The parts, each in its own module: `ObjectLoader` (object-loader.ts)
 * loads objects from the snapshot, `ChangeSet` (change-set.ts) holds what
 * the transaction changed, `Committer` (committer.ts) runs the two-phase
 * commit, `ConnectionStatus` (connection-status.ts) checks each call
 * against the connection's phase, and connection-host.ts is the link to
 * the database. This class wires them together and moves from one
 * transaction to the next.
 */
import { InvalidArgumentError } from '../errors.js';
import { p64, u64, z64, type Oid, type Tid } from '../storage/oid.js';
import type { Invalidation } from '../storage/storage.js';
import { ChangeSet } from './change-set.js';
import { Committer } from './committer.js';
import { attachConnectionControl, type ConnectionHost } from './connection-host.js';
import { ConnectionStatus } from './connection-status.js';
import type { DB } from './db.js';
import { ConnectionStateError, GhostAccessError, InvalidObjectReferenceError } from './errors.js';
import { InvalidationQueue } from './invalidation-queue.js';
import { ObjectCache, type CacheStats } from './object-cache.js';
import { ObjectLoader } from './object-loader.js';
import { describeObject, metaOf, Persistent, PersistentState, type PersistentJar } from './persistent.js';
import type { PersistentMapping } from './persistent-mapping.js';
import { encodeObjectRecord, type WriterContext } from './serializer.js';
import { TransactionMetadata } from './transaction.js';

export { connectionControl, type ConnectionControl, type ConnectionHost } from './connection-host.js';

/** Options of {@link Connection.loadGraph}. */
export interface LoadGraphOptions {
  /**
   * How many reference hops to follow from the roots: 0 loads only the
   * roots, `Infinity` everything reachable.
   * @defaultValue 1
   */
  depth?: number;
}

function nextTid(tid: Tid): Tid {
  return p64(u64(tid) + 1n);
}

/**
 * A connection to a {@link DB}, from `db.open()`: an object cache and one
 * transaction at a time. Close it to give it back to the pool. Objects of
 * a connection must not be stored through another one.
 */
export class Connection {
  readonly #host: ConnectionHost;
  readonly #historical: Tid | undefined;
  readonly #status: ConnectionStatus;
  readonly #cache: ObjectCache;
  readonly #jar: PersistentJar;
  readonly #writer: WriterContext;
  readonly #changes: ChangeSet;
  readonly #loader: ObjectLoader;
  readonly #invalidations = new InvalidationQueue();
  readonly #committer: Committer;
  #transaction = new TransactionMetadata();

  /** @internal Connections come from `db.open()`; `before` makes a read-only view of the past. */
  constructor(host: ConnectionHost, before?: Tid) {
    this.#host = host;
    this.#historical = before === undefined ? undefined : Buffer.from(before);
    this.#status = new ConnectionStatus(host, this.#historical !== undefined);
    this.#cache = new ObjectCache(host.cacheSize);
    this.#jar = {
      connection: this,
      activate: (obj) => this.activate(obj),
      beforeWrite: (obj) => this.#status.beforeWrite(obj),
      register: (obj) => {
        this.#changes.markChanged(obj);
        this.#cache.activated(obj);
      },
    };
    this.#writer = { jar: this.#jar, registry: host.registry, cached: (oid) => this.#cache.get(oid) };
    this.#changes = new ChangeSet(this.#jar, this.#cache);
    this.#loader = new ObjectLoader(host, this.#jar, this.#cache, this.#status);
    this.#committer = new Committer({
      connection: this,
      host,
      status: this.#status,
      changes: this.#changes,
      cache: this.#cache,
      writer: this.#writer,
      invalidations: this.#invalidations,
      endCommit: () => this.#endCommit(),
    });
    attachConnectionControl(this, {
      reopen: () => {
        this.#status.phase = 'open';
        this.#newTransaction();
      },
      invalidate: (invalidation) => this.#queueInvalidation(invalidation),
      invalidateAll: () => {
        if (this.#historical === undefined) this.#invalidations.invalidateAll();
      },
      destroy: () => {
        const pending = this.#committer.pendingCommit();
        if (pending !== undefined) {
          // The commit still reads and updates its objects: it cleans up when it ends, seeing 'closed'.
          this.#status.phase = 'closed';
          return pending;
        }
        if (!this.#status.closed) this.#changes.abort();
        this.#status.phase = 'closed';
        this.#ghostifyAll();
        return Promise.resolve();
      },
    });
  }

  /** The database this connection belongs to. */
  get db(): DB {
    return this.#host.db;
  }

  /** Whether the connection is open (not closed or given back to the pool). */
  get opened(): boolean {
    return !this.#status.closed;
  }

  /** The metadata (user, description, extension) of the current transaction. */
  get transaction(): TransactionMetadata {
    return this.#transaction;
  }

  /** The snapshot of the current transaction: it sees every commit with a tid before this one. */
  get snapshot(): Tid {
    return this.#loader.snapshot;
  }

  /** Whether this is a historical (read-only) connection, see `DB.open`. */
  get historical(): boolean {
    return this.#historical !== undefined;
  }

  /** Whether the current transaction has changes to commit. */
  get hasChanges(): boolean {
    return this.#changes.hasChanges;
  }

  /** The root object (oid 0), loaded. */
  async root<T extends PersistentMapping = PersistentMapping>(): Promise<T> {
    return this.get<T>(z64);
  }

  /** The object with `oid`, loaded. Throws `POSKeyError` if it does not exist. */
  get<T extends Persistent = Persistent>(oid: Oid): Promise<T> {
    return this.#loader.get<T>(oid);
  }

  /** Loads the state of `obj` (or of each of `objects`, in parallel) if it is a ghost. */
  activate(objects: Persistent | Iterable<Persistent>): Promise<void> {
    return this.#loader.activate(objects);
  }

  /**
   * Loads `roots` and the objects they refer to, `depth` hops deep, one
   * level at a time with all loads of a level in flight together. Returns
   * how many ghosts were loaded.
   */
  loadGraph(roots: Persistent | Iterable<Persistent>, options: LoadGraphOptions = {}): Promise<number> {
    return this.#loader.loadGraph(roots, options);
  }

  /**
   * Adds a new object to the database: it gets an oid from the storage now
   * and is stored by the next commit. (Objects reachable from stored
   * objects are added automatically at commit.) Returns the oid.
   */
  async add(obj: Persistent): Promise<Oid> {
    this.#status.checkIdle('add');
    if (!(obj instanceof Persistent)) throw new InvalidArgumentError('add: the object must be a Persistent');
    const meta = metaOf(obj);
    if (meta.jar === this.#jar) return meta.oid as Oid;
    if (meta.jar !== null) throw new InvalidObjectReferenceError(`add: ${describeObject(meta)} already belongs to another connection`);
    // Fail now, not at commit, if the class cannot be written.
    encodeObjectRecord(obj, this.#writer);
    this.#status.checkWritable();
    const oid = await this.#host.storage.newOid();
    if (metaOf(obj).jar === this.#jar) return metaOf(obj).oid as Oid;
    this.#changes.adopt(obj, oid);
    return oid;
  }

  /**
   * Makes the commit fail with a `ReadConflictError` if `obj` was changed
   * by another transaction since this one read it, even if this
   * transaction does not change it.
   */
  readCurrent(obj: Persistent): void {
    this.#status.checkOpen();
    const meta = metaOf(obj);
    if (meta.jar !== this.#jar) throw new InvalidObjectReferenceError(`readCurrent: ${describeObject(meta)} does not belong to this connection`);
    if (this.#changes.isAdded(obj)) return;
    if (meta.state === PersistentState.ghost) throw new GhostAccessError(describeObject(meta), '_p_serial', 'read');
    this.#changes.markReadCurrent(obj, meta.serial);
  }

  /**
   * Starts a new transaction: abandons uncommitted changes, applies the
   * invalidations received and moves to the newest snapshot.
   */
  async begin(): Promise<void> {
    this.#status.checkIdle('begin');
    this.#changes.abort();
    this.#newTransaction();
  }

  /**
   * Commits the current transaction with two-phase commit and starts the
   * next one. Resolves to the new tid, or `null` when there was nothing to
   * store. On failure (e.g. `ConflictError`) the transaction is aborted
   * before the error is thrown, so the connection is ready for a retry.
   *
   * A failure while the storage makes the commit durable is a
   * `TransactionOutcomeUnknownError` instead (never retried by
   * `DB.transaction`): the commit may have happened. Objects added by the
   * transaction then keep their oids, and every object of the connection
   * becomes a ghost, so the next transaction reloads what the storage
   * really holds; check it there (with ZEO, once the client reconnected).
   */
  async commit(): Promise<Tid | null> {
    this.#status.checkIdle('commit');
    const toStore = this.#changes.toStore();
    if (toStore.length === 0 && this.#changes.readCurrent.size === 0) {
      this.#changes.abort();
      this.#newTransaction();
      return null;
    }
    this.#status.phase = 'committing';
    return this.#committer.run(toStore, this.#transaction);
  }

  /** Abandons the current transaction's changes and starts a new transaction. */
  async abort(): Promise<void> {
    this.#status.checkIdle('abort');
    this.#changes.abort();
    this.#newTransaction();
  }

  /**
   * Gives the connection back to the pool, abandoning uncommitted changes.
   * Afterwards the connection and the ghosts of its objects cannot be used.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#status.phase === 'closed') return;
    if (this.#status.phase === 'committing') throw new ConnectionStateError('cannot close a connection while it commits');
    this.#changes.abort();
    this.#status.phase = 'closed';
    await this.#host.release(this);
  }

  /** Turns least-recently-used unchanged objects into ghosts until the cache is within `cacheSize`; returns how many. */
  cacheGC(): number {
    return this.#cache.shrink();
  }

  /** Turns every unchanged loaded object into a ghost; returns how many. */
  cacheMinimize(): number {
    let count = 0;
    for (const obj of [...this.#cache.objects()]) {
      if (metaOf(obj).state === PersistentState.upToDate) {
        this.#cache.ghostify(obj);
        count++;
      }
    }
    return count;
  }

  /** Counts of the object cache. */
  cacheStats(): CacheStats {
    return this.#cache.stats();
  }

  // --- transaction boundaries and invalidations ---------------------------

  /** After a commit: a new transaction, unless the connection was destroyed meanwhile (database closed). */
  #endCommit(): void {
    if (this.#status.closed) {
      this.#ghostifyAll();
      return;
    }
    this.#status.phase = 'open';
    this.#newTransaction();
  }

  #ghostifyAll(): void {
    for (const obj of [...this.#cache.objects()]) this.#cache.ghostify(obj);
  }

  #queueInvalidation(invalidation: Invalidation): void {
    // A historical view never changes.
    if (this.#historical !== undefined) return;
    const ownTid = this.#committer.ownTid;
    if (ownTid !== null && invalidation.tid.equals(ownTid)) return;
    this.#invalidations.push(invalidation);
  }

  #newTransaction(): void {
    const invalidations = this.#invalidations.take();
    if (invalidations === 'all') {
      for (const obj of [...this.#cache.objects()]) if (metaOf(obj).state === PersistentState.upToDate) this.#cache.ghostify(obj);
    } else {
      for (const invalidation of invalidations) {
        for (const oid of invalidation.oids) {
          const obj = this.#cache.get(oid);
          if (obj !== undefined && metaOf(obj).state === PersistentState.upToDate) this.#cache.ghostify(obj);
        }
      }
    }
    this.#loader.moveTo(this.#historical ?? nextTid(this.#host.lastTid()));
    this.#transaction = new TransactionMetadata();
    this.#cache.shrink();
  }
}
