/**
 * The two halves of the link between a {@link Connection} and its
 * database, kept off the connection's public API: what the connection
 * needs from the database (`ConnectionHost`) and what the database drives
 * on the connection (`ConnectionControl`).
 */
import type { Logger } from '../logger.js';
import type { Oid, Tid } from '../storage/oid.js';
import type { Invalidation, Storage } from '../storage/storage.js';
import type { ClassRegistry } from './class-registry.js';
import type { Connection } from './connection.js';
import type { DB } from './db.js';

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

const controls = new WeakMap<Connection, ConnectionControl>();

/** @internal The control half of `conn`, for its database. */
export function connectionControl(conn: Connection): ConnectionControl {
  return controls.get(conn) as ConnectionControl;
}

/** @internal Records the control half of `conn`; its constructor calls this once. */
export function attachConnectionControl(conn: Connection, control: ConnectionControl): void {
  controls.set(conn, control);
}
