/**
 * Objects of Python classes that have no registered TypeScript class
 * (ZODB's "broken" objects, but usable): they keep the class name, the
 * class metadata and the state exactly as loaded, so that writing one back
 * unchanged gives the same bytes, and nothing Python wrote is lost.
 */
import type { PyGlobal, Tuple } from '../pickle/values.js';
import { GhostAccessError } from './errors.js';
import { describeObject, metaOf, Persistent, PersistentState } from './persistent.js';

// Kept as non-enumerable own properties so that a ghost drops them with the rest of its state.
const RAW_STATE = '_p_rawStateSlot';

interface GenericClassInfo {
  readonly pythonClass: PyGlobal;
  readonly classMeta: unknown;
  readonly newArgs: Tuple | null;
}

const classInfo = new WeakMap<Persistent, GenericClassInfo>();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An object of an unregistered Python class. When its state is a dict with
 * string keys (the usual `Persistent` subclass), the items are its own
 * properties, read and written like those of any persistent object. Any
 * other state (a BTree's tuple, say) is kept whole in
 * {@link GenericPersistent._p_rawState}.
 */
export class GenericPersistent extends Persistent {
  /** @internal Use `conn.get()`; generic objects are only created by loading. */
  constructor(pythonClass: PyGlobal, classMeta: unknown, newArgs: Tuple | null) {
    super();
    classInfo.set(this, { pythonClass, classMeta, newArgs });
  }

  /** The Python class, `module.Name`. */
  get _p_pythonClass(): string {
    return (classInfo.get(this) as GenericClassInfo).pythonClass.qualifiedName;
  }

  /** The whole state when it is not a dict of string keys, else `undefined`. */
  get _p_rawState(): unknown {
    const meta = metaOf(this);
    if (meta.state === PersistentState.ghost) throw new GhostAccessError(describeObject(meta), '_p_rawState', 'read');
    const target = meta.target as unknown as Record<string, unknown>;
    return target[RAW_STATE];
  }

  /** Replaces the whole (non-dict) state and marks the object changed. */
  set _p_rawState(value: unknown) {
    this._p_markChanged();
    Object.defineProperty(metaOf(this).target, RAW_STATE, { value, writable: true, configurable: true, enumerable: false });
  }

  /** The state to store: the raw state when there is one, else the own properties as a dict. */
  override __getstate__(): unknown {
    const target = metaOf(this).target;
    if (Object.hasOwn(target, RAW_STATE)) return (target as unknown as Record<string, unknown>)[RAW_STATE];
    return super.__getstate__();
  }

  /** Applies a loaded state: a dict becomes properties, anything else is kept in `_p_rawState`. */
  override __setstate__(state: unknown): void {
    if (isPlainObject(state)) {
      super.__setstate__(state);
      return;
    }
    Object.defineProperty(metaOf(this).target, RAW_STATE, { value: state, writable: true, configurable: true, enumerable: false });
  }
}

/** @internal The Python class, class metadata as loaded and `__getnewargs__` result of a generic object. */
export function genericClassInfo(obj: GenericPersistent): GenericClassInfo {
  return classInfo.get(obj) as GenericClassInfo;
}

/** @internal Records the class metadata read from the object's own record. */
export function updateGenericClass(obj: GenericPersistent, pythonClass: PyGlobal, classMeta: unknown, newArgs: Tuple | null): void {
  classInfo.set(obj, { pythonClass, classMeta, newArgs });
}
