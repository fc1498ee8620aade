import {
  BTreesConflictError,
  ConflictError,
  POSKeyError,
  ReadConflictError,
  ReadOnlyError,
  ServerError,
  StorageServerError,
  StorageTransactionError,
} from '../errors.js';
import { MESSAGE_KINDS, type ErrorReplyMessage, type MessageId } from './message.js';
import { tuple, type ZeoValue } from './values.js';

/** Dotted Python class names of the exceptions that get typed errors. */
export const PYTHON_EXCEPTION_CLASSES = Object.freeze({
  /** A write conflict. */
  conflict: 'ZODB.POSException.ConflictError',
  /** A failed read-current check. */
  readConflict: 'ZODB.POSException.ReadConflictError',
  /** BTrees conflict resolution refused. */
  btreesConflict: 'ZODB.POSException.BTreesConflictError',
  /** No such object or revision. */
  posKey: 'ZODB.POSException.POSKeyError',
  /** A write on a read-only storage. */
  readOnly: 'ZODB.POSException.ReadOnlyError',
  /** A two-phase-commit call out of order. */
  storageTransaction: 'ZODB.POSException.StorageTransactionError',
} as const);

/** How an exception travels in an error reply: `(class_name, payload)`. */
export interface ExceptionPayload {
  /** The exception's dotted Python class name. */
  readonly pythonClass: string;
  /** Its attribute dict (a `Map`) if non-empty, otherwise its args tuple. */
  readonly payload: ZeoValue;
}

function asArgs(payload: ZeoValue): readonly ZeoValue[] | undefined {
  return Array.isArray(payload) ? (payload as readonly ZeoValue[]) : undefined;
}

function asDict(payload: ZeoValue): ReadonlyMap<ZeoValue, ZeoValue> | undefined {
  return payload instanceof Map ? payload : undefined;
}

function bytesOrNull(value: ZeoValue | undefined): Uint8Array | null {
  return value instanceof Uint8Array ? value : null;
}

function serialsOf(value: ZeoValue | undefined): readonly [Uint8Array, Uint8Array] | null {
  if (!Array.isArray(value) || value.length !== 2) return null;
  const [committed, read] = value as readonly ZeoValue[];
  return committed instanceof Uint8Array && read instanceof Uint8Array ? [committed, read] : null;
}

function integer(value: ZeoValue | undefined): number {
  return typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : 0;
}

function conflictFrom(dict: ReadonlyMap<ZeoValue, ZeoValue>, read: boolean): ConflictError {
  const message = dict.get('message');
  const className = dict.get('class_name');
  const details = {
    oid: bytesOrNull(dict.get('oid')),
    serials: serialsOf(dict.get('serials')),
    className: typeof className === 'string' ? className : null,
    ...(typeof message === 'string' ? { message } : {}),
  };
  return read ? new ReadConflictError(details) : new ConflictError(details);
}

/**
 * The typed error for an error reply, following the Python client's table:
 * conflicts, `POSKeyError`, `ReadOnlyError` and `StorageTransactionError`
 * get their classes; everything else (and a known class whose payload has
 * an unexpected shape) becomes a {@link ServerError} carrying the class name
 * and payload.
 */
export function errorFromReply(pythonClass: string, payload: ZeoValue): StorageServerError {
  const args = asArgs(payload);
  const dict = asDict(payload);
  switch (pythonClass) {
    case PYTHON_EXCEPTION_CLASSES.posKey: {
      const oid = args?.[0];
      if (oid instanceof Uint8Array) return new POSKeyError(oid);
      break;
    }
    case PYTHON_EXCEPTION_CLASSES.readOnly:
      if (args !== undefined) return typeof args[0] === 'string' ? new ReadOnlyError(args[0]) : new ReadOnlyError();
      break;
    case PYTHON_EXCEPTION_CLASSES.storageTransaction:
      if (args !== undefined) return new StorageTransactionError(args);
      break;
    case PYTHON_EXCEPTION_CLASSES.conflict:
    case PYTHON_EXCEPTION_CLASSES.readConflict:
      if (dict !== undefined) return conflictFrom(dict, pythonClass === PYTHON_EXCEPTION_CLASSES.readConflict);
      break;
    case PYTHON_EXCEPTION_CLASSES.btreesConflict:
      if (dict !== undefined) {
        return new BTreesConflictError({
          p1: integer(dict.get('p1')),
          p2: integer(dict.get('p2')),
          p3: integer(dict.get('p3')),
          reason: integer(dict.get('reason')),
        });
      }
      break;
    default:
      break;
  }
  return new ServerError(pythonClass, payload, `server raised ${pythonClass}: ${describePayload(payload)}`);
}

function describePayload(payload: ZeoValue): string {
  const args = asArgs(payload);
  if (args !== undefined && args.length === 1 && typeof args[0] === 'string') return args[0];
  if (args !== undefined && args.length === 0) return '()';
  return Array.isArray(payload) ? `${payload.length} args` : payload instanceof Map ? `dict of ${payload.size}` : String(payload);
}

/** Python's `builtins` class for a plain JavaScript error. */
function builtinClass(error: Error): string {
  if (error instanceof TypeError) return 'builtins.TypeError';
  if (error instanceof RangeError) return 'builtins.ValueError';
  return 'builtins.RuntimeError';
}

/**
 * How the reference server marshals `error`: `(class_name, exc.__dict__ or
 * exc.args)`, with the attribute order Python's classes have (a conflict's
 * dict is `message, oid, class_name, serials`). Errors that do not stand for
 * a Python exception are sent as a `builtins` exception with the message
 * as the only arg.
 */
export function errorToPayload(error: unknown): ExceptionPayload {
  if (error instanceof BTreesConflictError) {
    const { p1, p2, p3, reason } = error.btrees;
    return {
      pythonClass: error.pythonClass,
      payload: new Map<ZeoValue, ZeoValue>([
        ['p1', p1],
        ['p2', p2],
        ['p3', p3],
        ['reason', reason],
      ]),
    };
  }
  if (error instanceof ConflictError) {
    return {
      pythonClass: error.pythonClass,
      payload: new Map<ZeoValue, ZeoValue>([
        ['message', error.serverMessage],
        ['oid', error.oid],
        ['class_name', error.className],
        ['serials', error.serials === null ? null : tuple(error.serials[0], error.serials[1])],
      ]),
    };
  }
  if (error instanceof POSKeyError) return { pythonClass: error.pythonClass, payload: tuple(error.oid) };
  if (error instanceof ReadOnlyError) return { pythonClass: error.pythonClass, payload: tuple() };
  if (error instanceof StorageTransactionError) {
    return { pythonClass: error.pythonClass, payload: tuple(...error.args) };
  }
  if (error instanceof ServerError) return { pythonClass: error.pythonClass, payload: error.payload };
  if (error instanceof Error) return { pythonClass: builtinClass(error), payload: tuple(error.message) };
  return { pythonClass: 'builtins.RuntimeError', payload: tuple(String(error)) };
}

/** The error reply a reference server would send for `error` raised by the call `msgid`. */
export function errorReplyFor(msgid: MessageId, error: unknown): ErrorReplyMessage {
  const { pythonClass, payload } = errorToPayload(error);
  return { kind: MESSAGE_KINDS.errorReply, msgid, pythonClass, payload };
}
