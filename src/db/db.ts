/**
 * The database object (ZODB's `DB`): a storage, a pool of connections,
 * invalidations routed from the storage to every connection, and
 * `transaction()`, which runs a function in a transaction and retries it
 * on conflicts.
 */
import type { EventEmitter } from 'eventemitter3';
import { createPool, type Pool } from 'generic-pool';
import pRetry from 'p-retry';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { PickleEncoder } from '../pickle/encode.js';
import { PyGlobal } from '../pickle/values.js';
import { ConflictError, POSKeyError } from '../storage/errors.js';
import { compareIds, p64, u64, z64, type Oid, type Tid } from '../storage/oid.js';
import type { Invalidation, Storage } from '../storage/storage.js';
import { defaultClassRegistry, type ClassRegistry } from './class-registry.js';
import { Connection, connectionControl, type ConnectionHost } from './connection.js';
import { ConnectionStateError, isRetryableError, PoolTimeoutError } from './errors.js';
import { TransactionMetadata, type TransactionMetadataInit } from './transaction.js';

/** How `DB.transaction` retries after a `ConflictError` (exponential back-off, p-retry). */
export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. @defaultValue 3 */
  retries?: number;
  /** Delay before the first retry, in milliseconds. @defaultValue 10 */
  minDelayMS?: number;
  /** Longest delay between attempts, in milliseconds. @defaultValue 1000 */
  maxDelayMS?: number;
  /** Growth factor of the delay. @defaultValue 2 */
  factor?: number;
  /** Multiply each delay by a random factor between 1 and 2, so that conflicting writers spread out. @defaultValue true */
  randomize?: boolean;
}

/** Options of {@link DB.transaction}: transaction metadata and retry policy. */
export interface TransactionOptions extends TransactionMetadataInit, RetryOptions {}

/** Options of a {@link DB}. */
export interface DBOptions {
  /** The database name (ZODB's `database_name`). @defaultValue `'unnamed'` */
  databaseName?: string;
  /** The most connections open at once; `open()` waits when all are in use. @defaultValue 7 */
  poolSize?: number;
  /** How long `open()` waits for a free connection before a `PoolTimeoutError`, in milliseconds. @defaultValue 30000 */
  poolTimeoutMS?: number;
  /** Close connections unused for this long, in milliseconds (ZODB's `pool-timeout`); none by default. */
  idleTimeoutMS?: number;
  /** The target number of loaded objects in each connection's cache. @defaultValue 400 */
  cacheSize?: number;
  /** Refuse every write with `ReadOnlyError`. @defaultValue whether the storage is read-only */
  readOnly?: boolean;
  /** Python class names ↔ TypeScript classes. @defaultValue the registry `registerClass` fills */
  classRegistry?: ClassRegistry;
  /** Close the storage when the database closes. @defaultValue true */
  closeStorage?: boolean;
  /** The default retry policy of {@link DB.transaction}. */
  retry?: RetryOptions;
  /** Where warnings go. @defaultValue `silentLogger` */
  logger?: Logger;
}

/** Options of {@link DB.open}. */
export interface OpenOptions {
  /**
   * Open a read-only historical connection that sees the database as it
   * was before this tid (ZODB's `db.open(before=…)`). Not pooled.
   */
  before?: Tid;
  /** Open a read-only historical connection that sees the database as of this tid, inclusive (ZODB's `at`). */
  at?: Tid;
}

/** Counts of a database's connection pool. */
export interface PoolStats {
  /** Connections that exist (in use or idle). */
  readonly size: number;
  /** Idle connections. */
  readonly available: number;
  /** Connections in use. */
  readonly borrowed: number;
  /** `open()` calls waiting for a connection. */
  readonly pending: number;
  /** The pool size. */
  readonly max: number;
}

const SECONDS_PER_DAY = 86_400;
const ROOT_CLASS = new PyGlobal('persistent.mapping', 'PersistentMapping');

function checkCount(name: string, value: number | undefined, min: number, allowInfinity = false): void {
  if (value === undefined) return;
  const ok = typeof value === 'number' && (Number.isInteger(value) || (allowInfinity && value === Infinity)) && value >= min;
  if (!ok) throw new InvalidArgumentError(`DB option ${name} must be an integer ≥ ${min}, got ${String(value)}`);
}

