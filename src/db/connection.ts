/**
 * A connection: one view of the database, with its own object cache and
 * one transaction at a time (ZODB's `Connection` and its MVCC adapter).
 * Every transaction reads one snapshot: records are loaded with
 * `loadBefore(oid, snapshot)`, and invalidations from other commits are
 * applied only when a transaction starts.
 */
import { InvalidArgumentError, ZkzeoError } from '../errors.js';
import type { Logger } from '../logger.js';
import { ReadConflictError, ReadOnlyError, TransactionOutcomeUnknownError } from '../storage/errors.js';
import { oidKey, p64, u64, z64, type Oid, type OidKey, type Tid } from '../storage/oid.js';
import type { Invalidation, LoadBeforeResult, Storage, TransactionMetaData } from '../storage/storage.js';
import type { ClassRegistry } from './class-registry.js';
import type { DB } from './db.js';
import { ConnectionStateError, GhostAccessError, InvalidObjectReferenceError } from './errors.js';
import { GenericPersistent, updateGenericClass } from './generic-persistent.js';
import { InvalidationQueue } from './invalidation-queue.js';
import { ObjectCache, type CacheStats } from './object-cache.js';
import { describeObject, metaOf, newGhost, Persistent, PersistentState, type PersistentJar } from './persistent.js';
import type { PersistentMapping } from './persistent-mapping.js';
import { decodeObjectRecord, encodeObjectRecord, readRecordClass, type ClassMetadata, type ReaderContext, type WriterContext } from './serializer.js';
import { stateReferences } from './state-references.js';
import { TransactionMetadata } from './transaction.js';

/** @internal What a connection needs from its database. */
export interface ConnectionHost {
  readonly db: DB;
  readonly storage: Storage;
  readonly registry: ClassRegistry;
  readonly databaseName: string;
  readonly readOnly: boolean;
  readonly cacheSize: number;
  readonly logger: Logger;
  /** The newest tid the database has seen committed. */
  lastTid(): Tid;
  /** `conn` committed `tid`, storing `oids`: tell the other connections. */
  committed(conn: Connection, tid: Tid, oids: readonly Oid[]): void;
  /** Gives `conn` back to the pool. */
  release(conn: Connection): Promise<void>;
}

/** @internal What the database drives on a connection. */
export interface ConnectionControl {
  /** Hands the connection out again: starts a new transaction. */
  reopen(): void;
  /** Queues an invalidation, applied when the next transaction starts. */
  invalidate(invalidation: Invalidation): void;
  /** Every cached object is out of date (a ZEO client reconnected): drop the cache at the next transaction. */
  invalidateAll(): void;
  /**
   * Closes the connection for good (pool eviction, database close). A
   * commit in progress is left to end on its own (the connection stays
   * closed after it). Settles once a commit the storage has begun has
   * ended; one still preparing (or waiting for `tpcBegin`) is not waited
   * for: it fails if the storage closes.
   */
  destroy(): Promise<void>;
}

/** Options of {@link Connection.loadGraph}. */
export interface LoadGraphOptions {
  /**
   * How many reference hops to follow from the roots: 0 loads only the
   * roots, `Infinity` everything reachable.
   * @defaultValue 1
   */
  depth?: number;
}

type ConnectionState = 'open' | 'committing' | 'closed';

interface EncodedRecord {
  readonly obj: Persistent;
  readonly oid: Oid;
  readonly serial: Tid;
  readonly data: Buffer;
}

const controls = new WeakMap<Connection, ConnectionControl>();

/** @internal The control half of `conn`, for its database. */
export function connectionControl(conn: Connection): ConnectionControl {
  return controls.get(conn) as ConnectionControl;
}

