/**
 * Property values written the way Python 2 shows them, because zc.zk's
 * tree export is `'%s = %r' % (name, value)` on values decoded from JSON:
 * `u'...'` strings, `True`/`None`, `1e+16`, `123L` for integers beyond
 * 64 bits, and dicts in Python 2's hash-table order.
 */
import { NodeDataError } from './errors.js';
import { PythonFloat, type PropertyDict, type PropertyValue, dictKeys, isPropertyDict } from './property-value.js';
import { python2DictOrder } from './python2-ordering.js';

/** How dict values list their entries. */
export const DictOrder = Object.freeze({
  /** CPython 2.7's iteration order for a dict decoded from JSON: what zc.zk prints. */
  python2: 'python2',
  /** The object's own key order. */
  insertion: 'insertion',
} as const);

/** One of the {@link DictOrder} values. */
export type DictOrder = (typeof DictOrder)[keyof typeof DictOrder];

/** Options for {@link formatPythonRepr} and {@link formatPythonStr}. */
export interface PythonReprOptions {
  /**
   * Order of dict entries.
   * @defaultValue `'python2'`
   */
  readonly dictOrder?: DictOrder;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const MAX_DEPTH = 500;

/** Shortest round-trip digits of a positive finite `x` and its decimal-point position. */
function shortestDigits(x: number): { digits: string; decpt: number } {
  const [mantissa = '0', exponent = '0'] = x.toExponential().split('e');
  return { digits: mantissa.replace('.', ''), decpt: Number(exponent) + 1 };
}

/** Lay out `digits` (value 0.d1d2… × 10^decpt) the way CPython's float formatting does. */
function layoutDigits(sign: string, digits: string, decpt: number, useExp: boolean): string {
  if (useExp) {
    const exp = decpt - 1;
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/** Python's `repr()` of a float: `1.5`, `3.0`, `1e+16`, `1e-05`, `inf`, `nan`, `-0.0`. */
export function formatFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const { digits, decpt } = shortestDigits(Math.abs(x));
  return layoutDigits(x < 0 ? '-' : '', digits, decpt, decpt <= -4 || decpt > 16);
}

/** The exact decimal expansion of a positive finite double: digits and point position. */
function exactDigits(x: number): { digits: string; decpt: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let exp2 = biased - 1075;
  if (biased === 0) exp2 = -1074;
  else mantissa |= 1n << 52n;
  let text: string;
  let fractionDigits = 0;
  if (exp2 >= 0) {
    text = (mantissa << BigInt(exp2)).toString();
  } else {
    // m / 2^k = m * 5^k / 10^k
    fractionDigits = -exp2;
    text = (mantissa * 5n ** BigInt(fractionDigits)).toString();
  }
  const stripped = text.replace(/^0+/, '');
  const decpt = stripped.length - fractionDigits;
  return { digits: stripped.replace(/0+$/, ''), decpt };
}

/** Round a digit string to `n` significant digits, ties to even (as CPython's dtoa does). */
function roundDigits(digits: string, decpt: number, n: number): { digits: string; decpt: number } {
  if (digits.length <= n) return { digits, decpt };
  const kept = digits.slice(0, n);
  const next = digits.charCodeAt(n) - 48;
  const rest = digits.slice(n + 1);
  const last = kept.charCodeAt(n - 1) - 48;
  const roundUp = next > 5 || (next === 5 && (/[1-9]/.test(rest) || last % 2 === 1));
  if (!roundUp) return { digits: kept.replace(/0+$/, ''), decpt };
  const bumped = (BigInt(kept) + 1n).toString();
  if (bumped.length > n) return { digits: bumped.slice(0, n).replace(/0+$/, ''), decpt: decpt + 1 };
  return { digits: bumped.replace(/0+$/, ''), decpt };
}

/** Python 2's `str()` of a float (`'%.12g'` plus `.0`): `0.3`, `1e+12`, `123456789012.0`. */
export function formatFloatStr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const exact = exactDigits(Math.abs(x));
  const { digits, decpt } = roundDigits(exact.digits, exact.decpt, 12);
  // With Py_DTSF_ADD_DOT_0 CPython switches to an exponent one digit early.
  return layoutDigits(x < 0 ? '-' : '', digits, decpt, decpt <= -4 || decpt > 11);
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Python 2's `repr()` of a unicode string: `u'abc'`, `u"it's"`, `u'\xe9\u20ac\U0001f600'`. */
export function formatUnicodeRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = `u${quote}`;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0x10000) out += `\\U${cp.toString(16).padStart(8, '0')}`;
    else if (cp >= 0x100) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp >= 0x7f) out += `\\x${hex2(cp)}`;
    else out += ch;
  }
  return out + quote;
}

