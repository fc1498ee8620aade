// Tagged JSON: the exchange format between the interop tests and
// test/interop/python/pyvalues.py, which documents it. Types are kept
// strictly apart (tuple/list, int/float, set/frozenset, bytes/str), so
// comparing two tagged values compares Python values exactly.
import { Persistent } from '../../src/db/persistent.js';
import { PyDate, PyDateTime, PyDecimal, PyFrozenSet, utcTimezone } from '../../src/db/python-values.js';
import { PersistentWeakRef } from '../../src/db/references.js';
import { EMPTY_TUPLE, PyFloat, PyGlobal, PyObject, Tuple, tuple } from '../../src/pickle/values.js';

/** A Python value in tagged JSON. */
export type Tagged =
  | null
  | boolean
  | string
  | Tagged[]
  | { int: string }
  | { float: string }
  | { bytes: string }
  | { tuple: Tagged[] }
  | { dict: Array<[Tagged, Tagged]> }
  | { set: Tagged[] }
  | { frozenset: Tagged[] }
  | { datetime: number[]; tz: number | null }
  | { date: number[] }
  | { decimal: string }
  | { ref: string; class: string }
  | { weakref: string };

type TaggedObject = Exclude<Tagged, null | boolean | string | Tagged[]>;

/** The field that names a tagged object's type (`int`, `tuple`, `ref`…). */
function tagOf(value: TaggedObject): string {
  for (const tag of ['int', 'float', 'bytes', 'tuple', 'dict', 'set', 'frozenset', 'datetime', 'date', 'decimal', 'ref', 'weakref']) {
    if (tag in value) return tag;
  }
  throw new Error(`untagged value ${JSON.stringify(value)}`);
}

function floatText(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  if (Object.is(v, -0)) return '-0.0';
  return String(v);
}

function parseFloatText(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === 'inf' || lower === '-inf') return lower === 'inf' ? Infinity : -Infinity;
  return Number(text);
}

/** Same text for the same float whoever spelled it (Python `1e-05`, JS `0.00001`). */
function canonicalFloat(text: string): string {
  return floatText(parseFloatText(text));
}

function pyTimedelta(value: unknown): number | undefined {
  if (!(value instanceof PyObject) || !(value.callable instanceof PyGlobal) || value.callable.qualifiedName !== 'datetime.timedelta') return undefined;
  const [days, seconds, micros] = value.args as number[];
  return micros === 0 ? (days ?? 0) * 86400 + (seconds ?? 0) : undefined;
}

function tzOffset(tzinfo: unknown): number | null {
  if (tzinfo === null) return null;
  if (tzinfo instanceof PyObject && tzinfo.callable instanceof PyGlobal && tzinfo.callable.qualifiedName === 'datetime.timezone' && tzinfo.args.length === 1) {
    const offset = pyTimedelta(tzinfo.args[0]);
    if (offset !== undefined) return offset;
  }
  throw new Error(`unexpected tzinfo ${String(tzinfo)}`);
}

/** How {@link toTagged} names persistent objects: their Python class. */
export type ClassNamer = (obj: Persistent) => string;

/** A value of the object layer / pickle codec → tagged JSON. */
export function toTagged(value: unknown, className?: ClassNamer): Tagged {
  const conv = (v: unknown): Tagged => toTagged(v, className);
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) && !Object.is(value, -0) ? { int: String(value) } : { float: floatText(value) };
  if (typeof value === 'bigint') return { int: value.toString() };
  if (value instanceof PyFloat) return { float: floatText(value.value) };
  if (Buffer.isBuffer(value)) return { bytes: value.toString('hex') };
  if (value instanceof Tuple) return { tuple: value.map(conv) };
  if (Array.isArray(value)) return value.map(conv);
  if (value instanceof Map) return { dict: [...(value as Map<unknown, unknown>)].map(([k, v]) => [conv(k), conv(v)]) };
  if (value instanceof PyFrozenSet) return { frozenset: [...(value as Set<unknown>)].map(conv) };
  if (value instanceof Set) return { set: [...(value as Set<unknown>)].map(conv) };
  if (value instanceof PyDateTime) {
    const fields = [value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond];
    return { datetime: fields, tz: tzOffset(value.tzinfo) };
  }
  if (value instanceof Date) return toTagged(PyDateTime.fromDate(value), className);
  if (value instanceof PyDate) return { date: [value.year, value.month, value.day] };
  if (value instanceof PyDecimal) return { decimal: value.value };
  if (value instanceof PersistentWeakRef) return { weakref: (value.oid as Buffer).toString('hex') };
  if (value instanceof Persistent) {
    const oid = value._p_oid;
    if (oid === null || className === undefined) throw new Error('a persistent object without oid or class namer');
    return { ref: oid.toString('hex'), class: className(value) };
  }
  if (value instanceof PyObject) throw new Error(`unexpected generic object ${String(value.callable)}`);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return { dict: Object.entries(value).map(([k, v]) => [k, conv(v)]) };
  }
  throw new Error(`cannot tag ${typeof value} ${String(value)}`);
}

