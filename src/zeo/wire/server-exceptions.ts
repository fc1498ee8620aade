/**
 * Python exceptions in error replies: the typed error a client throws for
 * one (`errorFromReply`), and the `(class_name, payload)` a server sends for
 * an error (`errorToPayload`). The POSException ones are the storage
 * family's classes, in their wire forms.
 */
import * as storage from '../../storage/errors.js';
import {
  BTreesConflictError,
  ConflictError,
  POSKeyError,
  PYTHON_EXCEPTION_CLASSES,
  ReadConflictError,
  ReadOnlyError,
  ServerError,
  StorageTransactionError,
  isServerException,
  type ServerException,
} from '../errors.js';
import { MESSAGE_KINDS, type ErrorReplyMessage, type MessageId } from './message.js';
import { tuple, type ZeoValue } from './values.js';

export { PYTHON_EXCEPTION_CLASSES };

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

function conflictFrom(dict: ReadonlyMap<ZeoValue, ZeoValue>, read: boolean): ConflictError | ReadConflictError {
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
 * become the storage layer's classes of those names (so `instanceof
 * ConflictError` works whatever storage raised it), with the storage codes;
 * everything else (and a known class whose payload has an unexpected shape)
 * becomes a {@link ServerError} carrying the class name and payload.
 */
export function errorFromReply(pythonClass: string, payload: ZeoValue): ServerException {
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
 * The exception a reference server would raise for a storage error: the
 * wire form with the same class (a storage `ConflictError` becomes
 * `ZODB.POSException.ConflictError` with its oid, serials and class name;
 * `ReadOnlyError` is raised without arguments, as ZEO does); a storage
 * error with no POSException counterpart becomes
 * `ZODB.POSException.StorageError(message)`. Wire forms are returned as
 * they are.
 */
export function serverExceptionFor(error: storage.StorageError): ServerException {
  if (isServerException(error)) return error;
  if (error instanceof storage.POSKeyError) return new POSKeyError(error.oid);
  if (error instanceof storage.ConflictError) {
    const details = { oid: error.oid ?? null, serials: error.serials ?? null, className: error.className ?? null };
    return error instanceof storage.ReadConflictError ? new ReadConflictError(details) : new ConflictError(details);
  }
  if (error instanceof storage.ReadOnlyError) return new ReadOnlyError();
  if (error instanceof storage.StorageTransactionError) return new StorageTransactionError([error.message]);
  return new ServerError('ZODB.POSException.StorageError', tuple(error.message), error.message);
}

function conflictPayload(error: ConflictError | ReadConflictError): ExceptionPayload {
  return {
    pythonClass: error.pythonClass,
    payload: new Map<ZeoValue, ZeoValue>([
      ['message', error.serverMessage],
      ['oid', error.oid ?? null],
      ['class_name', error.className ?? null],
      ['serials', error.serials === undefined ? null : tuple(error.serials[0], error.serials[1])],
    ]),
  };
}

/**
 * How the reference server marshals `error`: `(class_name, exc.__dict__ or
 * exc.args)`, with the attribute order Python's classes have (a conflict's
 * dict is `message, oid, class_name, serials`). Storage errors are sent as
 * `serverExceptionFor` says. Errors that do not stand for a Python
 * exception are sent as a `builtins` exception with the message as the
 * only arg.
 */
export function errorToPayload(error: unknown): ExceptionPayload {
  if (error instanceof storage.StorageError && !isServerException(error)) return errorToPayload(serverExceptionFor(error));
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
  if (error instanceof ConflictError || error instanceof ReadConflictError) return conflictPayload(error);
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
