/**
 * ClientStorage: the storage interface over the ZEO protocol, like ZEO's
 * Python `ClientStorage`, with an MVCC cache, connection management and
 * two-phase commit.
 */
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../../errors.js';
import { idToHex, maxTid, z64, type Oid, type Tid } from '../../storage/oid.js';
import type {
  HistoryEntry,
  Invalidation,
  LoadBeforeResult,
  LoadResult,
  Storage,
  TpcBeginOptions,
  TransactionMetaData,
} from '../../storage/storage.js';
import {
  ConflictError,
  POSKeyError,
  ReadOnlyError,
  StorageTransactionError,
  TransactionOutcomeUnknownError,
} from '../../storage/errors.js';
import { ClientDisconnected } from '../errors.js';
import type { ZeoValue } from '../wire/values.js';
import { VERIFICATION_OUTCOMES, verifyCache, type CacheVerification } from './cache-verification.js';
import { ClientCache, type ClientCacheStats } from './client-cache.js';
import type { ClientStorageEvents } from './client-storage-events.js';
import { ClientTransaction } from './client-transaction.js';
import { ConnectionManager } from './connection-manager.js';
import { ClientStorageClosedError, UnsupportedOperationError } from './errors.js';
import { OidPool } from './oid-pool.js';
import { packArguments, packFailure, type ClientPackOptions } from './pack-request.js';
import { resolveClientOptions, type ClientStorageOptions, type ResolvedClientOptions } from './options.js';
import { parseZeoAddresses, type ZeoAddressInput } from './server-address.js';
import type { Registration, ServerConnection, ServerConnectionDelegate } from './server-connection.js';
import { replyBytes, replyHistory, replyIds, replyLoadBefore, replyTid, replyVote } from './server-replies.js';
import { extensionToWire } from './transaction-extension.js';
import { TransactionQueue } from './transaction-queue.js';

/** The Python client gives up client-side conflict resolution after this many votes. */
const MAX_VOTES = 9;

function checkId(id: unknown, what: string): asserts id is Buffer {
  if (!Buffer.isBuffer(id) || id.length !== 8) throw new InvalidArgumentError(`${what} must be an 8-byte Buffer`);
}

/**
 * A ZODB storage served by ZEO servers. Reads go through an in-memory MVCC
 * cache; misses are pipelined on one connection. Writes use ZEO's
 * two-phase commit; transactions run one at a time per client and never
 * span connections. Reconnects on its own, verifying the cache each time.
 *
 * Create with {@link ClientStorage.open} (waits for the first connection
 * when `wait` is set) or the constructor (starts connecting, returns at once).
 */
export class ClientStorage extends EventEmitter<ClientStorageEvents> {
  readonly #options: ResolvedClientOptions;
  readonly #cache: ClientCache;
  readonly #manager: ConnectionManager;
  readonly #oids: OidPool;
  readonly #transactions = new WeakMap<TransactionMetaData, ClientTransaction>();
  #current: ClientTransaction | undefined;
  readonly #queue = new TransactionQueue();
  #nextHandle = 1;
  #info = new Map<ZeoValue, ZeoValue>();
  #verification: CacheVerification | undefined;
  #everConnected = false;
  #closed = false;

