/**
 * The transaction being committed: its tid and metadata, the stores and
 * read checks queued since `tpcBegin`, and the conflict check done at vote.
 */
import { ConflictError, ReadConflictError, type ConflictDetail } from './errors.js';
import { oidKey, type Oid, type OidKey, type Tid } from './oid.js';
import type { ConflictResolver, TransactionMetaData, TransactionStatus } from './storage.js';

/** A queued `store`. `data` is replaced when a conflict is resolved. */
export interface QueuedStore {
  /** The object stored. */
  readonly oid: Oid;
  /** The serial the new revision is based on (`z64` for a new object). */
  readonly serial: Tid;
  /** The record to write. */
  data: Buffer;
}

/** A queued `checkCurrentSerialInTransaction`. */
export interface QueuedCheck {
  /** The object that must be unchanged. */
  readonly oid: Oid;
  /** The serial it must still have. */
  readonly serial: Tid;
}

/** What the conflict check needs to know about committed data. */
export interface CommittedSerials {
  /** The serial of the newest record of `oid` (even a deletion), `null` if the oid was never stored. */
  currentSerial(oid: Oid): Promise<Tid | null>;
  /** The serial of the current revision; `POSKeyError` if the object does not exist. */
  getTid(oid: Oid): Promise<Tid>;
}

/** The state of one transaction between `tpcBegin` and `tpcFinish`/`tpcAbort`. */
export class PendingTransaction {
  /** The caller's handle and metadata. */
  readonly txn: TransactionMetaData;
  /** The tid chosen at `tpcBegin`. */
  readonly tid: Tid;
  /** The status to record. */
  readonly status: TransactionStatus;
  /** Stores in call order. */
  readonly stores: QueuedStore[] = [];
  /** Read checks in call order. */
  readonly checks: QueuedCheck[] = [];
  /** Whether `tpcVote` succeeded. */
  voted = false;

  /** Starts the bookkeeping for `txn`, committing as `tid`. */
  constructor(txn: TransactionMetaData, tid: Tid, status: TransactionStatus) {
    this.txn = txn;
    this.tid = tid;
    this.status = status;
  }

  /**
   * Compares every queued serial with the committed one. Write conflicts go
   * to `resolver` (if any); resolved records replace the queued data. Throws
   * a `ConflictError` (or `ReadConflictError` when the first conflict is a
   * read check) listing every unresolved conflict; otherwise returns the
   * resolved oids.
   */
  async checkConflicts(committed: CommittedSerials, resolver: ConflictResolver | undefined): Promise<Oid[]> {
    const conflicts: ConflictDetail[] = [];
    const resolved: Oid[] = [];
    for (const store of this.stores) {
      const current = await committed.currentSerial(store.oid);
      if (current === null || current.equals(store.serial)) continue;
      const replacement = resolver === undefined ? null : await resolver(store.oid, current, store.serial, store.data);
      if (replacement !== null) {
        store.data = replacement;
        resolved.push(store.oid);
      } else {
        conflicts.push({ oid: store.oid, serials: [current, store.serial], data: store.data, read: false });
      }
    }
    for (const check of this.checks) {
      const current = await committed.getTid(check.oid);
      if (!current.equals(check.serial)) {
        conflicts.push({ oid: check.oid, serials: [current, check.serial], read: true });
      }
    }
    const [first, ...others] = conflicts;
    if (first !== undefined) {
      throw first.read ? new ReadConflictError(first, others) : new ConflictError(first, others);
    }
    return resolved;
  }

  /** The stored oids, each once, in the order first stored. */
  storedOids(): Oid[] {
    const seen = new Set<OidKey>();
    const oids: Oid[] = [];
    for (const { oid } of this.stores) {
      const key = oidKey(oid);
      if (seen.has(key)) continue;
      seen.add(key);
      oids.push(oid);
    }
    return oids;
  }
}
