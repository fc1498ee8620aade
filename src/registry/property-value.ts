/**
 * A Python float whose value is integral (`3.0`, `-0.0`, `1e+16`).
 *
 * JavaScript has one number type, but zc.zk writes `3` for the integer 3
 * and `3.0` for the float; keeping such floats wrapped lets a tree survive
 * text → model → text and JSON → model → JSON unchanged. Floats with a
 * fractional part, infinities and NaN are plain `number`s.
 */
export class PythonFloat {
  /** The float's value. */
  readonly value: number;

  /** Wrap `value`, which should be integral (others are allowed but need no wrapper). */
  constructor(value: number) {
    this.value = value;
    Object.freeze(this);
  }

  /** The plain number, so `+x` and arithmetic work. */
  valueOf(): number {
    return this.value;
  }
}

/**
 * A property value as zc.zk stores it in node data (JSON) and shows it in
 * tree text (Python literals):
 *
 * - `null`, `boolean`, `string`;
 * - `number`: an integer if it is a safe integer, otherwise a float;
 * - `bigint`: an integer beyond the safe range (Python int/long);
 * - {@link PythonFloat}: a float with an integral value;
 * - `Uint8Array`: raw node data that is not UTF-8 (`string_value` only);
 * - arrays (Python lists and tuples) and plain objects (dicts).
 */
export type PropertyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PythonFloat
  | Uint8Array
  | readonly PropertyValue[]
  | { readonly [key: string]: PropertyValue };

/** A dict value: a plain object whose keys are the dict's (string) keys. */
export type PropertyDict = { readonly [key: string]: PropertyValue };

/** Largest integer magnitude a `number` holds exactly; beyond it integers are `bigint`s. */
const SAFE_LIMIT = BigInt(Number.MAX_SAFE_INTEGER);

/** An integer as the model holds it: a `number` when safe, else a `bigint`. */
export function integerValue(n: bigint): number | bigint {
  return n <= SAFE_LIMIT && n >= -SAFE_LIMIT ? Number(n) : n;
}

/** A float as the model holds it: wrapped when integral so it stays a float. */
export function floatValue(x: number): number | PythonFloat {
  return Number.isInteger(x) || Object.is(x, -0) ? new PythonFloat(x) : x;
}

/** Whether `value` is a dict (a plain object, not an array, bytes or float). */
export function isPropertyDict(value: PropertyValue): value is PropertyDict {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array) &&
    !(value instanceof PythonFloat)
  );
}

/** Set `key` on a dict under construction, also when the key is `__proto__`. */
export function setDictEntry(dict: Record<string, PropertyValue>, key: string, value: PropertyValue): void {
  if (key === '__proto__') {
    Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    dict[key] = value;
  }
}

// Objects list integer-like keys ("2") first; the key order as read is kept here when it differs.
const KEY_ORDER = Symbol('zkzeo.dictKeyOrder');
const INTEGER_LIKE = /^(?:0|[1-9]\d*)$/;

/**
 * Remember the order a dict's keys were read in, when the object's own
 * order differs (it lists integer-like keys first). Stored in a hidden,
 * non-enumerable property that {@link dictKeys} reads.
 */
export function keepDictOrder(dict: Record<string, PropertyValue>, keys: readonly string[]): void {
  if (!keys.some((k) => INTEGER_LIKE.test(k))) return;
  Object.defineProperty(dict, KEY_ORDER, { value: keys, enumerable: false });
}

/**
 * A dict's keys in the order they were read (JSON document or literal
 * order), falling back to the object's own order for dicts built in code.
 */
export function dictKeys(dict: PropertyDict): string[] {
  const keys = Object.keys(dict);
  const order = (dict as { readonly [KEY_ORDER]?: readonly string[] })[KEY_ORDER];
  if (order === undefined) return keys;
  const present = new Set(keys);
  const ordered = order.filter((k) => present.has(k));
  const seen = new Set(ordered);
  for (const k of keys) if (!seen.has(k)) ordered.push(k);
  return ordered;
}
