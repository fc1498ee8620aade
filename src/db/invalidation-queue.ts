import type { Tid } from '../storage/oid.js';
import type { Invalidation } from '../storage/storage.js';

/** Past this many queued oids, a connection idle in the pool drops its whole cache instead. */
export const MAX_QUEUED_OIDS = 100_000;

/**
 * The invalidations a connection collects between its transactions, applied
 * when the next one starts. Bounded: past `limit` queued oids it keeps
 * only "everything", and one naming no object (a commit that only
 * checked reads) changes nothing and is not kept.
 *
 * @internal
 */
export class InvalidationQueue {
  readonly #limit: number;
  #entries: Invalidation[] = [];
  #oids = 0;
  #all = false;

  constructor(limit = MAX_QUEUED_OIDS) {
    this.#limit = limit;
  }

  /** The invalidations kept (0 once everything is invalid). */
  get size(): number {
    return this.#entries.length;
  }

  /** Whether everything cached is out of date. */
  get all(): boolean {
    return this.#all;
  }

  /** Queues one invalidation. */
  push(invalidation: Invalidation): void {
    if (this.#all || invalidation.oids.length === 0) return;
    this.#entries.push(invalidation);
    this.#oids += invalidation.oids.length;
    if (this.#oids > this.#limit) this.invalidateAll();
  }

  /** Everything cached is out of date (a ZEO client reconnected, or the queue overflowed). */
  invalidateAll(): void {
    this.#entries = [];
    this.#oids = 0;
    this.#all = true;
  }

  /** Drops the invalidation of `tid`: the connection's own commit, whose objects it holds up to date. */
  forget(tid: Tid): void {
    this.#entries = this.#entries.filter((invalidation) => !invalidation.tid.equals(tid));
    this.#oids = this.#entries.reduce((sum, invalidation) => sum + invalidation.oids.length, 0);
  }

  /** Empties the queue: `'all'`, or the invalidations kept, oldest first. */
  take(): 'all' | readonly Invalidation[] {
    const taken = this.#all ? 'all' : this.#entries;
    this.#entries = [];
    this.#oids = 0;
    this.#all = false;
    return taken;
  }
}
