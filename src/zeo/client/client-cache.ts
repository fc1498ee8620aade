/**
 * The ZEO client's object cache: revisions of objects kept in memory,
 * bounded by bytes, correct under MVCC (ZEO's `ClientCache` rules).
 */
import { InvalidArgumentError } from '../../errors.js';
import { idToHex, oidKey, type Oid, type OidKey, type Tid } from '../../storage/oid.js';
import type { LoadBeforeResult } from '../../storage/storage.js';

/**
 * Bytes charged per cached revision on top of its record: the tids, the
 * index entries and the object headers (Python's file cache charges 43).
 */
export const REVISION_OVERHEAD_BYTES = 96;

/** A cached revision; also an intrusive node of the recency list. */
interface Revision {
  readonly key: OidKey;
  readonly start: Tid;
  /** null while this is the current revision. */
  end: Tid | null;
  readonly data: Buffer;
  readonly bytes: number;
  /** What `loadBefore` hands out, built once so hits allocate nothing. */
  result: LoadBeforeResult;
  older: Revision | null;
  newer: Revision | null;
}

/**
 * Binary search of `revisions` (ascending by start) for `start`: its index,
 * or `-(insertion point) - 1` when absent.
 */
function findStart(revisions: readonly Revision[], start: Tid): number {
  let low = 0;
  let high = revisions.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const order = Buffer.compare((revisions[middle] as Revision).start, start);
    if (order === 0) return middle;
    if (order < 0) low = middle + 1;
    else high = middle - 1;
  }
  return -low - 1;
}

/** Counters of a ClientStorage's object cache, for monitoring and tests. */
export interface ClientCacheStats {
  /** Revisions held (current and non-current). */
  readonly revisions: number;
  /** Current revisions held. */
  readonly current: number;
  /** Bytes charged (records plus {@link REVISION_OVERHEAD_BYTES} each). */
  readonly bytes: number;
  /** The byte limit. */
  readonly maxBytes: number;
  /** `loadBefore` calls answered from the cache. */
  readonly hits: number;
  /** `loadBefore` calls the cache could not answer. */
  readonly misses: number;
  /** Revisions dropped to stay under the limit. */
  readonly evictions: number;
}

/**
 * Revisions of objects: for each oid at most one *current* revision (valid
 * from its start tid until the cache hears otherwise) and any number of
 * *non-current* ones, each valid for `[start, end)`. Plus the last
 * transaction the cache is known to be up to date with. Bounded by
 * `maxBytes`, least recently used revisions go first.
 *
 * The rules are those of ZEO's `ClientCache`: `loadBefore(oid, tid)` uses
 * the newest non-current revision with `start < tid` if its `end ≥ tid`,
 * else the current one if its `start < tid`; an invalidation at `tid`
 * turns the current revision into a non-current one ending at `tid` (or
 * drops it if it starts at `tid`); {@link forget} drops the current
 * revision (verification found it may be stale). Records are kept without
 * copying and handed out as is: callers must not modify them.
 */
export class ClientCache {
  readonly #maxBytes: number;
  readonly #current = new Map<OidKey, Revision>();
  /** Non-current revisions per oid, ascending by start. */
  readonly #noncurrent = new Map<OidKey, Revision[]>();
  /** Least recently used end of the recency list. */
  #oldest: Revision | null = null;
  #newest: Revision | null = null;
  #bytes = 0;
  #count = 0;
  #lastTid: Tid | null = null;
  #hits = 0;
  #misses = 0;
  #evictions = 0;

