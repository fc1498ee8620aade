/**
 * JavaScript types for the Python standard-library values that records
 * commonly hold (see `values.md`): `set` ↔ `Set`, `frozenset` ↔
 * {@link PyFrozenSet}, `datetime.datetime` ↔ {@link PyDateTime} (and a JS
 * `Date` writes as a UTC datetime), `datetime.date` ↔ {@link PyDate},
 * `decimal.Decimal` ↔ {@link PyDecimal}. Each writes back the bytes Python
 * writes. Other classes stay generic `PyObject`s, which also write back
 * unchanged.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  PyGlobal,
  PyObject,
  Tuple,
  pickleCall,
  pickleReduce,
  tuple,
  type PickleClass,
  type PickleReduction,
} from '../pickle/values.js';

const DATETIME = new PyGlobal('datetime', 'datetime');
const DATE = new PyGlobal('datetime', 'date');
const TIMEZONE = new PyGlobal('datetime', 'timezone');
const TIMEDELTA = new PyGlobal('datetime', 'timedelta');
const SET = new PyGlobal('builtins', 'set');
const FROZENSET = new PyGlobal('builtins', 'frozenset');
const DECIMAL = new PyGlobal('decimal', 'Decimal');

function packedBytes(value: unknown, length: number): Buffer | undefined {
  // Python 2 pickled the packed value as a latin-1 str.
  if (typeof value === 'string') return value.length === length ? Buffer.from(value, 'latin1') : undefined;
  return Buffer.isBuffer(value) && value.length === length ? value : undefined;
}

function timedeltaMicroseconds(value: unknown): number | undefined {
  if (!(value instanceof PyObject) || value.callable instanceof PyGlobal === false) return undefined;
  if ((value.callable as PyGlobal).qualifiedName !== 'datetime.timedelta') return undefined;
  const [days = 0, seconds = 0, micros = 0] = value.args;
  if (typeof days !== 'number' || typeof seconds !== 'number' || typeof micros !== 'number') return undefined;
  return (days * 86400 + seconds) * 1e6 + micros;
}

/** The UTC offset of a `datetime.timezone(timedelta(...))` tzinfo, in microseconds. */
function fixedOffsetMicroseconds(tzinfo: unknown): number | undefined {
  if (!(tzinfo instanceof PyObject) || !(tzinfo.callable instanceof PyGlobal)) return undefined;
  if (tzinfo.callable.qualifiedName !== 'datetime.timezone') return undefined;
  return timedeltaMicroseconds(tzinfo.args[0]);
}

/** Python's `datetime.timezone.utc`, as pickled. */
export function utcTimezone(): PyObject {
  return new PyObject('reduce', TIMEZONE, tuple(new PyObject('reduce', TIMEDELTA, tuple(0, 0, 0))));
}

/** A Python `datetime.datetime`, with microseconds and the `tzinfo` kept as loaded. */
export class PyDateTime {
  /** Year, 1–9999. */
  readonly year: number;
  /** Month, 1–12. */
  readonly month: number;
  /** Day of the month, 1–31. */
  readonly day: number;
  /** Hour, 0–23. */
  readonly hour: number;
  /** Minute, 0–59. */
  readonly minute: number;
  /** Second, 0–59. */
  readonly second: number;
  /** Microsecond, 0–999999. */
  readonly microsecond: number;
  /** The `tzinfo` as loaded (a `PyObject`), or `null` for a naive datetime. */
  readonly tzinfo: unknown;
  /** Python's `fold` (0 or 1), kept for round trips. */
  readonly fold: 0 | 1;

  /** A datetime from its fields; `tzinfo` `null` makes it naive. */
  constructor(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, microsecond = 0, tzinfo: unknown = null, fold: 0 | 1 = 0) {
    const fields = { year, month, day, hour, minute, second, microsecond };
    const limits: Record<string, [number, number]> = {
      year: [1, 9999], month: [1, 12], day: [1, 31], hour: [0, 23], minute: [0, 59], second: [0, 59], microsecond: [0, 999999],
    };
    for (const [name, value] of Object.entries(fields)) {
      const [low, high] = limits[name] as [number, number];
      if (!Number.isInteger(value) || value < low || value > high) {
        throw new InvalidArgumentError(`PyDateTime: ${name} must be an integer from ${low} to ${high}, got ${value}`);
      }
    }
    this.year = year;
    this.month = month;
    this.day = day;
    this.hour = hour;
    this.minute = minute;
    this.second = second;
    this.microsecond = microsecond;
    this.tzinfo = tzinfo;
    this.fold = fold;
  }

