/**
 * The `pack` call of a ClientStorage (ZEO's `ClientStorage.pack`): the
 * pack time sent, and the refusals a server reports read as `PackError`.
 */
import { InvalidArgumentError } from '../../errors.js';
import { PackError } from '../../storage/errors.js';
import type { PackOptions } from '../../storage/storage.js';
import { PackError as WirePackError, PYTHON_EXCEPTION_CLASSES, ServerError } from '../errors.js';
import { PyFloat, type ZeoValue } from '../wire/values.js';
import { UnsupportedOperationError } from './errors.js';

/** Options of `ClientStorage.pack`. */
export interface ClientPackOptions extends PackOptions {
  /**
   * Not available over ZEO: the protocol's `pack(t, wait)` has no such
   * argument, so the server collects garbage as its storage is configured
   * to (`pack-gc`, on by default). Giving it, true or false, fails with
   * `UnsupportedOperationError` rather than being ignored.
   */
  readonly gc?: boolean;
  /**
   * Wait until the server has packed: the call resolves then, or rejects
   * with the pack's failure. Without, it resolves once the server has
   * started packing; a failure is then only in the server's log.
   * @defaultValue true
   */
  readonly wait?: boolean;
  /** Days to subtract from the pack time. @defaultValue 0 */
  readonly days?: number;
}

const SECONDS_PER_DAY = 86_400;

/**
 * What a Python server raises when a pack is refused or fails:
 * FileStorage's `FileStorageError` (a bad time, a pack already running) or
 * `PackError`, and `KeyError(oid)` for a reference to a missing object.
 */
const PACK_FAILURE_CLASSES: ReadonlySet<string> = new Set([
  PYTHON_EXCEPTION_CLASSES.fileStorage,
  PYTHON_EXCEPTION_CLASSES.fileStoragePack,
  'ZODB.FileStorage.fspack.PackError',
  'builtins.KeyError',
]);

/**
 * The arguments of the `pack` call: the pack time in seconds since the
 * epoch (`time`, default now, minus `days`), sent as a float as Python's
 * client does, and the `wait` flag.
 * @throws UnsupportedOperationError when `gc` is given; PackError for a
 *   time that is not a finite number; InvalidArgumentError for bad `days`.
 */
export function packArguments(time: number | undefined, options: ClientPackOptions, now: () => number = Date.now): ZeoValue[] {
  if (options.gc !== undefined) {
    throw new UnsupportedOperationError('pack({ gc })', 'the server packs with its own pack-gc setting');
  }
  if (time !== undefined && !(typeof time === 'number' && Number.isFinite(time))) throw new PackError(`Invalid pack time ${String(time)}`);
  const days = options.days ?? 0;
  if (!(typeof days === 'number' && Number.isFinite(days))) throw new InvalidArgumentError(`pack: days must be a finite number, got ${String(days)}`);
  const t = (time ?? now() / 1000) - days * SECONDS_PER_DAY;
  return [Number.isInteger(t) ? new PyFloat(t) : t, options.wait !== false];
}

/** `error` from a `pack` call as the caller should see it: a server's pack failure as a {@link PackError}. */
export function packFailure(error: unknown): unknown {
  if (error instanceof ServerError && PACK_FAILURE_CLASSES.has(error.pythonClass)) {
    return new WirePackError(error.pythonClass, Array.isArray(error.payload) ? (error.payload as readonly ZeoValue[]) : []);
  }
  return error;
}
