/**
 * Errors of the object layer. Storage-level failures keep their storage
 * classes (`ConflictError`, `ReadConflictError`, `POSKeyError`,
 * `ReadOnlyError` from `storage/errors.ts`); a ZEO client throws those
 * classes too, so one `catch` (or `instanceof`) works whether a conflict
 * was found by a local storage or by a ZEO server.
 */
import { ZkzeoError } from '../errors.js';

/** The root of the object layer's own errors. */
export class DbError extends ZkzeoError {}

/**
 * A connection (or an object of it) was used in a state that does not allow
 * it: after `close()`, while a commit is in progress, or from another
 * connection's transaction.
 */
export class ConnectionStateError extends DbError {
  /** @internal */
  constructor(message: string) {
    super('DB_CONNECTION_STATE', message);
  }
}

/**
 * The state of a ghost (an object whose record has not been loaded) was
 * touched. Node cannot load synchronously: load the object first with
 * `await conn.activate(obj)`, `await obj._p_activate()` or
 * `await conn.loadGraph(root, { depth })`.
 */
export class GhostAccessError extends DbError {
  /** The property that was touched. */
  readonly property: string;

  /** @internal */
  constructor(description: string, property: string, action: 'read' | 'write' | 'list') {
    const what = action === 'list' ? 'list the properties of' : `${action} ${JSON.stringify(property)} of`;
    super(
      'DB_GHOST_ACCESS',
      `cannot ${what} ${description}: it is a ghost (its state is not loaded). ` +
        'Load it first with `await conn.activate(obj)` or `await obj._p_activate()`, ' +
        'or load a whole subgraph with `await conn.loadGraph(root, { depth })`',
    );
    this.property = property;
  }
}

/** No connection became free within the pool timeout. */
export class PoolTimeoutError extends DbError {
  /** How long `open()` waited, in milliseconds. */
  readonly timeoutMS: number;

  /** @internal */
  constructor(database: string, poolSize: number, timeoutMS: number, options?: { cause?: unknown }) {
    super(
      'DB_POOL_TIMEOUT',
      `no connection of database ${JSON.stringify(database)} became free within ${timeoutMS} ms ` +
        `(all ${poolSize} are in use; close connections when done, or raise poolSize)`,
      options,
    );
    this.timeoutMS = timeoutMS;
  }
}

/** A persistent object's class has no Python name: it was never passed to `registerClass`. */
export class UnregisteredClassError extends DbError {
  /** The JavaScript class name. */
  readonly className: string;

  /** @internal */
  constructor(className: string) {
    super(
      'DB_UNREGISTERED_CLASS',
      `class ${className} has no Python name; register it with registerClass('module.${className}', ${className}) before storing its instances`,
    );
    this.className = className;
  }
}

/**
 * A stored object refers to a persistent object that cannot be written as
 * a reference from here: it belongs to another connection or database.
 */
export class InvalidObjectReferenceError extends DbError {
  /** @internal */
  constructor(message: string) {
    super('DB_INVALID_REFERENCE', message);
  }
}

/** A record could not be turned into an object: its class metadata or a reference has an unknown form. */
export class InvalidRecordError extends DbError {
  /** @internal */
  constructor(message: string, options?: { cause?: unknown }) {
    super('DB_INVALID_RECORD', message, options);
  }
}

/**
 * Whether running a transaction again may succeed after `error`: whether
 * it says so itself with `retryable: true` (every `ConflictError`,
 * including `ReadConflictError`, and ZEO's `ClientDisconnected`). Only the
 * flag counts, never the message or code. `DB.transaction` retries exactly
 * these; never a `TransactionOutcomeUnknownError`, whose commit may have
 * happened.
 */
export function isRetryableError(error: unknown): boolean {
  return error instanceof ZkzeoError && (error as { readonly retryable?: unknown }).retryable === true;
}
