/**
 * The persistent base class and its change tracking.
 *
 * Approach: the `Persistent` constructor returns a `Proxy` around the new
 * object, so `this` in every subclass constructor, method and field
 * initializer is the proxy. Its traps do what Python's `persistent` C
 * slots do:
 *
 * - assigning, defining or deleting a property marks an up-to-date object
 *   changed and registers it with its connection;
 * - touching the state of a ghost throws {@link GhostAccessError} (Node
 *   cannot load a record synchronously), while methods, getters and the
 *   `_p_` bookkeeping stay reachable;
 * - reading a property of a loaded object stamps it for the cache's
 *   least-recently-used order.
 *
 * Limits, as in ZODB: changing a plain value in place (`obj.tags.push(x)`,
 * `obj.meta.count++` on a nested object, `Map.set` on a plain Map) is not
 * seen; call `obj._p_markChanged()` (or set `obj._p_changed = true`)
 * afterwards, or use {@link PersistentList} / {@link PersistentMapping}.
 * JavaScript `#private` fields bypass proxies: they are neither tracked nor
 * stored, nor cleared when the object becomes a ghost. Properties whose
 * names start with `_v_` are volatile (never stored, readable on ghosts),
 * and `_p_` names are reserved, as in Python.
 */
import { inspect } from 'node:util';
import { idRepr, z64, type Oid, type Tid } from '../storage/oid.js';
import type { Connection } from './connection.js';
import { GhostAccessError } from './errors.js';

/**
 * The life-cycle state of a persistent object:
 * - `unsaved`: not (yet) owned by a connection;
 * - `ghost`: owned, state not loaded;
 * - `upToDate`: loaded and unchanged;
 * - `changed`: has changes (or is new) that the next commit stores.
 */
export const PersistentState = Object.freeze({
  /** Not owned by a connection yet. */
  unsaved: 'unsaved',
  /** Owned; the state is not loaded. */
  ghost: 'ghost',
  /** Loaded and unchanged. */
  upToDate: 'upToDate',
  /** Has changes (or is new) for the next commit. */
  changed: 'changed',
} as const);

/** One of the {@link PersistentState} values. */
export type PersistentState = (typeof PersistentState)[keyof typeof PersistentState];

/** @internal What a persistent object needs from the connection that owns it. */
export interface PersistentJar {
  /** The public connection. */
  readonly connection: Connection;
  /** Loads the object's state. */
  activate(obj: Persistent): Promise<void>;
  /** Throws when the object may not be changed now (connection closed, commit in progress). */
  beforeWrite(obj: Persistent): void;
  /** The object just went from up to date to changed. */
  register(obj: Persistent): void;
}

/** @internal The bookkeeping of one persistent object (Python's `_p_` slots). */
export interface PersistentMeta {
  /** The raw object behind the proxy. */
  readonly target: Persistent;
  /** The proxy: the object's identity everywhere. */
  self: Persistent;
  oid: Oid | null;
  serial: Tid;
  jar: PersistentJar | null;
  state: PersistentState;
  /** The access stamp used for least-recently-used eviction. */
  accessed: number;
  /** True while a record's state is applied: writes are not changes then. */
  loading: boolean;
}

const META: unique symbol = Symbol('zkzeo.db.persistentMeta');

interface WithMeta {
  readonly [META]: PersistentMeta;
}

let accessClock = 0;

/** @internal The bookkeeping of `obj`. */
export function metaOf(obj: Persistent): PersistentMeta {
  return (obj as unknown as WithMeta)[META];
}

/** @internal The current value of the access clock (for tests of the cache order). */
export function currentAccessStamp(): number {
  return accessClock;
}

function isVolatile(key: string): boolean {
  return key.startsWith('_v_');
}

