/**
 * The bounded list of recent transactions and the oids they changed, from
 * which `getInvalidations(tid)` tells a reconnecting client what changed
 * while it was away (Python: `StorageServer.invq`).
 */
import { InvalidArgumentError } from '../errors.js';
import { oidKey, type Oid, type OidKey, type Tid } from '../storage/oid.js';
import type { Invalidation } from '../storage/storage.js';

/** What changed after a client's tid: the newest tid known and the oids changed since. */
export interface InvalidationsSince {
  /** The newest transaction in the queue. */
  readonly tid: Tid;
  /** Every oid changed by a transaction after the client's tid, each once. */
  readonly oids: Oid[];
}

/**
 * A ring of at most `capacity` transactions, oldest first. Like Python's,
 * it can answer for a client whose tid is not older than the oldest entry.
 */
export class InvalidationQueue {
  readonly #capacity: number;
  readonly #entries: Invalidation[] = [];

  /**
   * @param capacity - how many transactions to remember (`invalidation-queue-size`)
   * @param initial - the storage's last transactions, oldest first (extra ones are dropped)
   * @throws InvalidArgumentError if `capacity` is not a positive integer
   */
  constructor(capacity: number, initial: readonly Invalidation[] = []) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new InvalidArgumentError(`invalidationQueueSize must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
    for (const entry of initial.slice(-capacity)) this.#entries.push(entry);
  }

  /** How many transactions are remembered. */
  get size(): number {
    return this.#entries.length;
  }

  /** Remembers a committed transaction (tids must increase), forgetting the oldest if full. */
  add(invalidation: Invalidation): void {
    if (this.#entries.length >= this.#capacity) this.#entries.shift();
    this.#entries.push(invalidation);
  }

  /**
   * The oids changed after `tid` and the newest tid, or `null` when the
   * queue cannot tell (it is empty, or `tid` is older than its oldest
   * entry: the client must then drop its cache).
   */
  since(tid: Tid): InvalidationsSince | null {
    const entries = this.#entries;
    const oldest = entries[0];
    const newest = entries[entries.length - 1];
    if (oldest === undefined || newest === undefined || oldest.tid.compare(tid) > 0) return null;
    const seen = new Set<OidKey>();
    const oids: Oid[] = [];
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i] as Invalidation;
      if (entry.tid.compare(tid) <= 0) break;
      for (const oid of entry.oids) {
        const key = oidKey(oid);
        if (!seen.has(key)) {
          seen.add(key);
          oids.push(oid);
        }
      }
    }
    return { tid: newest.tid, oids };
  }
}