  /** A UTC-aware datetime (`tzinfo` `timezone.utc`) for `date`. */
  static fromDate(date: Date): PyDateTime {
    const ms = date.getTime();
    if (Number.isNaN(ms)) throw new InvalidArgumentError('PyDateTime.fromDate: invalid Date');
    return new PyDateTime(
      date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(),
      date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds(), date.getUTCMilliseconds() * 1000, utcTimezone(),
    );
  }

  /** @internal Decodes Python's pickled form, `datetime(packed[, tzinfo])`; `undefined` if it is unusual. */
  static fromPickleArgs(args: Tuple): PyDateTime | undefined {
    if (args.length < 1 || args.length > 2) return undefined;
    const b = packedBytes(args[0], 10);
    if (b === undefined) return undefined;
    const month = (b[2] as number) & 0x7f;
    const fold = (b[2] as number) & 0x80 ? 1 : 0;
    const microsecond = ((b[7] as number) << 16) | ((b[8] as number) << 8) | (b[9] as number);
    try {
      return new PyDateTime(b.readUInt16BE(0), month, b[3] as number, b[4] as number, b[5] as number, b[6] as number, microsecond, args[1] ?? null, fold);
    } catch {
      return undefined;
    }
  }

  /** Whether a `tzinfo` is set. */
  get aware(): boolean {
    return this.tzinfo !== null;
  }

  /**
   * The instant as a JS `Date` (milliseconds; microseconds are truncated).
   * A naive datetime is taken as UTC. Throws `InvalidArgumentError` for a
   * `tzinfo` other than a fixed offset (`datetime.timezone`).
   */
  toDate(): Date {
    let offset = 0;
    if (this.tzinfo !== null) {
      const micros = fixedOffsetMicroseconds(this.tzinfo);
      if (micros === undefined) throw new InvalidArgumentError('PyDateTime.toDate: only naive datetimes and datetime.timezone offsets can be converted');
      offset = micros / 1000;
    }
    const date = new Date(0);
    // setUTCFullYear, unlike Date.UTC, does not map years 0–99 to 1900–1999.
    date.setUTCFullYear(this.year, this.month - 1, this.day);
    date.setUTCHours(this.hour, this.minute, this.second, Math.floor(this.microsecond / 1000));
    date.setTime(date.getTime() - offset);
    return date;
  }

  /** ISO 8601 like Python's `isoformat()` (without the offset of non-fixed tzinfos). */
  toString(): string {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    let text = `${p(this.year, 4)}-${p(this.month)}-${p(this.day)}T${p(this.hour)}:${p(this.minute)}:${p(this.second)}`;
    if (this.microsecond !== 0) text += `.${p(this.microsecond, 6)}`;
    const micros = fixedOffsetMicroseconds(this.tzinfo);
    if (micros !== undefined) {
      const minutes = Math.round(Math.abs(micros) / 60e6);
      text += `${micros < 0 ? '-' : '+'}${p(Math.floor(minutes / 60))}:${p(minutes % 60)}`;
    }
    return text;
  }

  /** How the datetime pickles: `datetime.datetime(packed[, tzinfo])`. */
  [pickleReduce](): PickleReduction {
    const b = Buffer.alloc(10);
    b.writeUInt16BE(this.year, 0);
    b[2] = this.month | (this.fold ? 0x80 : 0);
    b[3] = this.day;
    b[4] = this.hour;
    b[5] = this.minute;
    b[6] = this.second;
    b[7] = this.microsecond >> 16;
    b[8] = (this.microsecond >> 8) & 0xff;
    b[9] = this.microsecond & 0xff;
    return { callable: DATETIME, args: this.tzinfo === null ? tuple(b) : tuple(b, this.tzinfo) };
  }
}

/** A Python `datetime.date`. */
export class PyDate {
  /** Year, 1–9999. */
  readonly year: number;
  /** Month, 1–12. */
  readonly month: number;
  /** Day of the month, 1–31. */
  readonly day: number;

  /** A date from its fields. */
  constructor(year: number, month: number, day: number) {
    if (!Number.isInteger(year) || year < 1 || year > 9999) throw new InvalidArgumentError(`PyDate: bad year ${year}`);
    if (!Number.isInteger(month) || month < 1 || month > 12) throw new InvalidArgumentError(`PyDate: bad month ${month}`);
    if (!Number.isInteger(day) || day < 1 || day > 31) throw new InvalidArgumentError(`PyDate: bad day ${day}`);
    this.year = year;
    this.month = month;
    this.day = day;
  }

  /** @internal Decodes `date(packed)`; `undefined` if it is unusual. */
  static fromPickleArgs(args: Tuple): PyDate | undefined {
    const b = args.length === 1 ? packedBytes(args[0], 4) : undefined;
    if (b === undefined) return undefined;
    try {
      return new PyDate(b.readUInt16BE(0), b[2] as number, b[3] as number);
    } catch {
      return undefined;
    }
  }