  /**
   * Checks the options and starts connecting.
   * @throws InvalidArgumentError naming the first bad option.
   */
  constructor(options: ClientStorageOptions) {
    super();
    const o = resolveClientOptions(options);
    this.#options = o;
    this.#cache = new ClientCache(o.cacheSize);
    this.#oids = new OidPool({
      fetch: () => this.#call('new_oids', []).then((reply) => replyIds(reply, 'new_oids')),
      onPrefetchError: (error) => o.logger.debug({ err: error }, 'fetching new oids in advance failed'),
    });
    this.#manager = new ConnectionManager({ ...o, name: o.name, setUp: this.#setUp });
    this.#manager.on('connected', (event) => {
      this.#everConnected = true;
      const verification = this.#verification as CacheVerification;
      this.emit('connected', { ...event, verification: verification.outcome, cacheCleared: verification.cleared });
    });
    this.#manager.on('disconnected', (event) => {
      this.#oids.clear();
      this.emit('disconnected', event);
    });
    this.#manager.on('attemptFailed', (event) => this.emit('connectionAttemptFailed', event));
    this.#manager.on('retryScheduled', (event) => this.emit('retryScheduled', event));
    this.#manager.start();
  }

  /**
   * Creates a ClientStorage and, when `wait` is set (the default), waits
   * up to `waitTimeout` for the first connection.
   * @throws WaitTimeoutError if no server was ready in time (the storage is closed then).
   */
  static async open(options: ClientStorageOptions): Promise<ClientStorage> {
    const storage = new ClientStorage(options);
    if (storage.#options.wait) {
      try {
        await storage.waitUntilConnected();
      } catch (error) {
        await storage.close();
        throw error;
      }
    }
    return storage;
  }

  /**
   * Resolves once connected (at once if connected now).
   * @param timeoutSeconds - `Infinity` waits without limit. @defaultValue the `waitTimeout` option
   * @throws WaitTimeoutError after the timeout; ClientStorageClosedError if closed meanwhile.
   */
  async waitUntilConnected(timeoutSeconds?: number): Promise<void> {
    await this.#manager.waitForConnection(timeoutSeconds === undefined ? this.#options.waitTimeoutMs : timeoutSeconds * 1000);
  }

  /**
   * Replaces the server address list (see the connection manager rules:
   * reconnects at once when not connected, moves away from a server that
   * left the list).
   * @throws InvalidArgumentError for a bad address; ClientStorageClosedError once closed.
   */
  setAddresses(addresses: readonly ZeoAddressInput[]): void {
    this.#manager.setAddresses(parseZeoAddresses(addresses, 'setAddresses'));
  }

  /** The name given in the options (default: the addresses). */
  getName(): string {
    return this.#options.name;
  }

  /** The database size in bytes as the server last reported it (0 before the first connection). */
  getSize(): number {
    const size = this.#info.get('size');
    return typeof size === 'number' ? size : 0;
  }

  /** The number of objects as the server last reported it. */
  getLength(): number {
    const length = this.#info.get('length');
    return typeof length === 'number' ? length : 0;
  }

  /**
   * What the server's `get_info` and `info` messages reported (`name`,
   * `supportsUndo`, `interfaces`, …). After a reconnection it is the new
   * server's by the time the first reply on the new connection arrives.
   */
  get serverInfo(): ReadonlyMap<ZeoValue, ZeoValue> {
    return this.#info;
  }

  /** Whether writes are refused: the `readOnly` option, or a read-only (fallback) connection. */
  isReadOnly(): boolean {
    return this.#options.readOnly || this.#manager.connection?.readOnly === true;
  }

  /**
   * This storage typed as the storage interface. ClientStorage has every
   * method of `Storage`, but it emits more events than `StorageEvents`
   * lists, which `Storage`'s `EventEmitter<StorageEvents>` base cannot
   * express; the object is the same.
   */
  asStorage(): Storage {
    return this as unknown as Storage;
  }

  /** Whether a verified connection is in use. */
  isConnected(): boolean {
    return this.#manager.connection !== undefined;
  }

  /** The address of the server in use, if connected. */
  get serverAddress(): string | undefined {
    return this.#manager.connection?.address.label;
  }

  /** The cache's counters. */
  get cacheStats(): ClientCacheStats {
    return this.#cache.stats;
  }

  /**
   * The last transaction this client knows about (answered locally, as in
   * ZEO): it moves only after the invalidations of that transaction were
   * processed. `z64` before anything is known.
   */
  lastTransaction(): Tid {
    return this.#cache.lastTid ?? z64;
  }

  /** The current revision of `oid`. @throws POSKeyError if it does not exist. */
  async load(oid: Oid): Promise<LoadResult> {
    const revision = await this.loadBefore(oid, maxTid);
    if (revision === null) throw new POSKeyError(oid);
    return revision;
  }

  /**
   * The revision of `oid` current just before `tid` (`null` if the object
   * has none that old), from the cache when it can tell, else from the
   * server (and then cached).
   * @throws POSKeyError if the object does not exist.
   */
  loadBefore(oid: Oid, tid: Tid): Promise<LoadBeforeResult | null> {
    if (oid?.length !== 8 || tid?.length !== 8) return Promise.reject(new InvalidArgumentError('loadBefore needs an 8-byte oid and tid'));
    const cached = this.#cache.loadBefore(oid, tid);
    if (cached !== undefined) return Promise.resolve(cached);
    const connection = this.#manager.connection;
    const reply =
      connection !== undefined ? connection.loadBefore(oid, tid) : this.#connection('loadBefore').then((c) => c.loadBefore(oid, tid));
    return reply.then(replyLoadBefore);
  }

  /** The record of `oid` written by transaction `serial`. @throws POSKeyError if there is none. */
  async loadSerial(oid: Oid, serial: Tid): Promise<Buffer> {
    checkId(oid, 'oid');
    checkId(serial, 'serial');
    return replyBytes(await this.#call('loadSerial', [oid, serial]), 'loadSerial');
  }

  /** The serial of the current revision of `oid`. @throws POSKeyError if it does not exist. */
  async getTid(oid: Oid): Promise<Tid> {
    checkId(oid, 'oid');
    return replyTid(await this.#call('getTid', [oid]), 'getTid');
  }

  /** Up to `size` revisions of `oid`, newest first. @throws POSKeyError if it does not exist. */
  async history(oid: Oid, size = 1): Promise<HistoryEntry[]> {
    checkId(oid, 'oid');
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`history size must be an integer ≥ 1, got ${size}`);
    return replyHistory(await this.#call('history', [oid, size]));
  }

  /** Not available through ZEO (the server keeps its invalidation queue to itself). */
  async lastInvalidations(_count: number): Promise<Invalidation[]> {
    throw new UnsupportedOperationError('lastInvalidations', 'the protocol only offers getInvalidations(tid), which merges transactions');
  }

  /** A round trip to the server: every invalidation it sent before answering has been processed when this resolves. */
  async ping(): Promise<void> {
    await this.#call('ping', []);
  }

  /**
   * Packs the server's storage to `time` (seconds since the epoch, default
   * now) minus `options.days`, as ZEO's `ClientStorage.pack`. Allowed on a
   * read-only client or connection, as in ZEO (a storage that is itself
   * read-only refuses). With `wait` (the default) it resolves once the
   * pack is done; otherwise once the server has started it. Other calls go
   * on meanwhile. Garbage collection follows the server's `pack-gc`
   * setting: `options.gc` cannot be sent.
   * @throws PackError for a bad time or when the server's storage refuses
   *   or fails the pack (the `ZODB.FileStorage.FileStorage.FileStorageError`
   *   or `KeyError` a Python server raises included); ReadOnlyError from a
   *   read-only storage; UnsupportedOperationError when `options.gc` is given.
   */
  async pack(time?: number, options: ClientPackOptions = {}): Promise<void> {
    const args = packArguments(time, options);
    try {
      await this.#call('pack', args);
    } catch (error) {
      throw packFailure(error);
    }
  }

  /** A fresh oid from the pool the server fills in batches of 100. @throws ReadOnlyError on a read-only client. */
  async newOid(): Promise<Oid> {
    this.#refuseWrites();
    return this.#oids.take();
  }

  /** `count` fresh oids, ascending. @throws ReadOnlyError on a read-only client. */
  async newOids(count: number): Promise<Oid[]> {
    this.#refuseWrites();
    if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`newOids count must be an integer ≥ 0, got ${count}`);
    return this.#oids.takeMany(count);
  }

  /**
   * Begins committing `txn` (sends `tpc_begin`). Waits while another
   * transaction of this client is in progress, and for a connection.
   * @throws ReadOnlyError on a read-only client (nothing is sent);
   *   StorageTransactionError if `txn` is already being committed.
   */
  async tpcBegin(txn: TransactionMetaData, options: TpcBeginOptions = {}): Promise<void> {
    this.#refuseWrites();
    if (this.#transactions.has(txn)) throw new StorageTransactionError('Duplicate tpc_begin calls for same transaction');
    await this.#queue.acquire();
    try {
      const connection = await this.#connection('tpc_begin');
      const transaction = new ClientTransaction(txn, this.#nextHandle++, connection, this.#manager.generation);
      connection.callOneWay('tpc_begin', [
        transaction.handle,
        txn.user,
        txn.description,
        extensionToWire(txn.extension),
        options.tid ?? null,
        options.status ?? ' ',
      ]);
      this.#transactions.set(txn, transaction);
      this.#current = transaction;
    } catch (error) {
      this.#queue.release();
      throw error;
    }
  }

  /** Queues a new revision of `oid` based on `serial` (`z64` for a new object); sends `storea`. */
  async store(oid: Oid, serial: Tid, data: Buffer, txn: TransactionMetaData): Promise<void> {
    checkId(oid, 'oid');
    checkId(serial, 'serial');
    const transaction = this.#check(txn, 'store');
    transaction.connection.callOneWay('storea', [oid, serial, data, transaction.handle]);
    transaction.stored(oid, data);
  }

  /** Queues a check, made at vote, that `oid` is still at `serial`. */
  async checkCurrentSerialInTransaction(oid: Oid, serial: Tid, txn: TransactionMetaData): Promise<void> {
    checkId(oid, 'oid');
    checkId(serial, 'serial');
    const transaction = this.#check(txn, 'checkCurrentSerialInTransaction');
    transaction.connection.callOneWay('checkCurrentSerialInTransaction', [oid, serial, transaction.handle]);
  }

  /**
   * Votes: the server takes its commit lock and checks for conflicts.
   * Returns the oids whose committed data differs from what was stored
   * (resolved conflicts); reload those objects.
   * @throws ConflictError / ReadConflictError; call {@link tpcAbort} then.
   */
  async tpcVote(txn: TransactionMetaData): Promise<Oid[]> {
    const transaction = this.#check(txn, 'tpc_vote');
    const changed: Oid[] = [];
    for (let vote = 1; ; vote++) {
      let reply: ZeoValue;
      try {
        reply = await transaction.connection.call('vote', [transaction.handle]);
      } catch (error) {
        // The object is evidently stale in the cache.
        if (error instanceof ConflictError && error.oid?.length === 8) this.#cache.forget(error.oid);
        throw error;
      }
      const { resolved, conflicts } = replyVote(reply);
      for (const oid of resolved) {
        transaction.resolvedByServer(oid);
        changed.push(oid);
      }
      if (conflicts.length === 0) return changed;
      const first = conflicts[0] as (typeof conflicts)[number];
      const resolver = this.#options.conflictResolver;
      if (resolver === undefined || vote >= MAX_VOTES) {
        throw new ConflictError({ oid: first.oid, serials: [first.committed, first.old], data: first.data, read: false });
      }
      for (const conflict of conflicts) {
        const data = await resolver(conflict.oid, conflict.committed, conflict.old, conflict.data);
        if (data === null) throw new ConflictError({ oid: conflict.oid, serials: [conflict.committed, conflict.old], data: conflict.data, read: false });
        this.#check(txn, 'tpc_vote');
        transaction.connection.callOneWay('storea', [conflict.oid, conflict.committed, data, transaction.handle]);
        transaction.stored(conflict.oid, data);
        changed.push(conflict.oid);
      }
    }
  }

  /**
   * Makes the voted transaction durable and returns its tid. The cache
   * then holds the stored records as current, `invalidation` has been
   * emitted and {@link lastTransaction} is the new tid.
   * @throws ClientDisconnected (retryable) if the connection was lost
   *   before `tpc_finish` could be sent: the server aborts the transaction
   *   then. TransactionOutcomeUnknownError (not retryable) for any failure
   *   once it was sent, a lost connection included: the server may have
   *   committed it. The client reconnects then, which verifies the cache.
   */
  async tpcFinish(txn: TransactionMetaData): Promise<Tid> {
    const transaction = this.#check(txn, 'tpc_finish');
    const connection = transaction.connection;
    let tid: Tid | undefined;
    let failure: unknown;
    let cacheFailure: unknown;
    try {
      await connection.callWithReplyHook('tpc_finish', [transaction.handle], (result) => {
        try {
          tid = replyTid(result, 'tpc_finish');
        } catch (error) {
          failure = error;
          return;
        }
        try {
          this.#committed(transaction, tid);
        } catch (error) {
          cacheFailure = error;
        }
      });
    } catch (error) {
      failure = error;
    }
    this.#end(transaction);
    if (tid === undefined) {
      const error = failure ?? new ClientDisconnected('tpc_finish got no tid');
      this.#reconnectAfterFinish(connection, error);
      throw new TransactionOutcomeUnknownError(this.#options.name, { cause: error });
    }
    // The server reported the tid: the transaction is durable, whatever became of the cache.
    if (cacheFailure !== undefined) this.#reconnectAfterFinish(connection, cacheFailure);
    return tid;
  }

  /** After a failed `tpc_finish` the cache may be stale: reconnect, which verifies it. */
  #reconnectAfterFinish(connection: ServerConnection, error: unknown): void {
    if (connection.isClosed) return;
    this.#options.logger.error({ err: error }, 'tpc_finish failed: reconnecting to bring the cache up to date');
    connection.close(new ClientDisconnected('tpc_finish failed; reconnecting to verify the cache'));
  }

  /** Abandons `txn` (a no-op if it is not being committed). A lost connection is ignored: the server aborted it then. */
  async tpcAbort(txn: TransactionMetaData): Promise<void> {
    const transaction = this.#transactions.get(txn);
    if (transaction === undefined || transaction !== this.#current) return;
    try {
      if (transaction.generation === this.#manager.generation && !transaction.connection.isClosed) {
        await transaction.connection.call('tpc_abort', [transaction.handle]);
      }
    } catch (error) {
      if (!(error instanceof ClientDisconnected)) throw error;
    } finally {
      this.#end(transaction);
    }
  }

  /**
   * Closes the connections and stops reconnecting; idempotent. Calls still
   * waiting fail with {@link ClientStorageClosedError} or {@link ClientDisconnected}.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#oids.clear();
    await this.#manager.close();
  }

  // ---- internals ----

  #refuseWrites(): void {
    if (this.#closed) throw new ClientStorageClosedError(this.#options.name);
    if (this.isReadOnly()) throw new ReadOnlyError(this.#options.name);
  }

  /** The connection for a call, waiting for one as ZEO does (`wait_timeout`). */
  #connection(method: string): Promise<ServerConnection> {
    const connection = this.#manager.connection;
    if (connection !== undefined) return Promise.resolve(connection);
    if (this.#closed) return Promise.reject(new ClientStorageClosedError(this.#options.name, `call ${method}`));
    if (!this.#everConnected && !this.#options.wait) return Promise.reject(new ClientDisconnected('never connected'));
    return this.#manager.waitForConnection(this.#options.waitTimeoutMs);
  }

  async #call(method: string, args: readonly ZeoValue[]): Promise<ZeoValue> {
    const connection = this.#manager.connection ?? (await this.#connection(method));
    return connection.call(method, args);
  }

  #check(txn: TransactionMetaData, method: string): ClientTransaction {
    const transaction = this.#transactions.get(txn);
    if (transaction === undefined || transaction !== this.#current) {
      throw new StorageTransactionError(`${method}: Transaction not committing`);
    }
    if (transaction.generation !== this.#manager.generation || transaction.connection.isClosed) {
      throw new ClientDisconnected(`${method} on a disconnected transaction`);
    }
    return transaction;
  }

  #end(transaction: ClientTransaction): void {
    if (this.#current !== transaction) return;
    this.#transactions.delete(transaction.meta);
    this.#current = undefined;
    this.#queue.release();
  }

  /** Runs while the `tpc_finish` reply is processed, before any later message. */
  #committed(transaction: ClientTransaction, tid: Tid): void {
    for (const { oid, data, cacheable } of transaction.updates()) {
      this.#cache.invalidate(oid, tid);
      if (cacheable) this.#cache.store(oid, tid, null, data);
    }
    this.#cache.setLastTid(tid);
    this.#emitSafely('invalidation', { tid, oids: transaction.oids });
  }

  /** Emits an invalidation event; a throwing listener is logged, not allowed to break cache upkeep. */
  #emitSafely(event: 'invalidation' | 'invalidations', invalidation: Invalidation): void {
    try {
      this.emit(event, invalidation);
    } catch (error) {
      this.#options.logger.error({ err: error, event }, `a listener of ${event} threw`);
    }
  }

  #invalidate(tid: Tid, oids: Oid[]): void {
    for (const oid of oids) this.#cache.invalidate(oid, tid);
    const invalidation = { tid, oids };
    this.#emitSafely('invalidations', invalidation);
    this.#emitSafely('invalidation', invalidation);
    try {
      this.#cache.setLastTid(tid);
    } catch (error) {
      this.#options.logger.error({ err: error, tid: idToHex(tid) }, 'invalidation older than the last known transaction');
    }
  }

  readonly #delegate: ServerConnectionDelegate = {
    loadReply: (oid, _before, data, start, end) => this.#cache.store(oid, start, end, data),
    invalidateTransaction: (tid, oids) => this.#invalidate(tid, oids),
    info: (info) => {
      for (const [key, value] of info) this.#info.set(key, value);
    },
  };

  /** Verification and setup of a registered connection (protocol §10.2), before it is used. */
  #setUp = async (connection: ServerConnection, registration: Registration): Promise<void> => {
    const verification = await verifyCache(
      this.#cache,
      registration.serverTid,
      (since) => connection.call('getInvalidations', [since]),
      { address: connection.address.label, logger: this.#options.logger, name: this.#options.name },
    );
    if (verification.outcome === VERIFICATION_OUTCOMES.quick) {
      const invalidation = { tid: verification.tid, oids: verification.invalidated };
      this.#emitSafely('invalidations', invalidation);
      this.#emitSafely('invalidation', invalidation);
    }
    this.#cache.setLastTid(verification.tid);
    for (const [tid, oids] of connection.attach(this.#delegate)) {
      if (Buffer.compare(tid, verification.tid) > 0) this.#invalidate(tid, oids);
    }
    const info = connection.call('get_info', []).then((reply) => {
      if (reply instanceof Map && (connection === this.#manager.connection || !this.#everConnected)) this.#info = new Map(reply);
    });
    // The first connection waits for the info, so an opened storage has it.
    // After that the calls waiting for a connection go out behind it, and
    // the server answers in order: one round trip less before the first
    // load, and still no reply reaches a caller before the info is in.
    if (!this.#everConnected) {
      await info;
    } else {
      info.catch((error: unknown) => {
        // A connection that closed meanwhile says so itself.
        if (connection.isClosed) return;
        this.#options.logger.warn({ err: error }, `get_info from ${connection.address.label} failed; the server info is the previous server's`);
      });
    }
    if (this.#options.clientLabel !== undefined) connection.callOneWay('set_client_label', [this.#options.clientLabel]);
    this.#verification = verification;
  };
}

// Every method of the storage interface is here with its exact signature (only the event base differs).
type StorageMethods = Omit<Storage, keyof EventEmitter>;
const _storageMethods = (storage: ClientStorage): StorageMethods => storage;
void _storageMethods;