/** Sorted set items and one spelling per float and int, so equal Python values give equal JSON. */
export function canonical(value: Tagged): Tagged {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(canonical);
  const sorted = (items: Tagged[]): Tagged[] =>
    items
      .map(canonical)
      .map((v) => [JSON.stringify(v), v] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, v]) => v);
  switch (tagOf(value)) {
    case 'int':
      return { int: BigInt((value as { int: string }).int).toString() };
    case 'float':
      return { float: canonicalFloat((value as { float: string }).float) };
    case 'tuple':
      return { tuple: (value as { tuple: Tagged[] }).tuple.map(canonical) };
    case 'dict':
      return { dict: (value as { dict: Array<[Tagged, Tagged]> }).dict.map(([k, v]) => [canonical(k), canonical(v)]) };
    case 'set':
      return { set: sorted((value as { set: Tagged[] }).set) };
    case 'frozenset':
      return { frozenset: sorted((value as { frozenset: Tagged[] }).frozenset) };
    default:
      return value;
  }
}

/** Options of {@link fromTagged}. */
export interface FromTaggedOptions {
  /**
   * Share identical-content objects the way CPython does (`bytes` of length
   * 0 and 1 and `timezone.utc` are singletons there), so memo opcodes come
   * out where Python's do.
   */
  readonly singletons?: Map<string, object>;
  /** Resolves `{ref}` values. */
  readonly ref?: (oidHex: string, className: string) => unknown;
}

function isObjectKey(key: string): boolean {
  // Keys a JS object would reorder (array indexes) or treat specially.
  return key !== '__proto__' && !/^(0|[1-9]\d*)$/.test(key);
}

function shared<T extends object>(options: FromTaggedOptions, key: string, make: () => T): T {
  const map = options.singletons;
  if (map === undefined) return make();
  let value = map.get(key) as T | undefined;
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function timezoneOf(offset: number | null, options: FromTaggedOptions): unknown {
  if (offset === null) return null;
  if (offset === 0) return shared(options, 'tz:utc', utcTimezone);
  const days = Math.floor(offset / 86400);
  const delta = new PyObject('reduce', new PyGlobal('datetime', 'timedelta'), tuple(days, offset - days * 86400, 0));
  return new PyObject('reduce', new PyGlobal('datetime', 'timezone'), tuple(delta));
}

/**
 * Tagged JSON → the value the object layer writes for it: ints as numbers
 * (bigint beyond 2^53), integral floats as `PyFloat`, dicts as plain
 * objects when their keys allow it and `Map`s otherwise.
 */
export function fromTagged(value: Tagged, options: FromTaggedOptions = {}): unknown {
  const conv = (v: Tagged): unknown => fromTagged(v, options);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(conv);
  const v = value as Record<string, unknown>;
  switch (tagOf(value)) {
    case 'int': {
      const n = BigInt(v.int as string);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case 'float': {
      const f = parseFloatText(v.float as string);
      return Number.isInteger(f) && !Object.is(f, -0) ? new PyFloat(f) : f;
    }
    case 'bytes': {
      const hex = v.bytes as string;
      return hex.length <= 2 ? shared(options, `bytes:${hex}`, () => Buffer.from(hex, 'hex')) : Buffer.from(hex, 'hex');
    }
    case 'tuple': {
      const items = (v.tuple as Tagged[]).map(conv);
      return items.length === 0 ? EMPTY_TUPLE : Tuple.adopt(items);
    }
    case 'dict': {
      const entries = (v.dict as Array<[Tagged, Tagged]>).map(([k, x]) => [conv(k), conv(x)] as const);
      if (entries.every(([k]) => typeof k === 'string' && isObjectKey(k))) return Object.fromEntries(entries);
      return new Map(entries);
    }
    case 'set':
      return new Set((v.set as Tagged[]).map(conv));
    case 'frozenset':
      return new PyFrozenSet((v.frozenset as Tagged[]).map(conv));
    case 'datetime': {
      const [y, mo, d, h, mi, s, us] = v.datetime as number[];
      return new PyDateTime(y as number, mo as number, d as number, h, mi, s, us, timezoneOf(v.tz as number | null, options));
    }
    case 'date': {
      const [y, mo, d] = v.date as number[];
      return new PyDate(y as number, mo as number, d as number);
    }
    case 'decimal':
      return new PyDecimal(v.decimal as string);
    case 'ref':
      if (options.ref === undefined) throw new Error('a reference without a ref option');
      return options.ref(v.ref as string, v.class as string);
    default:
      throw new Error(`cannot build ${JSON.stringify(value)}`);
  }
}
