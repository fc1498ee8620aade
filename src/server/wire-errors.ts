/**
 * Turns the errors raised while serving a call into the exceptions the
 * Python server would raise, so they reach the client with the class name
 * and payload it expects: a storage error becomes its wire form (e.g. a
 * storage `ConflictError` becomes `ZODB.POSException.ConflictError` with
 * `message`, `oid`, `class_name` and `serials`), a failed pack a
 * `ZODB.FileStorage.FileStorage.FileStorageError`, a bad argument a
 * `builtins.ValueError`.
 */
import { InvalidArgumentError } from '../errors.js';
import { ConflictError, PackError, StorageError } from '../storage/errors.js';
import { PYTHON_EXCEPTION_CLASSES, ServerError, ZeoError } from '../zeo/errors.js';
import { serverExceptionFor } from '../zeo/wire/server-exceptions.js';
import { tuple } from '../zeo/wire/values.js';

/** The error to send to the client for `error`, raised while serving a call. */
export function toWireError(error: unknown): unknown {
  if (error instanceof ZeoError || !(error instanceof Error)) return error;
  // What Python's FileStorage raises for a refused pack; our client turns it back into a PackError.
  if (error instanceof PackError) return new ServerError(PYTHON_EXCEPTION_CLASSES.fileStorage, tuple(error.message), error.message);
  if (error instanceof StorageError) return serverExceptionFor(error);
  if (error instanceof InvalidArgumentError) return new ServerError('builtins.ValueError', tuple(error.message), error.message);
  return error;
}

/** Whether `error` is a conflict the vote statistics count (found by the storage or already in its wire form). */
export function isConflict(error: unknown): boolean {
  return error instanceof ConflictError;
}
