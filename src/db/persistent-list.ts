/**
 * Python's `persistent.list.PersistentList`, whose state is
 * `{'data': [...]}`.
 */
import { metaOf, Persistent } from './persistent.js';

/**
 * A persistent array. Changes made through its methods mark it changed;
 * `data` is the underlying array (Python's `.data`), which is not tracked
 * when changed directly.
 */
export class PersistentList<T = unknown> extends Persistent implements Iterable<T> {
  /** The items (Python's `data` attribute). */
  declare data: T[];

  /** A list holding a copy of `items`. */
  constructor(items?: Iterable<T>) {
    super();
    this.data = items === undefined ? [] : Array.from(items);
  }

  /** The number of items. */
  get length(): number {
    return this.data.length;
  }

  /** The item at `index` (negative counts from the end), or `undefined`. */
  at(index: number): T | undefined {
    return this.data.at(index);
  }

  /** Replaces the item at `index` (negative counts from the end); throws `RangeError` outside the list. */
  set(index: number, value: T): void {
    const i = index < 0 ? this.data.length + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.data.length) {
      throw new RangeError(`PersistentList index ${index} out of range (length ${this.data.length})`);
    }
    this.data[i] = value;
    this._p_markChanged();
  }

  /** Appends `items`; returns the new length. */
  push(...items: T[]): number {
    const n = this.data.push(...items);
    this._p_markChanged();
    return n;
  }

  /** Appends every item of `items` (Python's `extend`). */
  extend(items: Iterable<T>): void {
    for (const item of items) this.data.push(item);
    this._p_markChanged();
  }

  /** Removes and returns the last item. */
  pop(): T | undefined {
    if (this.data.length === 0) return undefined;
    const item = this.data.pop();
    this._p_markChanged();
    return item;
  }

  /** Inserts `value` before `index` (Python's `insert`). */
  insert(index: number, value: T): void {
    const i = index < 0 ? Math.max(0, this.data.length + index) : Math.min(index, this.data.length);
    this.data.splice(i, 0, value);
    this._p_markChanged();
  }

  /** Removes `deleteCount` items from `start` and inserts `items` there; returns the removed items. */
  splice(start: number, deleteCount: number, ...items: T[]): T[] {
    const removed = this.data.splice(start, deleteCount, ...items);
    if (removed.length > 0 || items.length > 0) this._p_markChanged();
    return removed;
  }

  /** Removes the first item equal (`===`) to `value`; returns whether one was found. */
  remove(value: T): boolean {
    const i = this.data.indexOf(value);
    if (i < 0) return false;
    this.data.splice(i, 1);
    this._p_markChanged();
    return true;
  }

  /** Sorts the items in place. */
  sort(compare?: (a: T, b: T) => number): this {
    this.data.sort(compare);
    this._p_markChanged();
    return this;
  }

  /** The index of the first item `===` to `value`, or -1. */
  indexOf(value: T): number {
    return this.data.indexOf(value);
  }

  /** Whether an item is `===` to `value` (NaN matches NaN). */
  includes(value: T): boolean {
    return this.data.includes(value);
  }

  /** A plain copy of the items. */
  toArray(): T[] {
    return this.data.slice();
  }

  /** Iterates the items. */
  [Symbol.iterator](): ArrayIterator<T> {
    return this.data.values();
  }

  /** Accepts `{'data': [...]}`; other attributes become properties. */
  override __setstate__(state: unknown): void {
    super.__setstate__(state);
    const target = metaOf(this).target as unknown as Record<string, unknown>;
    const data = target.data ?? [];
    if (!Array.isArray(data)) throw new TypeError(`PersistentList state: data must be a list, not ${typeof data}`);
    target.data = data;
  }
}
