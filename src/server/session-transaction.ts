/**
 * The server side of one client's transaction (Python's `ZEOStorage`
 * transaction state): `tpc_begin` and the `storea` /
 * `checkCurrentSerialInTransaction` calls only fill a log; `vote` takes the
 * storage's commit lock (its `tpcBegin` waits for it), replays the log and
 * votes; the lock stays held until `tpc_finish` or `tpc_abort`.
 */
import { oidKey, type Oid, type OidKey, type Tid } from '../storage/oid.js';
import { ConflictError as StorageConflictError } from '../storage/errors.js';
import type { TpcBeginOptions, TransactionMetaData } from '../storage/storage.js';
import { StorageTransactionError } from '../zeo/errors.js';
import { tuple, type ZeoValue } from '../zeo/wire/values.js';
import type { HostedStorage, RegisteredClient } from './hosted-storage.js';
import { isConflict, toWireError } from './wire-errors.js';

/** Where a transaction is in the commit protocol. */
export const TRANSACTION_PHASES = Object.freeze({
  /** Between `tpc_begin` and `vote`: calls are logged. */
  open: 'open',
  /** `vote` waits for the commit lock. */
  waiting: 'waiting',
  /** `vote` holds the lock and is replaying and voting. */
  voting: 'voting',
  /** Voted; the lock is held until finish or abort. */
  voted: 'voted',
  /** `tpc_finish` is making it durable; it can no longer be aborted. */
  finishing: 'finishing',
  /** Finished or aborted. */
  ended: 'ended',
} as const);

/** One of the strings in {@link TRANSACTION_PHASES}. */
export type TransactionPhase = (typeof TRANSACTION_PHASES)[keyof typeof TRANSACTION_PHASES];

interface LoggedStore {
  readonly kind: 'store';
  readonly oid: Oid;
  readonly serial: Tid;
  readonly data: Buffer;
}

interface LoggedCheck {
  readonly kind: 'check';
  readonly oid: Oid;
  readonly serial: Tid;
}

type LogEntry = LoggedStore | LoggedCheck;

/** Hooks the connection gives a vote, for the lock's bookkeeping. */
export interface VoteHooks {
  /** Let conflicting stores come back to the client instead of failing the vote. */
  readonly clientConflictResolution: boolean;
  /** Called when the commit lock is taken. */
  readonly locked: () => void;
  /** Called when the commit lock is released (vote failed, finish, abort). */
  readonly unlocked: () => void;
}

/** One client transaction on the server. */
export class SessionTransaction {
  /** The client's handle, as a comparable key. */
  readonly handleKey: string;
  /** The metadata given to the storage; the object is the storage-level handle. */
  readonly meta: TransactionMetaData;
  readonly #begin: TpcBeginOptions;
  readonly #log: LogEntry[] = [];
  #phase: TransactionPhase = TRANSACTION_PHASES.open;
  #holdsLock = false;
  #hooks: VoteHooks | undefined;

  /** A transaction named `handleKey` with `meta`, begun with `begin` (restore tid/status). */
  constructor(handleKey: string, meta: TransactionMetaData, begin: TpcBeginOptions) {
    this.handleKey = handleKey;
    this.meta = meta;
    this.#begin = begin;
  }

  /** Where the transaction is. */
  get phase(): TransactionPhase {
    return this.#phase;
  }

  /** Whether the commit lock is held for it. */
  get holdsLock(): boolean {
    return this.#holdsLock;
  }