function checkRetry(prefix: string, retry: RetryOptions): void {
  checkCount(`${prefix}retries`, retry.retries, 0, true);
  checkCount(`${prefix}minDelayMS`, retry.minDelayMS, 0);
  checkCount(`${prefix}maxDelayMS`, retry.maxDelayMS, 0, true);
  if (retry.factor !== undefined && !(typeof retry.factor === 'number' && retry.factor >= 1)) {
    throw new InvalidArgumentError(`${prefix}factor must be a number ≥ 1, got ${String(retry.factor)}`);
  }
}

/** The empty root record `ZODB.DB` writes for a new database. */
function emptyRootRecord(): Buffer {
  return new PickleEncoder().dump(ROOT_CLASS).dump({ data: {} }).finish();
}

/**
 * A database on a storage. `open()` hands out connections from a pool;
 * `transaction(fn)` is the usual way to work:
 *
 * ```ts
 * const db = new DB(storage);
 * await db.transaction(async (conn) => {
 *   const root = await conn.root();
 *   root.set('count', ((root.get('count') as number) ?? 0) + 1);
 * });
 * await db.close();
 * ```
 */
export class DB {
  readonly #storage: Storage;
  readonly #databaseName: string;
  readonly #readOnly: boolean;
  readonly #cacheSize: number;
  readonly #poolSize: number;
  readonly #poolTimeoutMS: number;
  readonly #closeStorage: boolean;
  readonly #retry: Required<RetryOptions>;
  readonly #pool: Pool<Connection>;
  readonly #host: ConnectionHost;
  readonly #connections = new Set<Connection>();
  readonly #logger: Logger;
  readonly #onInvalidation = (invalidation: Invalidation): void => this.#route(invalidation, undefined);
  // A ZEO ClientStorage emits `connected` after every (re)connection: like ZODB, distrust every cached object then.
  readonly #onConnected = (): void => {
    const last = this.#storage.lastTransaction();
    if (compareIds(last, this.#lastTid) > 0) this.#lastTid = last;
    for (const conn of this.#connections) connectionControl(conn).invalidateAll();
  };
  #lastTid: Tid;
  #ready: Promise<void> | undefined;
  #closed = false;

  /** A database on `storage`; throws `InvalidArgumentError` naming a bad option. The root is created by the first `open()`. */
  constructor(storage: Storage, options: DBOptions = {}) {
    checkCount('poolSize', options.poolSize, 1);
    checkCount('poolTimeoutMS', options.poolTimeoutMS, 1);
    checkCount('idleTimeoutMS', options.idleTimeoutMS, 1);
    checkCount('cacheSize', options.cacheSize, 0);
    checkRetry('DB option retry.', options.retry ?? {});
    this.#storage = storage;
    this.#databaseName = options.databaseName ?? 'unnamed';
    this.#readOnly = options.readOnly ?? storage.isReadOnly();
    this.#cacheSize = options.cacheSize ?? 400;
    this.#poolSize = options.poolSize ?? 7;
    this.#poolTimeoutMS = options.poolTimeoutMS ?? 30_000;
    this.#closeStorage = options.closeStorage ?? true;
    this.#retry = { retries: 3, minDelayMS: 10, maxDelayMS: 1000, factor: 2, randomize: true, ...options.retry };
    this.#lastTid = storage.lastTransaction();
    const registry = options.classRegistry ?? defaultClassRegistry;
    const logger = options.logger ?? silentLogger;
    this.#logger = logger;
    this.#host = {
      db: this,
      storage,
      registry,
      databaseName: this.#databaseName,
      readOnly: this.#readOnly,
      cacheSize: this.#cacheSize,
      logger,
      lastTid: () => this.#lastTid,
      committed: (conn, tid, oids) => this.#route({ tid, oids }, conn),
      release: async (conn) => {
        if (this.#pool.isBorrowedResource(conn)) {
          await this.#pool.release(conn);
        } else {
          // A historical connection: not pooled.
          void connectionControl(conn).destroy();
          this.#connections.delete(conn);
        }
      },
    };
    this.#pool = createPool<Connection>(
      {
        create: async () => {
          const conn = new Connection(this.#host);
          this.#connections.add(conn);
          return conn;
        },
        destroy: async (conn) => {
          // A commit still running ends on its own; close() waits for it.
          void connectionControl(conn).destroy();
          this.#connections.delete(conn);
        },
      },
      {
        max: this.#poolSize,
        min: 0,
        acquireTimeoutMillis: this.#poolTimeoutMS,
        ...(options.idleTimeoutMS === undefined
          ? {}
          : { idleTimeoutMillis: options.idleTimeoutMS, evictionRunIntervalMillis: Math.max(1000, Math.floor(options.idleTimeoutMS / 2)) }),
      },
    );
    storage.on('invalidation', this.#onInvalidation);
    (storage as unknown as EventEmitter<{ connected: () => void }>).on('connected', this.#onConnected);
  }

  /** The storage. */
  get storage(): Storage {
    return this.#storage;
  }

  /** The database name. */
  get databaseName(): string {
    return this.#databaseName;
  }

  /** Whether writes are refused. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** The target number of loaded objects per connection. */
  get cacheSize(): number {
    return this.#cacheSize;
  }

  /** The newest committed tid this database has seen (the snapshot of new transactions is just after it). */
  lastTransaction(): Tid {
    return this.#lastTid;
  }

  /** Counts of the connection pool. */
  poolStats(): PoolStats {
    const pool = this.#pool;
    return { size: pool.size, available: pool.available, borrowed: pool.borrowed, pending: pool.pending, max: pool.max };
  }

  /**
   * Makes sure the root object exists, creating an empty
   * `PersistentMapping` (transaction "initial database creation") if the
   * storage has none and is writable. `open()` calls it.
   */
  ready(): Promise<void> {
    this.#ready ??= this.#ensureRoot().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /**
   * A connection from the pool, in a new transaction. Waits while all
   * `poolSize` connections are in use, at most `poolTimeoutMS`
   * (`PoolTimeoutError`). Close it when done. With `before` or `at`, a
   * read-only historical connection instead.
   */
  async open(options: OpenOptions = {}): Promise<Connection> {
    this.#checkOpen();
    await this.ready();
    this.#checkOpen();
    if (options.before !== undefined || options.at !== undefined) return this.#openHistorical(options);
    let conn: Connection;
    try {
      conn = await this.#pool.acquire();
    } catch (error) {
      // The pool refuses new requests while close() drains it.
      this.#checkOpen();
      if ((error as Error | undefined)?.name === 'TimeoutError') {
        throw new PoolTimeoutError(this.#databaseName, this.#poolSize, this.#poolTimeoutMS, { cause: error });
      }
      throw error;
    }
    if (this.#closed) {
      // close() released this connection to a waiting open(): give it back, or close() would wait for it forever.
      await this.#pool.release(conn);
      this.#checkOpen();
    }
    connectionControl(conn).reopen();
    return conn;
  }

  /**
   * Runs `fn` in a transaction on a pooled connection: commits when it
   * resolves, aborts when it throws, and runs the whole function again
   * after an error whose `retryable` flag is set (a `ConflictError` or
   * `ReadConflictError` from any storage, local or ZEO, or a lost ZEO
   * connection; see `isRetryableError`) with exponential back-off.
   * Resolves to `fn`'s result. A `TransactionOutcomeUnknownError` (the
   * storage failed while making the commit durable) is never retried: the
   * commit may have happened, so check in a new transaction first.
   */
  async transaction<T>(fn: (conn: Connection) => Promise<T> | T, options: TransactionOptions = {}): Promise<T> {
    this.#checkOpen();
    checkRetry('transaction option ', options);
    const retry = { ...this.#retry };
    for (const key of ['retries', 'minDelayMS', 'maxDelayMS', 'factor', 'randomize'] as const) {
      if (options[key] !== undefined) (retry as Record<string, unknown>)[key] = options[key];
    }
    const attempt = async (): Promise<T> => {
      const conn = await this.open();
      try {
        const meta = conn.transaction;
        const init = new TransactionMetadata(options);
        meta.user = init.user;
        meta.description = init.description;
        Object.assign(meta.extension, init.extension);
        const result = await fn(conn);
        await conn.commit();
        return result;
      } finally {
        await conn.close();
      }
    };
    return pRetry(attempt, {
      retries: retry.retries,
      minTimeout: retry.minDelayMS,
      maxTimeout: retry.maxDelayMS,
      factor: retry.factor,
      randomize: retry.randomize,
      shouldRetry: ({ error }) => isRetryableError(error),
    });
  }

  /**
   * Packs the storage (ZODB's `DB.pack`): removes the object revisions
   * that are no longer current as of `time` (seconds since the Unix epoch,
   * default now) minus `days` days, and, when the storage collects
   * garbage, the objects the root no longer reaches then. Connections may
   * go on meanwhile. A failure is logged and rethrown. The storage judges
   * the time, as in ZODB.
   * @throws ConnectionStateError once closed; the storage's errors, such
   *   as `PackError` (a bad time) or `ReadOnlyError`.
   */
  async pack(time?: number, days = 0): Promise<void> {
    this.#checkOpen();
    const t = (time ?? Date.now() / 1000) - days * SECONDS_PER_DAY;
    try {
      await this.#storage.pack(t);
    } catch (error) {
      this.#logger.error({ err: error, database: this.#databaseName }, `packing database ${JSON.stringify(this.#databaseName)} failed`);
      throw error;
    }
  }

  /**
   * Closes every connection (abandoning uncommitted changes), stops
   * listening to the storage and, unless `closeStorage` is false, closes
   * it. A commit the storage has begun is not cut short: it ends first
   * (its connection is closed then), so that closing the storage cannot
   * leave it half done; one not yet begun is abandoned (it fails once the
   * storage is closed). `open()` calls still waiting for a connection fail
   * with `ConnectionStateError`. Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#storage.off('invalidation', this.#onInvalidation);
    (this.#storage as unknown as EventEmitter<{ connected: () => void }>).off('connected', this.#onConnected);
    const commits: Promise<void>[] = [];
    for (const conn of [...this.#connections]) {
      commits.push(connectionControl(conn).destroy());
      if (this.#pool.isBorrowedResource(conn)) await this.#pool.release(conn);
    }
    await Promise.all(commits);
    await this.#pool.drain();
    await this.#pool.clear();
    if (this.#closeStorage) await this.#storage.close();
  }

  #openHistorical(options: OpenOptions): Connection {
    if (options.before !== undefined && options.at !== undefined) throw new InvalidArgumentError('open: give before or at, not both');
    const tid = options.before ?? options.at;
    if (!Buffer.isBuffer(tid) || tid.length !== 8) throw new InvalidArgumentError('open: before/at must be an 8-byte tid Buffer');
    const before = options.before ?? p64(u64(tid) + 1n);
    const conn = new Connection(this.#host, before);
    this.#connections.add(conn);
    connectionControl(conn).reopen();
    return conn;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ConnectionStateError(`database ${JSON.stringify(this.#databaseName)} is closed`);
  }

  #route(invalidation: Invalidation, except: Connection | undefined): void {
    // A commit of our own is reported twice (by the committing connection and by the storage).
    if (compareIds(invalidation.tid, this.#lastTid) <= 0) return;
    this.#lastTid = invalidation.tid;
    for (const conn of this.#connections) if (conn !== except) connectionControl(conn).invalidate(invalidation);
  }

  async #ensureRoot(): Promise<void> {
    const storage = this.#storage;
    try {
      await storage.load(z64);
      return;
    } catch (error) {
      if (!(error instanceof POSKeyError)) throw error;
      if (this.#readOnly) return;
    }
    const txn = new TransactionMetadata({ description: 'initial database creation' }).toStorage();
    await storage.tpcBegin(txn);
    try {
      await storage.store(z64, z64, emptyRootRecord(), txn);
      await storage.tpcVote(txn);
      const tid = await storage.tpcFinish(txn);
      this.#route({ tid, oids: [z64] as readonly Oid[] }, undefined);
    } catch (error) {
      await storage.tpcAbort(txn).catch(() => undefined);
      // Another database on the same storage created it first.
      if (error instanceof ConflictError) return;
      throw error;
    }
  }
}