/** Python 2's `repr()` of a byte string (`str`): `'abc'`, `'\xc3\xa9'`. */
export function formatBytesRepr(bytes: Uint8Array): string {
  const hasSingle = bytes.includes(0x27);
  const quoteCode = hasSingle && !bytes.includes(0x22) ? 0x22 : 0x27;
  const quote = String.fromCharCode(quoteCode);
  let out = quote;
  for (const b of bytes) {
    if (b === quoteCode || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${hex2(b)}`;
    else out += String.fromCharCode(b);
  }
  return out + quote;
}

/** Python 2 `repr()` of an integer: `long`s (beyond 64 bits) get an `L`. */
function formatIntRepr(n: bigint): string {
  return n > INT64_MAX || n < INT64_MIN ? `${n}L` : `${n}`;
}

/** The entries of a dict value in the requested order. */
export function orderedDictKeys(dict: PropertyDict, order: DictOrder): string[] {
  const keys = dictKeys(dict);
  return order === DictOrder.python2 ? python2DictOrder(keys) : keys;
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'object') return value?.constructor?.name ?? 'object';
  return typeof value;
}

function reprValue(value: PropertyValue, order: DictOrder, depth: number): string {
  if (depth > MAX_DEPTH) throw new NodeDataError('property value nested too deeply (or cyclic)');
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'string':
      return formatUnicodeRepr(value);
    case 'bigint':
      return formatIntRepr(value);
    case 'number':
      return Number.isSafeInteger(value) ? `${value === 0 ? 0 : value}` : formatFloatRepr(value);
    case 'object':
      break;
    default:
      throw new NodeDataError(`cannot write a ${describe(value)} as a Python value`);
  }
  if (value instanceof PythonFloat) return formatFloatRepr(value.value);
  if (value instanceof Uint8Array) return formatBytesRepr(value);
  if (Array.isArray(value)) {
    return `[${value.map((item: PropertyValue) => reprValue(item, order, depth + 1)).join(', ')}]`;
  }
  if (!isPropertyDict(value) || (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null)) {
    throw new NodeDataError(`cannot write a ${describe(value)} as a Python value`);
  }
  const parts = orderedDictKeys(value, order).map(
    (key) => `${formatUnicodeRepr(key)}: ${reprValue(value[key] ?? null, order, depth + 1)}`,
  );
  return `{${parts.join(', ')}}`;
}

/**
 * Python 2's `repr()` of a property value as zc.zk's export shows it
 * (`'%r'` of the JSON-decoded value). Throws {@link NodeDataError} for a
 * value that is no {@link PropertyValue}.
 */
export function formatPythonRepr(value: PropertyValue, options: PythonReprOptions = {}): string {
  return reprValue(value, options.dictOrder ?? DictOrder.python2, 0);
}

/**
 * Python 2's `str()` of a property value (`'%s'`), which zc.zk uses for link
 * lines and for dry-run import messages: strings appear bare, integers
 * without `L`, floats with 12 significant digits; containers as `repr()`.
 */
export function formatPythonStr(value: PropertyValue, options: PythonReprOptions = {}): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return `${value}`;
  if (typeof value === 'number' && !Number.isSafeInteger(value)) return formatFloatStr(value);
  if (value instanceof PythonFloat) return formatFloatStr(value.value);
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
  return formatPythonRepr(value, options);
}
