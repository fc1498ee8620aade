/**
 * Turns the storage layer's errors into the ZEO layer's, so they reach the
 * client as the exception the Python server would raise (class name and
 * payload), e.g. a storage `ConflictError` becomes
 * `ZODB.POSException.ConflictError` with `message`, `oid`, `class_name` and
 * `serials`.
 */
import { InvalidArgumentError } from '../errors.js';
import * as storageErrors from '../storage/errors.js';
import {
  ConflictError,
  POSKeyError,
  ReadConflictError,
  ReadOnlyError,
  ServerError,
  StorageTransactionError,
  ZeoError,
} from '../zeo/errors.js';
import { tuple } from '../zeo/wire/values.js';

/** The error to send to the client for `error`, raised while serving a call. */
export function toWireError(error: unknown): unknown {
  if (error instanceof ZeoError || !(error instanceof Error)) return error;
  if (error instanceof storageErrors.POSKeyError) return new POSKeyError(error.oid);
  if (error instanceof storageErrors.ReadConflictError) {
    return new ReadConflictError({ oid: error.oid, serials: error.serials, className: null });
  }
  if (error instanceof storageErrors.ConflictError) {
    return new ConflictError({ oid: error.oid, serials: error.serials, className: error.className ?? null });
  }
  if (error instanceof storageErrors.ReadOnlyError) return new ReadOnlyError();
  if (error instanceof storageErrors.StorageTransactionError) return new StorageTransactionError([error.message]);
  if (error instanceof storageErrors.StorageError) {
    return new ServerError('ZODB.POSException.StorageError', tuple(error.message), error.message);
  }
  if (error instanceof InvalidArgumentError) return new ServerError('builtins.ValueError', tuple(error.message), error.message);
  return error;
}

/** Whether `error` is a conflict the vote statistics count. */
export function isConflict(error: unknown): boolean {
  return error instanceof storageErrors.ConflictError || error instanceof ConflictError;
}
