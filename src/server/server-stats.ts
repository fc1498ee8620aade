/**
 * Per-storage counters of the server, the numbers `server_status`, `ruok`
 * and the Nagios plugin report (Python: `ZEO.monitor.StorageStats`).
 */

/** Counters of one served storage. Mutated by the server; read them, don't write them. */
export class StorageStats {
  /** `loadBefore` calls answered. */
  loads = 0;
  /** Objects queued for storing (`storea`). */
  stores = 0;
  /** Transactions finished. */
  commits = 0;
  /** Transactions aborted by their client (or by a disconnect). */
  aborts = 0;
  /** Transactions between `tpc_begin` and finish/abort. */
  activeTxns = 0;
  /** When the commit lock was taken, milliseconds since the epoch, or `null` while it is free. */
  lockTimeMs: number | null = null;
  /** Votes that failed with a conflict. */
  conflicts = 0;
  /** Conflicts the storage resolved at vote. */
  conflictsResolved = 0;
  /** When the server started serving the storage, milliseconds since the epoch. */
  readonly startMs: number;

  /** Counters starting at zero, the start time being `startMs`. */
  constructor(startMs: number) {
    this.startMs = startMs;
  }
}