  /** `YYYY-MM-DD`. */
  toString(): string {
    return `${String(this.year).padStart(4, '0')}-${String(this.month).padStart(2, '0')}-${String(this.day).padStart(2, '0')}`;
  }

  /** How the date pickles: `datetime.date(packed)`. */
  [pickleReduce](): PickleReduction {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(this.year, 0);
    b[2] = this.month;
    b[3] = this.day;
    return { callable: DATE, args: tuple(b) };
  }
}

/** A Python `decimal.Decimal`, kept as its exact decimal text. */
export class PyDecimal {
  /** The decimal text, as Python's `str()` gives it (`'1.10'`, `'NaN'`, `'-Infinity'`). */
  readonly value: string;

  /** A decimal of `value` (text, to keep every digit). */
  constructor(value: string) {
    this.value = value;
  }

  /** The text. */
  toString(): string {
    return this.value;
  }

  /** The nearest `number`. */
  toNumber(): number {
    return Number(this.value);
  }

  /** How the decimal pickles: `decimal.Decimal('text')`. */
  [pickleReduce](): PickleReduction {
    return { callable: DECIMAL, args: tuple(this.value) };
  }
}

/** A Python `frozenset`: a `Set` that refuses changes once built. */
export class PyFrozenSet<T = unknown> extends Set<T> {
  #frozen = false;

  /** A frozen set of `items`. */
  constructor(items?: Iterable<T>) {
    super();
    // Set's own constructor would call the overridden add before #frozen exists.
    if (items !== undefined) for (const item of items) super.add(item);
    this.#frozen = true;
  }

  /** Throws `TypeError`: frozensets are immutable (allowed only while constructing). */
  override add(value: T): this {
    if (this.#frozen) throw new TypeError('a frozenset cannot be changed');
    return super.add(value);
  }

  /** Throws `TypeError`: frozensets are immutable. */
  override delete(_value: T): boolean {
    throw new TypeError('a frozenset cannot be changed');
  }

  /** Throws `TypeError`: frozensets are immutable. */
  override clear(): void {
    throw new TypeError('a frozenset cannot be changed');
  }

  /** How the frozenset pickles: `builtins.frozenset([items])`. */
  [pickleReduce](): PickleReduction {
    return { callable: FROZENSET, args: tuple([...this]) };
  }
}

/** A `GLOBAL` the decoder evaluates: still writes as the same `GLOBAL` when referenced bare. */
class EvaluatedGlobal extends PyGlobal implements PickleClass {
  readonly #call: (args: Tuple) => unknown;

  constructor(global: PyGlobal, call: (args: Tuple) => unknown) {
    super(global.module, global.name);
    this.#call = call;
  }

  [pickleCall](args: Tuple): unknown {
    return this.#call(args);
  }
}

function setItems(args: Tuple): unknown[] | undefined {
  if (args.length === 0) return [];
  const first = args[0];
  return args.length === 1 && Array.isArray(first) && !(first instanceof Tuple) ? first : undefined;
}

const VALUE_CLASSES: ReadonlyMap<string, EvaluatedGlobal> = new Map([
  ['datetime\ndatetime', new EvaluatedGlobal(DATETIME, (args) => PyDateTime.fromPickleArgs(args))],
  ['datetime\ndate', new EvaluatedGlobal(DATE, (args) => PyDate.fromPickleArgs(args))],
  ['decimal\nDecimal', new EvaluatedGlobal(DECIMAL, (args) => (args.length === 1 && typeof args[0] === 'string' ? new PyDecimal(args[0]) : undefined))],
  ['builtins\nset', new EvaluatedGlobal(SET, (args) => {
    const items = setItems(args);
    return items === undefined ? undefined : new Set(items);
  })],
  ['builtins\nfrozenset', new EvaluatedGlobal(FROZENSET, (args) => {
    // Protocol 4's FROZENSET opcode passes the items themselves.
    const items = setItems(args) ?? (args.length > 1 ? [...args] : undefined);
    return items === undefined ? undefined : new PyFrozenSet(items);
  })],
]);

/** @internal The decoder's `findClass` hook for the value classes above. */
export function findValueClass(module: string, name: string): unknown {
  return VALUE_CLASSES.get(`${module}\n${name}`);
}

/** @internal The encoder's `reducer` for JS values Python has a type for: `Set` and `Date`. */
export function reduceJsValue(value: object): PickleReduction | undefined {
  if (value instanceof Set) return { callable: SET, args: tuple([...(value as Set<unknown>)]) };
  if (value instanceof Date) return PyDateTime.fromDate(value)[pickleReduce]();
  return undefined;
}
