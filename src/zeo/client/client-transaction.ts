/**
 * The client's side of one transaction being committed: its handle on the
 * wire, the connection (generation) it began on, and the records it
 * stored, which go into the cache once the commit is final.
 */
import { oidKey, type Oid, type OidKey } from '../../storage/oid.js';
import type { TransactionMetaData } from '../../storage/storage.js';
import type { ServerConnection } from './server-connection.js';

/** A record stored in the transaction, for the cache after `tpc_finish`. */
export interface BufferedStore {
  /** The object. */
  readonly oid: Oid;
  /** The record as committed (replaced by the resolved record after client-side conflict resolution). */
  data: Buffer;
}

/**
 * One transaction in progress. A transaction never spans connections: the
 * connection generation it began in must still be current for every later
 * call (ZEO's "on a disconnected transaction").
 */
export class ClientTransaction {
  /** The metadata object that names the transaction in the storage API. */
  readonly meta: TransactionMetaData;
  /** The integer that names it on the wire (Python uses `id(txn)`). */
  readonly handle: number;
  /** The connection it began on. */
  readonly connection: ServerConnection;
  /** The connection manager's generation when it began. */
  readonly generation: number;
  readonly #stores = new Map<OidKey, BufferedStore>();
  /** Oids whose committed data the server decided (server-side conflict resolution, undo): not cached. */
  readonly #serverResolved = new Set<OidKey>();

  /** A transaction begun on `connection` in connection generation `generation`. */
  constructor(meta: TransactionMetaData, handle: number, connection: ServerConnection, generation: number) {
    this.meta = meta;
    this.handle = handle;
    this.connection = connection;
    this.generation = generation;
  }

  /** Records a store; a later store of the same oid replaces the record but keeps its position. */
  stored(oid: Oid, data: Buffer): void {
    const key = oidKey(oid);
    const existing = this.#stores.get(key);
    if (existing === undefined) this.#stores.set(key, { oid, data });
    else existing.data = data;
  }

  /** Records that the server resolved `oid`: the data the client sent is not what was committed. */
  resolvedByServer(oid: Oid): void {
    this.#serverResolved.add(oidKey(oid));
  }

  /** The stores in first-stored order, each with whether its data may be cached as committed. */
  *updates(): Generator<{ oid: Oid; data: Buffer; cacheable: boolean }> {
    for (const [key, store] of this.#stores) yield { oid: store.oid, data: store.data, cacheable: !this.#serverResolved.has(key) };
  }

  /** The oids stored, each once, in first-stored order. */
  get oids(): Oid[] {
    return [...this.#stores.values()].map((s) => s.oid);
  }
}
