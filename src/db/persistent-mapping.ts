/**
 * Python's `persistent.mapping.PersistentMapping`: the database root and
 * the usual persistent dict. Its state is `{'data': {...}}`; records from
 * old Zope versions use `{'_container': {...}}`, read the same way.
 */
import { metaOf, Persistent } from './persistent.js';

function toMap<K, V>(dict: unknown, where: string): Map<K, V> {
  if (dict instanceof Map) return dict as Map<K, V>;
  if (dict !== null && typeof dict === 'object' && !Array.isArray(dict)) {
    return new Map(Object.entries(dict as Record<string, V>)) as Map<K, V>;
  }
  throw new TypeError(`${where}: the data of a PersistentMapping must be a dict, not ${dict === null ? 'None' : typeof dict}`);
}

/**
 * A persistent `Map`-like dict. Changes made through its methods mark it
 * changed; `data` is the underlying `Map` (Python's `.data`), which is not
 * tracked when changed directly.
 *
 * Keys are compared as JavaScript `Map` keys: strings, numbers and
 * booleans by value, other keys (tuples, bytes) by identity.
 */
export class PersistentMapping<K = string, V = unknown> extends Persistent implements Iterable<[K, V]> {
  /** The items (Python's `data` attribute). */
  declare data: Map<K, V>;

  /** A mapping holding `entries` (pairs, or the properties of a plain object). */
  constructor(entries?: Iterable<readonly [K, V]> | (K extends string ? Record<K, V> : never)) {
    super();
    this.data =
      entries === undefined
        ? new Map<K, V>()
        : Symbol.iterator in Object(entries)
          ? new Map<K, V>(entries as Iterable<readonly [K, V]>)
          : (new Map(Object.entries(entries as Record<string, V>)) as Map<K, V>);
  }

  /** The number of items. */
  get size(): number {
    return this.data.size;
  }

  /** The value under `key`, or `undefined`. */
  get(key: K): V | undefined {
    return this.data.get(key);
  }

  /** Whether `key` is present. */
  has(key: K): boolean {
    return this.data.has(key);
  }

  /** Sets `key` to `value` and marks the mapping changed. */
  set(key: K, value: V): this {
    this.data.set(key, value);
    this._p_markChanged();
    return this;
  }

  /** Removes `key`; returns whether it was present. */
  delete(key: K): boolean {
    const had = this.data.delete(key);
    if (had) this._p_markChanged();
    return had;
  }

  /** Removes every item. */
  clear(): void {
    if (this.data.size === 0) return;
    this.data.clear();
    this._p_markChanged();
  }

  /** Sets every pair of `entries`. */
  update(entries: Iterable<readonly [K, V]>): void {
    for (const [key, value] of entries) this.data.set(key, value);
    this._p_markChanged();
  }

  /** The keys, in insertion order. */
  keys(): MapIterator<K> {
    return this.data.keys();
  }

  /** The values, in insertion order. */
  values(): MapIterator<V> {
    return this.data.values();
  }

  /** The `[key, value]` pairs, in insertion order. */
  entries(): MapIterator<[K, V]> {
    return this.data.entries();
  }

  /** Calls `callback` for every item. */
  forEach(callback: (value: V, key: K, mapping: this) => void): void {
    for (const [key, value] of this.data) callback(value, key, this);
  }

  /** Iterates the `[key, value]` pairs. */
  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.data.entries();
  }

  /** Accepts `{'data': {...}}` and the old `{'_container': {...}}`; other attributes become properties. */
  override __setstate__(state: unknown): void {
    super.__setstate__(state);
    const target = metaOf(this).target as unknown as Record<string, unknown>;
    if (Object.hasOwn(target, '_container')) {
      if (!Object.hasOwn(target, 'data')) target.data = target._container;
      delete target._container;
    }
    target.data = toMap<K, V>(target.data ?? new Map(), 'PersistentMapping state');
  }
}
