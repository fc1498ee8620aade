/**
 * Checks the arguments of a client's call. A wrong count or type is a
 * JavaScript `TypeError`, which travels as `builtins.TypeError` (what
 * Python raises for a bad call), and closes the connection if the call
 * was one-way.
 */
import { describeType } from '../zeo/wire/message.js';
import { PyFloat, type ZeoValue } from '../zeo/wire/values.js';

/** Throws a `TypeError` unless `args` has `min` to `max` items. */
export function checkArity(method: string, args: readonly ZeoValue[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`;
    throw new TypeError(`${method}() takes ${expected} arguments but ${args.length} were given`);
  }
}

function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Argument `index` as bytes (a Buffer view, not a copy). */
export function bytesArg(method: string, args: readonly ZeoValue[], index: number, what: string): Buffer {
  const value = args[index];
  if (!(value instanceof Uint8Array)) throw new TypeError(`${method}(): ${what} must be bytes, got ${describeType(value)}`);
  return asBuffer(value);
}

/** Argument `index` as an 8-byte oid or tid. */
export function idArg(method: string, args: readonly ZeoValue[], index: number, what: string): Buffer {
  const value = bytesArg(method, args, index, what);
  if (value.length !== 8) throw new TypeError(`${method}(): ${what} must be 8 bytes, got ${value.length}`);
  return value;
}

/** Argument `index` as a str. */
export function stringArg(method: string, args: readonly ZeoValue[], index: number, what: string): string {
  const value = args[index];
  if (typeof value !== 'string') throw new TypeError(`${method}(): ${what} must be a str, got ${describeType(value)}`);
  return value;
}

/** Argument `index` as an integer (bools count, as in Python), or `fallback` when absent. */
export function intArg(method: string, args: readonly ZeoValue[], index: number, what: string, fallback?: number): number {
  const value = index < args.length ? args[index] : undefined;
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${method}(): ${what} must be an int, got ${describeType(value ?? null)}`);
  }
  return value;
}

/** Argument `index` as a number: a float (an integral one arrives as `PyFloat`) or an int, as Python's arithmetic takes either. */
export function numberArg(method: string, args: readonly ZeoValue[], index: number, what: string): number {
  const value = args[index];
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'number') throw new TypeError(`${method}(): ${what} must be a float, got ${describeType(value ?? null)}`);
  return value;
}

/** Python's truth value of argument `index` (`register`'s read-only flag may be `0`, `False`, `True` …). */
export function truthArg(args: readonly ZeoValue[], index: number): boolean {
  const value = args[index];
  if (value === undefined || value === null || value === false || value === 0 || value === 0n || value === '') return false;
  if (value instanceof Uint8Array || Array.isArray(value)) return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  return true;
}

/** Bytes or a str (UTF-8 encoded), as the reference accepts for user and description. */
export function textBytesArg(method: string, args: readonly ZeoValue[], index: number, what: string): Buffer {
  const value = args[index];
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value === undefined || value === null) return Buffer.alloc(0);
  return bytesArg(method, args, index, what);
}
