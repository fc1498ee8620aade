/**
 * A Python tuple: a frozen `Array` subclass, so `Array.isArray(t)` holds,
 * indexing and destructuring work, and `t instanceof Tuple` tells it apart
 * from a list. `map`/`filter`/`slice` return plain arrays.
 */
export class Tuple<T = unknown> extends Array<T> {
  /** Derived arrays (`map`, `filter`, `slice`…) are plain arrays, not tuples. */
  static override get [Symbol.species](): ArrayConstructor {
    return Array;
  }

  /** A frozen tuple holding `items` (the array itself is adopted, not copied). */
  static adopt<T>(items: T[]): Tuple<T> {
    Object.setPrototypeOf(items, Tuple.prototype);
    return Object.freeze(items) as Tuple<T>;
  }

  /** A frozen tuple of a copy of `items`. */
  static fromItems<T>(items: Iterable<T> | ArrayLike<T>): Tuple<T> {
    return Tuple.adopt(Array.from(items));
  }
}

/** Builds a {@link Tuple} from its arguments: `tuple(oid, klass)`. */
export function tuple<T extends unknown[]>(...items: T): Tuple<T[number]> {
  return Tuple.adopt(items);
}

/** The empty tuple `()`; decoding always returns this instance for `EMPTY_TUPLE`. */
export const EMPTY_TUPLE: Tuple<never> = Tuple.adopt<never>([]);

/**
 * A Python float carried as an object so that integral floats (`1.0`)
 * stay floats. The decoder returns one for every integral float; the
 * encoder accepts one for any float.
 */
export class PyFloat {
  /** The float's value. */
  readonly value: number;

  /** Wraps `value` (any number, including NaN and ±Infinity). */
  constructor(value: number) {
    this.value = value;
  }

  /** The number, so `+f` and arithmetic work. */
  valueOf(): number {
    return this.value;
  }

  /** Python's spelling: `3.0`, `1e+300`, `nan`. */
  toString(): string {
    const v = this.value;
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const s = String(v);
    return /[.e]/.test(s) ? s : `${s}.0`;
  }
}

/** A reference to a Python class or function (the `GLOBAL` opcode): `module.name`. */
export class PyGlobal {
  /** The module, e.g. `persistent.mapping`. */
  readonly module: string;
  /** The name inside the module, e.g. `PersistentMapping`. */
  readonly name: string;

  /** A reference to `module.name`. */
  constructor(module: string, name: string) {
    this.module = module;
    this.name = name;
  }

  /** `module.name`. */
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }

  /** Whether `other` names the same global. */
  equals(other: unknown): boolean {
    return other instanceof PyGlobal && other.module === this.module && other.name === this.name;
  }

  /** `module.name`. */
  toString(): string {
    return this.qualifiedName;
  }
}

/** How a {@link PickleReduction} is written: `REDUCE` (`callable(*args)`) or `NEWOBJ` (`cls.__new__(cls, *args)`). */
export type ReductionKind = 'reduce' | 'newobj';

/**
 * How a value pickles, the equivalent of Python's `__reduce__` result:
 * `callable` and `args` (always written as a tuple), then list items
 * (`APPEND`/`APPENDS`), dict items (`SETITEM`/`SETITEMS`) and the state
 * (`BUILD`) when present.
 */
export interface PickleReduction {
  /** `'reduce'` (the default) or `'newobj'`. */
  readonly kind?: ReductionKind;
  /** The callable (for `'newobj'`: the class), usually a {@link PyGlobal}. */
  readonly callable: unknown;
  /** The arguments. */
  readonly args: readonly unknown[];
  /** The state given to `BUILD`; `undefined` writes no `BUILD`. */
  readonly state?: unknown;
  /** Items appended after construction. */
  readonly listItems?: Iterable<unknown>;
  /** Key/value pairs set after construction. */
  readonly dictItems?: Iterable<readonly [unknown, unknown]>;
}

/**
 * An object built by `REDUCE` or `NEWOBJ` that no hook claimed: it keeps
 * everything the pickle said about it, so it encodes back to the same
 * bytes. `state` is `undefined` until a `BUILD` sets it; `listItems` and
 * `dictItems` collect later `APPEND(S)` and `SETITEM(S)`.
 */
export class PyObject implements PickleReduction {
  /** `'reduce'` or `'newobj'`. */
  readonly kind: ReductionKind;
  /** The callable or class (a {@link PyGlobal} unless a hook supplied something else). */
  readonly callable: unknown;
  /** The arguments (a {@link Tuple} when decoded). */
  readonly args: readonly unknown[];
  /** The `BUILD` state, `undefined` when there was no `BUILD`. */
  state: unknown = undefined;
  /** Items added by `APPEND`/`APPENDS`, if any. */
  listItems: unknown[] | undefined = undefined;
  /** Pairs added by `SETITEM`/`SETITEMS`, if any. */
  dictItems: Array<[unknown, unknown]> | undefined = undefined;

  /** An object built by `kind` from `callable` and `args`. */
  constructor(kind: ReductionKind, callable: unknown, args: readonly unknown[]) {
    this.kind = kind;
    this.callable = callable;
    this.args = args;
  }

