/**
 * One storage as the server serves it: the storage, its counters, its
 * invalidation queue, the connections registered for it, and the fan-out
 * of `invalidateTransaction` after each commit and of `info` after a pack.
 */
import type { Logger } from '../logger.js';
import type { Oid, Tid } from '../storage/oid.js';
import type { Invalidation, Storage } from '../storage/storage.js';
import type { ZeoValue } from '../zeo/wire/values.js';
import { InvalidationQueue } from './invalidation-queue.js';
import { StorageStats } from './server-stats.js';
import { storageStatus, type StorageStatus } from './status.js';

/** What the hosted storage needs from a registered connection: the one-way calls it pushes. */
export interface RegisteredClient {
  /** Sends `invalidateTransaction(tid, oids)` (one-way). */
  sendInvalidation(tid: Tid, oids: readonly Oid[]): void;
  /** Sends `info(info)` (one-way). */
  sendInfo(info: ZeoValue): void;
}

/** Settings shared by every hosted storage of a server. */
export interface HostingOptions {
  /** Transactions remembered for `getInvalidations`. */
  readonly invalidationQueueSize: number;
  /** Whether a transaction timeout is configured (reported by the status). */
  readonly hasTransactionTimeout: boolean;
  /** The time in milliseconds since the epoch. */
  readonly now: () => number;
  /** Where failures are logged. */
  readonly logger: Logger;
}

/** A served storage and its shared server-side state. */
export class HostedStorage {
  /** The name clients register with, e.g. `'1'`. */
  readonly name: string;
  /** The storage served. */
  readonly storage: Storage;
  /** Its counters. */
  readonly stats: StorageStats;
  /** Recent transactions for `getInvalidations`. */
  readonly invalidations: InvalidationQueue;
  readonly #targets = new Set<RegisteredClient>();
  readonly #options: HostingOptions;
  readonly #onInvalidation = (invalidation: Invalidation): void => this.#fanOut(invalidation);
  /** The connection finishing a commit right now (it gets no invalidation for it). */
  #committer: RegisteredClient | undefined;
  /** Votes waiting for the storage's commit lock. */
  waiting = 0;

  private constructor(name: string, storage: Storage, queue: InvalidationQueue, options: HostingOptions) {
    this.name = name;
    this.storage = storage;
    this.invalidations = queue;
    this.#options = options;
    this.stats = new StorageStats(options.now());
    storage.on('invalidation', this.#onInvalidation);
  }

  /** Hosts `storage`, filling the invalidation queue from its last transactions. */
  static async host(name: string, storage: Storage, options: HostingOptions): Promise<HostedStorage> {
    const initial = await storage.lastInvalidations(options.invalidationQueueSize);
    return new HostedStorage(name, storage, new InvalidationQueue(options.invalidationQueueSize, initial), options);
  }

  /** How many connections are registered. */
  get connections(): number {
    return this.#targets.size;
  }

  /** Adds a registered connection; it gets `invalidateTransaction` for every later commit. */
  register(target: RegisteredClient): void {
    this.#targets.add(target);
  }

  /** Removes a connection (closed). */
  unregister(target: RegisteredClient): void {
    this.#targets.delete(target);
  }

  /**
   * Runs the storage's `tpcFinish` for `committer`'s transaction: every
   * other registered connection is sent the invalidation as soon as the
   * storage reports the commit durable, before `finish` resolves.
   */
  async finishFor<T>(committer: RegisteredClient, finish: () => Promise<T>): Promise<T> {
    this.#committer = committer;
    try {
      return await finish();
    } finally {
      this.#committer = undefined;
    }
  }

  /** The storage's `length` and `size`, as Python's `get_size_info`. */
  sizeInfo(): Map<ZeoValue, ZeoValue> {
    return new Map<ZeoValue, ZeoValue>([
      ['length', this.storage.getLength()],
      ['size', this.storage.getSize()],
    ]);
  }

  /**
   * Packs the storage to `time` (seconds since the epoch), then sends every
   * registered connection the new size info (Python's `_pack_impl` and
   * `broadcast_info`). Rejects with the storage's error; nothing is sent then.
   */
  async pack(time: number): Promise<void> {
    await this.storage.pack(time);
    const info = this.sizeInfo();
    for (const client of this.#targets) {
      try {
        client.sendInfo(info);
      } catch (error) {
        this.#options.logger.warn({ err: error, storage: this.name }, 'could not send the size info after a pack');
      }
    }
  }

  #fanOut(invalidation: Invalidation): void {
    this.invalidations.add(invalidation);
    const committer = this.#committer;
    for (const target of this.#targets) {
      if (target === committer) continue;
      try {
        target.sendInvalidation(invalidation.tid, invalidation.oids);
      } catch (error) {
        // A connection that cannot be written to is closing; the others must still hear.
        this.#options.logger.warn({ err: error, storage: this.name }, 'could not send an invalidation');
      }
    }
  }

  /** The status report (`server_status`, `ruok`). */
  status(): StorageStatus {
    return storageStatus({
      stats: this.stats,
      connections: this.#targets.size,
      waiting: this.waiting,
      hasTransactionTimeout: this.#options.hasTransactionTimeout,
      lastTransaction: this.storage.lastTransaction(),
    });
  }

  /** Stops listening to the storage (it is not closed). */
  detach(): void {
    this.storage.off('invalidation', this.#onInvalidation);
  }
}
