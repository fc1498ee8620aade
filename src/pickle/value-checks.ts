/**
 * Small checks on decoded values shared by the decoder modules.
 */
import { PyGlobal, PyObject, Tuple } from './values.js';

/** @internal Whether `value` is a plain object (prototype `Object.prototype` or `null`), i.e. a dict. */
export function isPlainDict(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** @internal A string key that a plain object stores in insertion order and without side effects. */
export function isSafeObjectKey(key: string): boolean {
  const c = key.charCodeAt(0);
  if (c >= 0x30 && c <= 0x39) return !/^(?:0|[1-9]\d*)$/.test(key) || Number(key) >= 4294967295;
  return key !== '__proto__';
}

/** @internal A short Python-ish name of a value's type, for messages. */
export function describe(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value !== 'object') return typeof value;
  if (value instanceof Tuple) return 'tuple';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyGlobal) return `global ${value.qualifiedName}`;
  if (value instanceof PyObject) return `object built from ${String(value.callable)}`;
  return value.constructor?.name ?? 'object';
}

/** @internal The method stored under `key` on `value`, if it has one. */
export function hookMethod(value: unknown, key: symbol): ((arg: unknown) => unknown) | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  const method: unknown = (value as Record<symbol, unknown>)[key];
  return typeof method === 'function' ? (method as (arg: unknown) => unknown) : undefined;
}