function nextTid(tid: Tid): Tid {
  return p64(u64(tid) + 1n);
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

/**
 * A connection to a {@link DB}, from `db.open()`: an object cache and one
 * transaction at a time. Close it to give it back to the pool. Objects of
 * a connection must not be stored through another one.
 */
export class Connection {
  readonly #host: ConnectionHost;
  readonly #jar: PersistentJar;
  readonly #cache: ObjectCache;
  readonly #reader: ReaderContext;
  readonly #writer: WriterContext;
  #state: ConnectionState = 'closed';
  #snapshot: Tid = z64;
  #generation = 0;
  #transaction = new TransactionMetadata();
  readonly #changed = new Set<Persistent>();
  readonly #added = new Set<Persistent>();
  readonly #readCurrent = new Map<Persistent, Tid>();
  readonly #invalidations = new InvalidationQueue();
  #ownTid: Tid | null = null;
  readonly #loading = new Map<OidKey, Promise<void>>();
  readonly #fetching = new Map<OidKey, Promise<Persistent>>();
  readonly #historical: Tid | undefined;
  // Settles (never rejects) when the commit in progress has ended.
  #committing: Promise<void> | undefined;
  // Whether that commit got past tpcBegin: cutting it short could leave the storage's half undone.
  #commitBegun = false;

  /** @internal Connections come from `db.open()`; `before` makes a read-only view of the past. */
  constructor(host: ConnectionHost, before?: Tid) {
    this.#host = host;
    this.#historical = before === undefined ? undefined : Buffer.from(before);
    this.#cache = new ObjectCache(host.cacheSize);
    this.#jar = {
      connection: this,
      activate: (obj) => this.activate(obj),
      beforeWrite: (obj) => this.#beforeWrite(obj),
      register: (obj) => {
        this.#changed.add(obj);
        this.#cache.activated(obj);
      },
    };
    this.#reader = {
      jar: this.#jar,
      cached: (oid) => this.#cache.get(oid),
      ghost: (oid, pythonClass) => this.#cache.get(oid) ?? this.#createGhost(oid, { pythonClass, newArgs: null, raw: pythonClass }),
    };
    this.#writer = { jar: this.#jar, registry: host.registry, cached: (oid) => this.#cache.get(oid) };
    controls.set(this, {
      reopen: () => {
        this.#state = 'open';
        this.#newTransaction();
      },
      invalidate: (invalidation) => this.#queueInvalidation(invalidation),
      invalidateAll: () => {
        if (this.#historical === undefined) this.#invalidations.invalidateAll();
      },
      destroy: () => {
        const committing = this.#committing;
        if (committing !== undefined) {
          // The commit still reads and updates its objects: it cleans up when it ends, seeing 'closed'.
          this.#state = 'closed';
          return this.#commitBegun ? committing : Promise.resolve();
        }
        if (this.#state !== 'closed') this.#abortChanges();
        this.#state = 'closed';
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
    return this.#state !== 'closed';
  }

  /** The metadata (user, description, extension) of the current transaction. */
  get transaction(): TransactionMetadata {
    return this.#transaction;
  }

  /** The snapshot of the current transaction: it sees every commit with a tid before this one. */
  get snapshot(): Tid {
    return this.#snapshot;
  }

  /** Whether this is a historical (read-only) connection, see `DB.open`. */
  get historical(): boolean {
    return this.#historical !== undefined;
  }

  /** Whether the current transaction has changes to commit. */
  get hasChanges(): boolean {
    for (const obj of this.#changed) if (metaOf(obj).state === PersistentState.changed) return true;
    return false;
  }

  /** The root object (oid 0), loaded. */
  async root<T extends PersistentMapping = PersistentMapping>(): Promise<T> {
    return this.get<T>(z64);
  }

  /** The object with `oid`, loaded. Throws `POSKeyError` if it does not exist. */
  async get<T extends Persistent = Persistent>(oid: Oid): Promise<T> {
    this.#checkOpen();
    if (!Buffer.isBuffer(oid) || oid.length !== 8) throw new InvalidArgumentError('get: oid must be an 8-byte Buffer');
    const cached = this.#cache.get(oid);
    if (cached !== undefined) {
      await this.activate(cached);
      return cached as T;
    }
    const key = oidKey(oid);
    let fetching = this.#fetching.get(key);
    if (fetching === undefined) {
      fetching = this.#fetch(Buffer.from(oid)).finally(() => this.#fetching.delete(key));
      this.#fetching.set(key, fetching);
    }
    return (await fetching) as T;
  }

  async #fetch(oid: Oid): Promise<Persistent> {
    const generation = this.#generation;
    const record = await this.#loadRecord(oid);
    const obj = this.#cache.get(oid) ?? this.#createGhost(oid, readRecordClass(record.data));
    await this.#activate(obj, generation === this.#generation ? record : undefined);
    return obj;
  }

  /** Loads the state of `obj` (or of each of `objects`, in parallel) if it is a ghost. */
  async activate(objects: Persistent | Iterable<Persistent>): Promise<void> {
    this.#checkOpen();
    if (objects instanceof Persistent) {
      await this.#activate(objects);
      return;
    }
    await Promise.all(Array.from(objects, (obj) => this.#activate(obj)));
  }

  /**
   * Loads `roots` and the objects they refer to, `depth` hops deep, one
   * level at a time with all loads of a level in flight together. Returns
   * how many ghosts were loaded.
   */
  async loadGraph(roots: Persistent | Iterable<Persistent>, options: LoadGraphOptions = {}): Promise<number> {
    this.#checkOpen();
    const depth = options.depth ?? 1;
    if (!(depth >= 0)) throw new InvalidArgumentError(`loadGraph: depth must be 0 or more, got ${depth}`);
    let level = roots instanceof Persistent ? [roots] : [...roots];
    const seen = new Set<Persistent>(level);
    let loaded = 0;
    for (let hop = 0; level.length > 0; hop++) {
      const ghosts = level.filter((obj) => metaOf(obj).state === PersistentState.ghost);
      await Promise.all(ghosts.map((obj) => this.#activate(obj)));
      loaded += ghosts.length;
      if (hop >= depth) break;
      const next: Persistent[] = [];
      for (const obj of level) {
        for (const ref of stateReferences(obj.__getstate__())) {
          if (!seen.has(ref) && metaOf(ref).jar === this.#jar) {
            seen.add(ref);
            next.push(ref);
          }
        }
      }
      level = next;
    }
    return loaded;
  }

  /**
   * Adds a new object to the database: it gets an oid from the storage now
   * and is stored by the next commit. (Objects reachable from stored
   * objects are added automatically at commit.) Returns the oid.
   */
  async add(obj: Persistent): Promise<Oid> {
    this.#checkIdle('add');
    if (!(obj instanceof Persistent)) throw new InvalidArgumentError('add: the object must be a Persistent');
    const meta = metaOf(obj);
    if (meta.jar === this.#jar) return meta.oid as Oid;
    if (meta.jar !== null) throw new InvalidObjectReferenceError(`add: ${describeObject(meta)} already belongs to another connection`);
    // Fail now, not at commit, if the class cannot be written.
    encodeObjectRecord(obj, this.#writer);
    this.#checkWritable();
    const oid = await this.#host.storage.newOid();
    if (metaOf(obj).jar === this.#jar) return metaOf(obj).oid as Oid;
    this.#adopt(obj, oid);
    return oid;
  }

  /**
   * Makes the commit fail with a `ReadConflictError` if `obj` was changed
   * by another transaction since this one read it, even if this
   * transaction does not change it.
   */
  readCurrent(obj: Persistent): void {
    this.#checkOpen();
    const meta = metaOf(obj);
    if (meta.jar !== this.#jar) throw new InvalidObjectReferenceError(`readCurrent: ${describeObject(meta)} does not belong to this connection`);
    if (this.#added.has(obj)) return;
    if (meta.state === PersistentState.ghost) throw new GhostAccessError(describeObject(meta), '_p_serial', 'read');
    this.#readCurrent.set(obj, meta.serial);
  }

  /**
   * Starts a new transaction: abandons uncommitted changes, applies the
   * invalidations received and moves to the newest snapshot.
   */
  async begin(): Promise<void> {
    this.#checkIdle('begin');
    this.#abortChanges();
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
    this.#checkIdle('commit');
    const toStore = [...this.#changed].filter((obj) => metaOf(obj).state === PersistentState.changed);
    if (toStore.length === 0 && this.#readCurrent.size === 0) {
      this.#abortChanges();
      this.#newTransaction();
      return null;
    }
    this.#state = 'committing';
    const commit = this.#commit(toStore);
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

  async #commit(toStore: readonly Persistent[]): Promise<Tid> {
    const storage = this.#host.storage;
    let txn: TransactionMetaData | undefined;
    let finishing = false;
    try {
      this.#checkWritable();
      const records = await this.#serialize(toStore);
      const meta = this.#transaction.toStorage();
      await storage.tpcBegin(meta);
      txn = meta;
      this.#commitBegun = true;
      await Promise.all(records.map((r) => storage.store(r.oid, r.serial, r.data, meta)));
      const stored = new Set(records.map((r) => r.obj));
      for (const [obj, serial] of this.#readCurrent) {
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
      this.#abortChanges();
      this.#endCommit();
      throw error;
    }
  }

  /** Abandons the current transaction's changes and starts a new transaction. */
  async abort(): Promise<void> {
    this.#checkIdle('abort');
    this.#abortChanges();
    this.#newTransaction();
  }

  /**
   * Gives the connection back to the pool, abandoning uncommitted changes.
   * Afterwards the connection and the ghosts of its objects cannot be used.
   * Idempotent.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state === 'committing') throw new ConnectionStateError('cannot close a connection while it commits');
    this.#abortChanges();
    this.#state = 'closed';
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

  // --- loading ------------------------------------------------------------

  async #loadRecord(oid: Oid): Promise<LoadBeforeResult> {
    const snapshot = this.#snapshot;
    const result = await this.#host.storage.loadBefore(oid, snapshot);
    if (result === null) {
      throw new ReadConflictError({ oid, serials: [z64, snapshot], read: true });
    }
    return result;
  }

  #activate(obj: Persistent, record?: LoadBeforeResult): Promise<void> {
    const meta = metaOf(obj);
    if (meta.state !== PersistentState.ghost) return Promise.resolve();
    if (meta.jar !== this.#jar) {
      return Promise.reject(new InvalidObjectReferenceError(`${describeObject(meta)} does not belong to this connection`));
    }
    if (this.#state === 'closed') return Promise.reject(this.#closedError());
    const key = oidKey(meta.oid as Oid);
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = this.#load(obj, record).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    return loading;
  }

  async #load(obj: Persistent, record: LoadBeforeResult | undefined): Promise<void> {
    const meta = metaOf(obj);
    const oid = meta.oid as Oid;
    // A record loaded before a transaction boundary belongs to the old snapshot: load again.
    while (meta.state === PersistentState.ghost) {
      const generation = this.#generation;
      const current = record ?? (await this.#loadRecord(oid));
      record = undefined;
      let decoded = decodeObjectRecord(current.data, this.#reader);
      if (decoded.unresolved.length > 0) {
        // Bare-oid references carry no class: load their targets to learn it.
        await Promise.all(decoded.unresolved.map((ref) => this.get(ref)));
        decoded = decodeObjectRecord(current.data, this.#reader);
      }
      if (generation !== this.#generation || meta.state !== PersistentState.ghost) continue;
      if (obj instanceof GenericPersistent) {
        updateGenericClass(obj, decoded.classMeta.pythonClass, decoded.classMeta.raw, decoded.classMeta.newArgs);
      }
      meta.state = PersistentState.upToDate;
      meta.loading = true;
      try {
        obj.__setstate__(decoded.state);
      } catch (error) {
        this.#cache.ghostify(obj);
        throw error;
      } finally {
        meta.loading = false;
      }
      meta.serial = current.serial;
      this.#cache.activated(obj);
    }
  }

  #createGhost(oid: Oid, classMeta: ClassMetadata): Persistent {
    const cls = this.#host.registry.lookup(classMeta.pythonClass.qualifiedName);
    const obj =
      cls === undefined
        ? newGhost(GenericPersistent, [classMeta.pythonClass, classMeta.raw, classMeta.newArgs], this.#jar, oid)
        : newGhost(cls, classMeta.newArgs ?? [], this.#jar, oid);
    this.#cache.add(obj);
    return obj;
  }

  // --- committing ---------------------------------------------------------

  async #serialize(objects: readonly Persistent[]): Promise<EncodedRecord[]> {
    const records: EncodedRecord[] = [];
    const done = new Set<Persistent>();
    for (const top of objects) {
      // Like ZODB's ObjectWriter: new objects found while pickling go on a stack, stored last found first.
      const stack = [top];
      while (stack.length > 0) {
        const obj = stack.pop() as Persistent;
        if (done.has(obj)) continue;
        done.add(obj);
        let encoded = encodeObjectRecord(obj, this.#writer);
        while (encoded.newObjects !== undefined) {
          // Oids in the order the pickler met the objects, as ZODB assigns them.
          const fresh = encoded.newObjects.filter((o) => metaOf(o).jar === null);
          if (fresh.length > 0) {
            const oids = await this.#host.storage.newOids(fresh.length);
            fresh.forEach((o, j) => this.#adopt(o, oids[j] as Oid));
            stack.push(...fresh);
          }
          encoded = encodeObjectRecord(obj, this.#writer);
        }
        const meta = metaOf(obj);
        records.push({ obj, oid: meta.oid as Oid, serial: this.#added.has(obj) ? z64 : meta.serial, data: encoded.data });
      }
    }
    return records;
  }

  #adopt(obj: Persistent, oid: Oid): void {
    const meta = metaOf(obj);
    meta.jar = this.#jar;
    meta.oid = oid;
    meta.serial = z64;
    meta.state = PersistentState.changed;
    this.#cache.add(obj);
    this.#added.add(obj);
    this.#changed.add(obj);
  }

  #finishCommit(records: readonly EncodedRecord[], resolved: readonly Oid[], tid: Tid): void {
    for (const { obj } of records) {
      const meta = metaOf(obj);
      meta.serial = tid;
      meta.state = PersistentState.upToDate;
    }
    // The storage resolved conflicts for these: their stored state differs from ours.
    for (const oid of resolved) {
      const obj = this.#cache.get(oid);
      if (obj !== undefined) this.#cache.ghostify(obj);
    }
    this.#ownTid = tid;
    this.#invalidations.forget(tid);
    this.#changed.clear();
    this.#added.clear();
    this.#readCurrent.clear();
    this.#host.committed(this, tid, records.map((r) => r.oid));
    this.#endCommit();
  }

  /**
   * The commit may or may not be durable: keep the oids of added objects
   * (they may now exist in the storage) and make every object a ghost, so
   * that what the storage really holds is loaded again.
   */
  #forgetUncertainCommit(): void {
    for (const obj of this.#changed) this.#cache.ghostify(obj);
    this.#changed.clear();
    this.#added.clear();
    this.#readCurrent.clear();
    this.#invalidations.invalidateAll();
    this.#endCommit();
  }

  /** After a commit: a new transaction, unless the connection was destroyed meanwhile (database closed). */
  #endCommit(): void {
    if (this.#state === 'closed') {
      this.#ghostifyAll();
      return;
    }
    this.#state = 'open';
    this.#newTransaction();
  }

  #ghostifyAll(): void {
    for (const obj of [...this.#cache.objects()]) this.#cache.ghostify(obj);
  }

  #abortChanges(): void {
    for (const obj of this.#added) {
      const meta = metaOf(obj);
      this.#cache.remove(obj);
      meta.jar = null;
      meta.oid = null;
      meta.serial = z64;
      meta.state = PersistentState.unsaved;
    }
    for (const obj of this.#changed) {
      if (!this.#added.has(obj) && metaOf(obj).state === PersistentState.changed) this.#cache.ghostify(obj);
    }
    this.#added.clear();
    this.#changed.clear();
    this.#readCurrent.clear();
  }

  // --- transaction boundaries and invalidations ---------------------------

  #queueInvalidation(invalidation: Invalidation): void {
    // A historical view never changes.
    if (this.#historical !== undefined) return;
    if (this.#ownTid !== null && invalidation.tid.equals(this.#ownTid)) return;
    this.#invalidations.push(invalidation);
  }

  #newTransaction(): void {
    this.#generation++;
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
    this.#snapshot = this.#historical ?? nextTid(this.#host.lastTid());
    this.#transaction = new TransactionMetadata();
    this.#cache.shrink();
  }

  // --- state checks -------------------------------------------------------

  #closedError(): ConnectionStateError {
    return new ConnectionStateError(`the connection to database ${JSON.stringify(this.#host.databaseName)} is closed; open another with db.open()`);
  }

  #checkOpen(): void {
    if (this.#state === 'closed') throw this.#closedError();
  }

  #checkIdle(call: string): void {
    this.#checkOpen();
    if (this.#state === 'committing') throw new ConnectionStateError(`${call}: a commit is in progress on this connection`);
  }

  #checkWritable(): void {
    if (this.#host.readOnly || this.#historical !== undefined) throw new ReadOnlyError(this.#host.storage.getName());
  }

  #beforeWrite(obj: Persistent): void {
    if (this.#state === 'open') return;
    const what = describeObject(metaOf(obj));
    if (this.#state === 'closed') throw new ConnectionStateError(`cannot change ${what}: its connection is closed`);
    throw new ConnectionStateError(`cannot change ${what} while its connection commits; wait for commit() to finish`);
  }
}