/** @internal `Note 0x03`, for messages. */
export function describeObject(meta: PersistentMeta): string {
  const name = (Object.getPrototypeOf(meta.target) as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  return `${name} ${meta.oid === null ? '(no oid)' : idRepr(meta.oid)}`;
}

function hasAccessor(target: object, key: string): boolean {
  for (let proto: object | null = Object.getPrototypeOf(target) as object | null; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const desc = Object.getOwnPropertyDescriptor(proto, key);
    if (desc !== undefined) return desc.get !== undefined || desc.set !== undefined;
  }
  return false;
}

function beforeWrite(meta: PersistentMeta, key: string): void {
  if (meta.loading) return;
  switch (meta.state) {
    case PersistentState.ghost:
      throw new GhostAccessError(describeObject(meta), key, 'write');
    case PersistentState.upToDate:
      (meta.jar as PersistentJar).beforeWrite(meta.self);
      meta.state = PersistentState.changed;
      (meta.jar as PersistentJar).register(meta.self);
      return;
    case PersistentState.changed:
      meta.jar?.beforeWrite(meta.self);
      return;
    default:
      return;
  }
}

function checkReadable(meta: PersistentMeta, target: object, key: string | symbol): void {
  if (meta.state === PersistentState.ghost && typeof key === 'string' && !isVolatile(key) && !(key in target)) {
    throw new GhostAccessError(describeObject(meta), key, 'read');
  }
}

const HANDLER: ProxyHandler<Persistent> = {
  get(target, key, receiver) {
    if (typeof key === 'string') {
      const meta = (target as unknown as WithMeta)[META];
      if (meta.state === PersistentState.ghost) {
        // `await obj` probes `then`; a ghost is not a thenable.
        if (key === 'then' && !(key in target)) return undefined;
        checkReadable(meta, target, key);
      } else {
        meta.accessed = ++accessClock;
      }
    }
    return Reflect.get(target, key, receiver) as unknown;
  },
  set(target, key, value, receiver) {
    if (typeof key !== 'string' || isVolatile(key)) return Reflect.set(target, key, value, receiver);
    // Own properties are data properties: skip the prototype walk on the hot path.
    if (!Object.hasOwn(target, key) && hasAccessor(target, key)) return Reflect.set(target, key, value, receiver);
    beforeWrite((target as unknown as WithMeta)[META], key);
    return Reflect.set(target, key, value);
  },
  defineProperty(target, key, descriptor) {
    if (typeof key === 'string' && !isVolatile(key)) beforeWrite((target as unknown as WithMeta)[META], key);
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string' && !isVolatile(key) && Object.hasOwn(target, key)) {
      beforeWrite((target as unknown as WithMeta)[META], key);
    } else if (typeof key === 'string') {
      checkReadable((target as unknown as WithMeta)[META], target, key);
    }
    return Reflect.deleteProperty(target, key);
  },
  has(target, key) {
    checkReadable((target as unknown as WithMeta)[META], target, key);
    return Reflect.has(target, key);
  },
  ownKeys(target) {
    const meta = (target as unknown as WithMeta)[META];
    if (meta.state === PersistentState.ghost) throw new GhostAccessError(describeObject(meta), '', 'list');
    return Reflect.ownKeys(target);
  },
  getOwnPropertyDescriptor(target, key) {
    checkReadable((target as unknown as WithMeta)[META], target, key);
    return Reflect.getOwnPropertyDescriptor(target, key);
  },
};

/** @internal Drops the state of `meta`'s object (all own string-keyed properties) and makes it a ghost. */
export function ghostify(meta: PersistentMeta): void {
  const target = meta.target;
  for (const key of Object.getOwnPropertyNames(target)) delete (target as unknown as Record<string, unknown>)[key];
  meta.state = PersistentState.ghost;
}

