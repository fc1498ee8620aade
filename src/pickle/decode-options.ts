/**
 * The options of the pickle decoder and their checking.
 */
import { InvalidArgumentError } from '../errors.js';

/** How dicts decode: `'auto'` (plain object when the keys allow, else `Map`) or always `'map'`. */
export type DictMode = 'auto' | 'map';

/** How integral floats (`1.0`) decode: `'wrap'` in a {@link PyFloat} (round-trips) or as a plain `'number'`. */
export type IntegralFloatMode = 'wrap' | 'number';

/**
 * How Python 2 `str` values (`STRING`, `BINSTRING`, `SHORT_BINSTRING`,
 * found in protocol 0–2 pickles written by Python 2) decode:
 * `'ascii-or-bytes'` → `string` when all bytes are ASCII, else `Buffer`
 * (what ZODB recommends); `'bytes'` → always `Buffer`; `'latin1'` →
 * always `string`, one char per byte.
 */
export type Py2StringMode = 'ascii-or-bytes' | 'bytes' | 'latin1';

/** Options of {@link PickleDecoder} and the decode functions. */
export interface DecodeOptions {
  /**
   * Resolves a persistent reference (`PERSID`, `BINPERSID`): receives the
   * pickled persistent id and returns the value to put in its place.
   * Without it a persistent reference is a `PickleError`.
   */
  persistentLoad?: (pid: unknown) => unknown;
  /**
   * Maps a `GLOBAL` (module and name, Python 3 spelling) to a value;
   * return `undefined` to get the default {@link PyGlobal}. A returned
   * object with {@link pickleCall} / {@link pickleNew} methods builds the
   * objects of `REDUCE` / `NEWOBJ`.
   */
  findClass?: (module: string, name: string) => unknown;
  /** @defaultValue `'auto'` */
  dicts?: DictMode;
  /** @defaultValue `'wrap'` */
  integralFloats?: IntegralFloatMode;
  /**
   * Copy `bytes` values out of the input. By default they are zero-copy
   * views (`subarray`) that share memory with, and keep alive, the input
   * buffer: don't mutate either while both are in use.
   * @defaultValue `false`
   */
  copyBytes?: boolean;
  /** @defaultValue `'ascii-or-bytes'` */
  py2Strings?: Py2StringMode;
  /**
   * Rename Python 2 globals (`__builtin__.set` → `builtins.set`) in
   * protocol 0–2 pickles, as Python's unpickler does.
   * @defaultValue `true`
   */
  fixImports?: boolean;
}

/** @internal Throws `InvalidArgumentError` naming the first bad option. */
export function checkDecodeOptions(options: DecodeOptions): void {
  const { persistentLoad, findClass, dicts, integralFloats, py2Strings } = options;
  if (persistentLoad !== undefined && typeof persistentLoad !== 'function') {
    throw new InvalidArgumentError('persistentLoad must be a function');
  }
  if (findClass !== undefined && typeof findClass !== 'function') {
    throw new InvalidArgumentError('findClass must be a function');
  }
  if (dicts !== undefined && dicts !== 'auto' && dicts !== 'map') {
    throw new InvalidArgumentError(`dicts must be 'auto' or 'map', not ${String(dicts)}`);
  }
  if (integralFloats !== undefined && integralFloats !== 'wrap' && integralFloats !== 'number') {
    throw new InvalidArgumentError(`integralFloats must be 'wrap' or 'number', not ${String(integralFloats)}`);
  }
  if (py2Strings !== undefined && !['ascii-or-bytes', 'bytes', 'latin1'].includes(py2Strings)) {
    throw new InvalidArgumentError(`py2Strings must be 'ascii-or-bytes', 'bytes' or 'latin1', not ${String(py2Strings)}`);
  }
}
