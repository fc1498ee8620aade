/**
 * The options of the pickle encoder and their checking.
 */
import { InvalidArgumentError } from '../errors.js';
import type { PickleReduction } from './values.js';

/** Options of {@link PickleEncoder}, {@link encodePickle} and {@link encodeRecord}. */
export interface EncodeOptions {
  /**
   * Pickle protocol: 3 (what ZODB and ZEO write) or 2 (bytes become
   * `_codecs.encode(…)`, globals get their Python 2 names).
   * @defaultValue `3`
   */
  protocol?: 2 | 3;
  /**
   * Write memo opcodes. `false` is Python's "fast mode" (no `BINPUT` /
   * `BINGET`), which ZEO uses for every message; `true` is what ZODB uses
   * for records.
   * @defaultValue `true`
   */
  memoize?: boolean;
  /**
   * Called for every object value (not for strings, numbers, booleans,
   * bigints or null): return a persistent id to write the value as a
   * persistent reference (`BINPERSID`), or `undefined` to pickle it
   * normally. The id itself is pickled without consulting the hook.
   */
  persistentId?: (value: object) => unknown;
  /**
   * Says how to pickle objects the encoder does not know (class instances
   * without a {@link pickleReduce} method): return a reduction, or
   * `undefined` to fail with a `PickleError`.
   */
  reducer?: (value: object) => PickleReduction | undefined;
  /** Initial output buffer size in bytes (it doubles as needed). @defaultValue `256` */
  initialCapacity?: number;
}

/** @internal Throws `InvalidArgumentError` naming the first bad option. */
export function checkEncodeOptions(options: EncodeOptions): void {
  const { protocol, persistentId, reducer, initialCapacity } = options;
  if (protocol !== undefined && protocol !== 2 && protocol !== 3) {
    throw new InvalidArgumentError(`protocol must be 2 or 3, not ${String(protocol)}`);
  }
  if (persistentId !== undefined && typeof persistentId !== 'function') {
    throw new InvalidArgumentError('persistentId must be a function');
  }
  if (reducer !== undefined && typeof reducer !== 'function') throw new InvalidArgumentError('reducer must be a function');
  if (initialCapacity !== undefined && !(Number.isInteger(initialCapacity) && initialCapacity > 0)) {
    throw new InvalidArgumentError(`initialCapacity must be a positive integer, not ${String(initialCapacity)}`);
  }
}