/** @internal The own state properties of `target`, in insertion order, without `_v_`/`_p_` names. */
export function ownStateEntries(target: object): Array<[string, unknown]> {
  const entries: Array<[string, unknown]> = [];
  for (const key of Object.keys(target)) {
    if (key.startsWith('_v_') || key.startsWith('_p_')) continue;
    entries.push([key, (target as Record<string, unknown>)[key]]);
  }
  return entries;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** @internal Copies a state dict (plain object or Map with string keys) onto `target` without tracking. */
export function assignStateDict(target: object, dict: unknown, where: string): void {
  if (dict === null || dict === undefined) return;
  if (isPlainObject(dict)) {
    for (const key of Object.keys(dict)) defineState(target, key, dict[key]);
    return;
  }
  if (dict instanceof Map) {
    for (const [key, value] of dict as Map<unknown, unknown>) {
      if (typeof key !== 'string') throw new TypeError(`${where}: state key ${String(key)} is not a string`);
      defineState(target, key, value);
    }
    return;
  }
  throw new TypeError(`${where}: the state is a ${typeof dict}, not a dict`);
}

function defineState(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * The base class of objects stored in the database. Subclass it, register
 * the subclass under its Python name with `registerClass`, and assign
 * properties as usual: every assignment marks the object changed. The
 * state stored is the object's own enumerable properties (Python's
 * `__dict__`), like a Python `persistent.Persistent`.
 *
 * Subclasses must be constructible with no arguments (ghosts are created
 * with `new Cls()`), or with the arguments returned by their
 * `__getnewargs__` method when they define one.
 *
 * See the module notes for what is and is not tracked.
 */
export class Persistent {
  /** Creates an unsaved object; store it by adding it to a connection or referring to it from a stored object. */
  constructor() {
    const meta: PersistentMeta = {
      target: this,
      self: this,
      oid: null,
      serial: z64,
      jar: null,
      state: PersistentState.unsaved,
      accessed: 0,
      loading: false,
    };
    Object.defineProperty(this, META, { value: meta });
    const proxy = new Proxy(this, HANDLER);
    meta.self = proxy;
    return proxy;
  }

  /** The object id, or `null` until the object is added to a connection. */
  get _p_oid(): Oid | null {
    return metaOf(this).oid;
  }

  /** The tid of the revision loaded or last stored (`z64` for new objects). */
  get _p_serial(): Tid {
    return metaOf(this).serial;
  }

  /** The connection that owns the object, or `null`. */
  get _p_jar(): Connection | null {
    return metaOf(this).jar?.connection ?? null;
  }

  /** The life-cycle state. */
  get _p_state(): PersistentState {
    return metaOf(this).state;
  }

  /** `true` if changed, `false` if loaded and unchanged (or unsaved), `null` for a ghost (as in Python). */
  get _p_changed(): boolean | null {
    const state = metaOf(this).state;
    return state === PersistentState.ghost ? null : state === PersistentState.changed;
  }

  /** `true` marks the object changed (see {@link Persistent._p_markChanged}); `false` forgets its changes' mark without undoing them. */
  set _p_changed(value: boolean) {
    const meta = metaOf(this);
    if (value) this._p_markChanged();
    else if (meta.state === PersistentState.changed && meta.oid !== null) meta.state = PersistentState.upToDate;
  }

  /**
   * Marks the object changed, so the next commit stores it: needed after
   * changing a nested plain value in place (`this.tags.push(t)`).
   */
  _p_markChanged(): void {
    beforeWrite(metaOf(this), '_p_changed');
  }

  /** Loads the object's state if it is a ghost; resolves to the object. */
  async _p_activate(): Promise<this> {
    const meta = metaOf(this);
    if (meta.state === PersistentState.ghost && meta.jar !== null) await meta.jar.activate(meta.self);
    return this;
  }

  /** Turns an up-to-date object back into a ghost to free memory (changed objects are left alone). */
  _p_deactivate(): void {
    const meta = metaOf(this);
    if (meta.state === PersistentState.upToDate) ghostify(meta);
  }

  /**
   * The state to store (Python's `__getstate__`): by default the own
   * enumerable properties as a dict, without `_v_` and `_p_` names.
   */
  __getstate__(): unknown {
    const state: Record<string, unknown> = {};
    for (const [key, value] of ownStateEntries(metaOf(this).target)) defineState(state, key, value);
    return state;
  }

  /**
   * Applies a loaded state (Python's `__setstate__`): a dict, or Python's
   * `(dict, slots)` pair, whose items become own properties.
   */
  __setstate__(state: unknown): void {
    const target = metaOf(this).target;
    if (Array.isArray(state) && state.length === 2) {
      assignStateDict(target, state[0], describeObject(metaOf(this)));
      assignStateDict(target, state[1], describeObject(metaOf(this)));
      return;
    }
    assignStateDict(target, state, describeObject(metaOf(this)));
  }

  /** Node's `util.inspect`: the class, oid and state, or `<ghost>`. */
  [inspect.custom](depth: number, options: object): string {
    const meta = metaOf(this);
    const head = describeObject(meta);
    if (meta.state === PersistentState.ghost) return `${head} <ghost>`;
    if (depth < 0) return head;
    const state = Object.fromEntries(ownStateEntries(meta.target));
    return `${head} ${inspect(state, { ...options, depth: depth - 1 })}`;
  }
}

/** Whether `value` is a persistent object. */
export function isPersistent(value: unknown): value is Persistent {
  return value instanceof Persistent;
}

/**
 * A class whose instances can be stored: a {@link Persistent} subclass.
 * (Constructor parameters are typed `never` so that any constructor fits.)
 */
export type PersistentClass<T extends Persistent = Persistent> = new (...args: never[]) => T;

/** @internal Creates a ghost of `cls` owned by `jar`, running the constructor with `args`. */
export function newGhost(cls: PersistentClass, args: readonly unknown[], jar: PersistentJar, oid: Oid): Persistent {
  const obj = new (cls as unknown as new (...a: unknown[]) => Persistent)(...args);
  const meta = metaOf(obj);
  if (meta === undefined) throw new TypeError(`${cls.name} does not extend Persistent`);
  meta.jar = jar;
  meta.oid = oid;
  ghostify(meta);
  return obj;
}