  #checkOpen(call: string): void {
    if (this.#phase !== TRANSACTION_PHASES.open) {
      throw new StorageTransactionError([`${call} after vote (transaction is ${this.#phase})`]);
    }
  }

  /** Logs a store. `data` is kept as given (a view of the received frame). */
  store(oid: Oid, serial: Tid, data: Buffer): void {
    this.#checkOpen('storea');
    this.#log.push({ kind: 'store', oid, serial, data });
  }

  /** Logs a read-current check. */
  checkCurrent(oid: Oid, serial: Tid): void {
    this.#checkOpen('checkCurrentSerialInTransaction');
    this.#log.push({ kind: 'check', oid, serial });
  }

  /**
   * Takes the lock, replays the log and votes. Resolves with the vote
   * reply: the oids the storage resolved, or (client conflict resolution)
   * the conflict dicts, in which case the lock is released and the
   * transaction stays open for another vote. Any other failure aborts the
   * storage transaction, releases the lock, ends this transaction and
   * rejects with the error to send.
   */
  async vote(hosted: HostedStorage, hooks: VoteHooks): Promise<ZeoValue[]> {
    if (this.#phase === TRANSACTION_PHASES.waiting) throw new StorageTransactionError(['Already voting (waiting)']);
    if (this.#phase !== TRANSACTION_PHASES.open) throw new StorageTransactionError(['Already voting (locked)']);
    const { storage } = hosted;
    this.#hooks = hooks;
    this.#phase = TRANSACTION_PHASES.waiting;
    hosted.waiting += 1;
    try {
      await storage.tpcBegin(this.meta, this.#begin);
    } catch (error) {
      this.#phase = TRANSACTION_PHASES.ended;
      throw toWireError(error);
    } finally {
      hosted.waiting -= 1;
    }
    if (this.#phase !== TRANSACTION_PHASES.waiting) {
      // Aborted (disconnect) between the lock being granted and now.
      await storage.tpcAbort(this.meta);
      throw new StorageTransactionError(['transaction aborted while waiting for the commit lock']);
    }
    this.#phase = TRANSACTION_PHASES.voting;
    this.#holdsLock = true;
    hooks.locked();
    try {
      for (const entry of this.#replayLog()) {
        if (entry.kind === 'store') await storage.store(entry.oid, entry.serial, entry.data, this.meta);
        else await storage.checkCurrentSerialInTransaction(entry.oid, entry.serial, this.meta);
      }
      const resolved = await storage.tpcVote(this.meta);
      if (this.#phase !== TRANSACTION_PHASES.voting) {
        throw new StorageTransactionError(['transaction aborted while voting']);
      }
      hosted.stats.conflictsResolved += resolved.length;
      this.#phase = TRANSACTION_PHASES.voted;
      return resolved;
    } catch (error) {
      await this.#releaseAfterFailedVote(hosted);
      const conflicts = hooks.clientConflictResolution ? clientConflicts(error) : undefined;
      if (conflicts !== undefined) {
        this.#phase = TRANSACTION_PHASES.open;
        return conflicts;
      }
      this.#phase = TRANSACTION_PHASES.ended;
      if (isConflict(error)) hosted.stats.conflicts += 1;
      throw toWireError(error);
    }
  }

  async #releaseAfterFailedVote(hosted: HostedStorage): Promise<void> {
    try {
      await hosted.storage.tpcAbort(this.meta);
    } finally {
      this.#unlock();
    }
  }

  #unlock(): void {
    if (!this.#holdsLock) return;
    this.#holdsLock = false;
    this.#hooks?.unlocked();
  }

  /** The log to replay: a store superseded by a later store of the same oid is left out. */
  #replayLog(): LogEntry[] {
    const log = this.#log;
    if (log.length < 2) return log;
    const last = new Map<OidKey, number>();
    log.forEach((entry, index) => {
      if (entry.kind === 'store') last.set(oidKey(entry.oid), index);
    });
    return log.filter((entry, index) => entry.kind !== 'store' || last.get(oidKey(entry.oid)) === index);
  }

  /**
   * Makes the voted transaction durable; `target`'s peers get the
   * invalidation before this resolves. Resolves with the new tid.
   */
  async finish(hosted: HostedStorage, target: RegisteredClient): Promise<Tid> {
    if (this.#phase !== TRANSACTION_PHASES.voted) {
      throw new StorageTransactionError([`tpc_finish before a successful vote (transaction is ${this.#phase})`]);
    }
    this.#phase = TRANSACTION_PHASES.finishing;
    try {
      return await hosted.finishFor(target, () => hosted.storage.tpcFinish(this.meta));
    } catch (error) {
      throw toWireError(error);
    } finally {
      this.#phase = TRANSACTION_PHASES.ended;
      this.#unlock();
    }
  }

  /** Abandons the transaction: leaves the lock queue, or aborts the storage transaction and releases the lock. */
  async abort(hosted: HostedStorage): Promise<void> {
    const phase = this.#phase;
    if (phase === TRANSACTION_PHASES.ended || phase === TRANSACTION_PHASES.finishing) return;
    this.#phase = TRANSACTION_PHASES.ended;
    if (phase === TRANSACTION_PHASES.open) return;
    try {
      // Waiting: cancels the lock request (the vote then fails); otherwise aborts what was written.
      await hosted.storage.tpcAbort(this.meta);
    } finally {
      this.#unlock();
    }
  }
}

/** The conflict dicts of client-side conflict resolution, or undefined if `error` is not (only) write conflicts. */
function clientConflicts(error: unknown): ZeoValue[] | undefined {
  if (!(error instanceof StorageConflictError)) return undefined;
  if (error.conflicts.some((c) => c.read || c.data === undefined)) return undefined;
  return error.conflicts.map(
    (c) =>
      new Map<ZeoValue, ZeoValue>([
        ['oid', c.oid],
        ['serials', tuple(c.serials[0], c.serials[1])],
        ['data', c.data as Buffer],
      ]),
  );
}