  /** @throws InvalidArgumentError if `maxBytes` is not an integer ≥ 0. */
  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
      throw new InvalidArgumentError(`cache size must be an integer number of bytes ≥ 0, got ${maxBytes}`);
    }
    this.#maxBytes = maxBytes;
  }

  /** The last transaction the cache is up to date with, or null if none was set. */
  get lastTid(): Tid | null {
    return this.#lastTid;
  }

  /** How many revisions the cache holds. */
  get count(): number {
    return this.#count;
  }

  /** Counters for monitoring. */
  get stats(): ClientCacheStats {
    return {
      revisions: this.#count,
      current: this.#current.size,
      bytes: this.#bytes,
      maxBytes: this.#maxBytes,
      hits: this.#hits,
      misses: this.#misses,
      evictions: this.#evictions,
    };
  }

  /**
   * Records that the cache reflects every transaction up to `tid`.
   * Going backwards is refused while the cache holds revisions (it would
   * make them look valid for transactions they may not have seen); an
   * empty cache may go back (a server restored from backup).
   * @throws InvalidArgumentError if `tid` is older than the current last tid and the cache is not empty.
   */
  setLastTid(tid: Tid): void {
    const last = this.#lastTid;
    if (last !== null) {
      const order = Buffer.compare(tid, last);
      if (order === 0) return;
      if (order < 0 && this.#count > 0) {
        throw new InvalidArgumentError(`cache last tid cannot go back from ${idToHex(last)} to ${idToHex(tid)}`);
      }
    }
    this.#lastTid = tid;
  }

  /**
   * The revision of `oid` that was current just before `tid`, if the cache
   * can tell; `undefined` means ask the server.
   */
  loadBefore(oid: Oid, tid: Tid): LoadBeforeResult | undefined {
    const key = oidKey(oid);
    const revisions = this.#noncurrent.get(key);
    if (revisions !== undefined) {
      // The newest revision starting before tid sits just before tid's place.
      const found = findStart(revisions, tid);
      const revision = revisions[(found >= 0 ? found : -found - 1) - 1];
      if (revision !== undefined && Buffer.compare(revision.end as Tid, tid) >= 0) return this.#hit(revision);
    }
    const current = this.#current.get(key);
    if (current !== undefined && Buffer.compare(current.start, tid) < 0) return this.#hit(current);
    this.#misses++;
    return undefined;
  }

  /** The current revision of `oid`, if cached. */
  load(oid: Oid): LoadBeforeResult | undefined {
    const current = this.#current.get(oidKey(oid));
    return current === undefined ? undefined : this.#hit(current);
  }

  /**
   * Adds a revision: current when `end` is null, else valid for
   * `[start, end)`. A record larger than the whole cache is not kept.
   * A current revision older than the cached current one is ignored (a
   * late reply); a newer one replaces it.
   */
  store(oid: Oid, start: Tid, end: Tid | null, data: Buffer): void {
    const bytes = data.length + REVISION_OVERHEAD_BYTES;
    if (bytes > this.#maxBytes) return;
    const key = oidKey(oid);
    if (end === null) {
      const current = this.#current.get(key);
      if (current !== undefined) {
        const order = Buffer.compare(start, current.start);
        if (order <= 0) return;
        this.#remove(current);
      }
    } else {
      const current = this.#current.get(key);
      // The server says the revision we hold as current has ended.
      if (current !== undefined && current.start.equals(start)) this.#remove(current);
      const revisions = this.#noncurrent.get(key);
      if (revisions !== undefined && findStart(revisions, start) >= 0) return;
    }
    const revision: Revision = {
      key,
      start,
      end,
      data,
      bytes,
      result: { data, serial: start, nextSerial: end },
      older: null,
      newer: null,
    };
    if (end === null) this.#current.set(key, revision);
    else this.#insertNoncurrent(revision);
    this.#link(revision);
    this.#bytes += bytes;
    this.#count++;
    this.#evict();
  }

  /**
   * Transaction `tid` wrote a new revision of `oid`: the cached current
   * revision becomes non-current, ending at `tid`. If it already starts at
   * `tid` (the server sent the data before the invalidation) it is dropped,
   * as ZEO does; `tid` older than its start drops it too.
   * @returns whether a current revision was affected.
   */
  invalidate(oid: Oid, tid: Tid): boolean {
    const key = oidKey(oid);
    const current = this.#current.get(key);
    if (current === undefined) return false;
    if (Buffer.compare(current.start, tid) >= 0) {
      this.#remove(current);
      return true;
    }
    this.#current.delete(key);
    const revisions = this.#noncurrent.get(key);
    if (revisions !== undefined && findStart(revisions, current.start) >= 0) {
      this.#unlink(current);
      this.#bytes -= current.bytes;
      this.#count--;
      return true;
    }
    current.end = tid;
    current.result = { data: current.data, serial: current.start, nextSerial: tid };
    this.#insertNoncurrent(current);
    return true;
  }

  /**
   * Drops the current revision of `oid` (cache verification found it may
   * be stale); non-current revisions stay valid.
   * @returns whether there was one.
   */
  forget(oid: Oid): boolean {
    const current = this.#current.get(oidKey(oid));
    if (current === undefined) return false;
    this.#remove(current);
    return true;
  }

  /** Drops every revision (the last tid stays until the next {@link setLastTid}). */
  clear(): void {
    this.#current.clear();
    this.#noncurrent.clear();
    this.#oldest = null;
    this.#newest = null;
    this.#bytes = 0;
    this.#count = 0;
  }

  #hit(revision: Revision): LoadBeforeResult {
    this.#hits++;
    if (revision !== this.#newest) {
      this.#unlink(revision);
      this.#link(revision);
    }
    return revision.result;
  }

  #insertNoncurrent(revision: Revision): void {
    const revisions = this.#noncurrent.get(revision.key);
    if (revisions === undefined) {
      this.#noncurrent.set(revision.key, [revision]);
      return;
    }
    const last = revisions[revisions.length - 1] as Revision;
    // Invalidations append (the usual case); anything else goes to its sorted place.
    if (Buffer.compare(last.start, revision.start) < 0) revisions.push(revision);
    else revisions.splice(-findStart(revisions, revision.start) - 1, 0, revision);
  }

  #remove(revision: Revision): void {
    if (revision.end === null) {
      this.#current.delete(revision.key);
    } else {
      const revisions = this.#noncurrent.get(revision.key);
      if (revisions !== undefined) {
        const i = findStart(revisions, revision.start);
        if (i >= 0 && revisions[i] === revision) revisions.splice(i, 1);
        if (revisions.length === 0) this.#noncurrent.delete(revision.key);
      }
    }
    this.#unlink(revision);
    this.#bytes -= revision.bytes;
    this.#count--;
  }

  #evict(): void {
    while (this.#bytes > this.#maxBytes && this.#oldest !== null) {
      this.#remove(this.#oldest);
      this.#evictions++;
    }
  }

  #link(revision: Revision): void {
    revision.older = this.#newest;
    revision.newer = null;
    if (this.#newest !== null) this.#newest.newer = revision;
    else this.#oldest = revision;
    this.#newest = revision;
  }

  #unlink(revision: Revision): void {
    if (revision.older !== null) revision.older.newer = revision.newer;
    else this.#oldest = revision.newer;
    if (revision.newer !== null) revision.newer.older = revision.older;
    else this.#newest = revision.older;
    revision.older = null;
    revision.newer = null;
  }
}