  /** The callable's module when it is a {@link PyGlobal}. */
  get module(): string | undefined {
    return this.callable instanceof PyGlobal ? this.callable.module : undefined;
  }

  /** The callable's name when it is a {@link PyGlobal}. */
  get name(): string | undefined {
    return this.callable instanceof PyGlobal ? this.callable.name : undefined;
  }
}

/**
 * Method key on objects that know how to pickle themselves: the method
 * returns a {@link PickleReduction}. Example:
 * `[pickleReduce]() { return { callable: DECIMAL, args: tuple(this.text) }; }`
 */
export const pickleReduce: unique symbol = Symbol.for('zkzeo.pickle.reduce');

/**
 * Method key on values returned by `findClass`: called for `REDUCE` with
 * the argument tuple; its result replaces the generic {@link PyObject}.
 */
export const pickleCall: unique symbol = Symbol.for('zkzeo.pickle.call');

/**
 * Method key on values returned by `findClass`: called for `NEWOBJ` with
 * the argument tuple; its result replaces the generic {@link PyObject}.
 */
export const pickleNew: unique symbol = Symbol.for('zkzeo.pickle.new');

/** Method key on decoded objects that accept a `BUILD` state. */
export const pickleSetState: unique symbol = Symbol.for('zkzeo.pickle.setState');

/** A JS object that says how it pickles, see {@link pickleReduce}. */
export interface PickleReducible {
  /** Returns how this object is written. */
  [pickleReduce](): PickleReduction;
}

/** What a `findClass` hook may return to take over `REDUCE`/`NEWOBJ`, see {@link pickleCall}. */
export interface PickleClass {
  /** `REDUCE`: `callable(*args)`. */
  [pickleCall]?(args: Tuple): unknown;
  /** `NEWOBJ`: `cls.__new__(cls, *args)`. */
  [pickleNew]?(args: Tuple): unknown;
}

/** A decoded object that takes a `BUILD` state, see {@link pickleSetState}. */
export interface PickleStateful {
  /** Applies the `BUILD` state. */
  [pickleSetState](state: unknown): void;
}

/**
 * The JavaScript value model of the pickle codec: how Python values look
 * after decoding and what the encoder accepts. (Hooks may add their own
 * types: the decoder returns `unknown`.)
 *
 * | Python | decoded as | encoded from |
 * | --- | --- | --- |
 * | `None` | `null` | `null` |
 * | `bool` | `boolean` | `boolean` |
 * | `int` | `number` when \|n\| ≤ 2^53−1, else `bigint` | an integral `number` (not −0), any `bigint` |
 * | `float` | `number`, but a {@link PyFloat} when the value is integral (`1.0`, `-3.0`, `1e300`; not −0.0, NaN, ±inf) | a non-integral `number`, −0, NaN, ±Infinity, or any {@link PyFloat} |
 * | `str` | `string` | `string` |
 * | `bytes` | `Buffer` (a view into the input unless `copyBytes`) | any `Uint8Array` |
 * | `tuple` | {@link Tuple} (frozen `Array` subclass) | {@link Tuple} |
 * | `list` | `Array` | `Array` (not a {@link Tuple}) |
 * | `dict` | plain object when every key is a string that keeps its place in a JS object (see below), otherwise `Map`; always `Map` with `dicts: 'map'` | plain object (own enumerable keys in order) or `Map` |
 * | class / function reference (`GLOBAL`) | {@link PyGlobal} (or what `findClass` returns) | {@link PyGlobal} |
 * | object built by `REDUCE` / `NEWOBJ` (set, datetime, Decimal, instances…) | {@link PyObject} keeping callable, args, state, list and dict items (or what the class hooks return) | {@link PyObject}, objects with a {@link pickleReduce} method, or values the `reducer` option handles |
 * | persistent reference (`PERSID`/`BINPERSID`) | what `persistentLoad(pid)` returns | values for which `persistentId` returns a pid |
 *
 * A dict decodes to a plain object only when all its keys are strings,
 * none is `__proto__` and none is an array index such as `"7"` (JS objects
 * list such keys first, which would reorder the dict). Such objects have
 * `Object.prototype` as their prototype; read them with `Object.hasOwn`.
 * Map keys that are tuples, buffers or bigints compare by identity.
 *
 * Integral floats are wrapped so that decoding and encoding a record gives
 * the same bytes: a plain `3` pickles as the int `3` (`K 03`), a
 * `new PyFloat(3)` as the float `3.0` (`G 4008…`). Use `+x` or
 * `Number(x)` to get a number from either.
 *
 * Strings are memoized by value when encoding (Python memoizes by
 * identity; in ZODB records repeated strings are nearly always the same
 * interned object, so the bytes agree). Everything else is memoized by
 * identity, as Python does: to get a `BINGET` for a repeated oid, pass the
 * same `Buffer` object.
 *
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Buffer
  | PyFloat
  | Tuple<PickleValue>
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | { [key: string]: PickleValue }
  | PyGlobal
  | PyObject;
