/**
 * Where a connection is in its life (open, committing or closed) and the
 * checks its calls make against that, with errors that say what was
 * refused and why.
 */
import { ReadOnlyError } from '../storage/errors.js';
import type { ConnectionHost } from './connection-host.js';
import { ConnectionStateError } from './errors.js';
import { describeObject, metaOf, type Persistent } from './persistent.js';

/**
 * @internal `open`: in use; `committing`: a commit runs, so objects may
 * not change; `closed`: given back to the pool or destroyed.
 */
export type ConnectionPhase = 'open' | 'committing' | 'closed';

/** @internal The phase of one connection and the checks against it. */
export class ConnectionStatus {
  /** The current phase: a new connection is closed until its database hands it out. */
  phase: ConnectionPhase = 'closed';
  readonly #host: ConnectionHost;
  readonly #historical: boolean;

  constructor(host: ConnectionHost, historical: boolean) {
    this.#host = host;
    this.#historical = historical;
  }

  /** Whether the connection is closed. */
  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** The error for a call on a closed connection. */
  closedError(): ConnectionStateError {
    return new ConnectionStateError(`the connection to database ${JSON.stringify(this.#host.databaseName)} is closed; open another with db.open()`);
  }

  /** Throws unless the connection is open (a commit may be running). */
  checkOpen(): void {
    if (this.phase === 'closed') throw this.closedError();
  }

  /** Throws unless the connection is open with no commit running; `call` names the refused call. */
  checkIdle(call: string): void {
    this.checkOpen();
    if (this.phase === 'committing') throw new ConnectionStateError(`${call}: a commit is in progress on this connection`);
  }

  /** Throws `ReadOnlyError` if the database is read-only or the connection historical. */
  checkWritable(): void {
    if (this.#host.readOnly || this.#historical) throw new ReadOnlyError(this.#host.storage.getName());
  }

  /** Throws when `obj` may not be changed now (connection closed, commit in progress). */
  beforeWrite(obj: Persistent): void {
    if (this.phase === 'open') return;
    const what = describeObject(metaOf(obj));
    if (this.phase === 'closed') throw new ConnectionStateError(`cannot change ${what}: its connection is closed`);
    throw new ConnectionStateError(`cannot change ${what} while its connection commits; wait for commit() to finish`);
  }
}
