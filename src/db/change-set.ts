/**
 * What the current transaction of a connection has changed: objects
 * modified, objects added (given oids, not yet stored) and objects read
 * with `readCurrent` (checked unchanged at commit), and how each outcome
 * of the transaction (committed, unknown, abandoned) clears them.
 */
import { z64, type Oid, type Tid } from '../storage/oid.js';
import type { ObjectCache } from './object-cache.js';
import { metaOf, PersistentState, type Persistent, type PersistentJar } from './persistent.js';

/** @internal The changes of one connection's current transaction. */
export class ChangeSet {
  readonly #jar: PersistentJar;
  readonly #cache: ObjectCache;
  readonly #changed = new Set<Persistent>();
  readonly #added = new Set<Persistent>();
  readonly #readCurrent = new Map<Persistent, Tid>();

  constructor(jar: PersistentJar, cache: ObjectCache) {
    this.#jar = jar;
    this.#cache = cache;
  }

  /** Whether the transaction has changes to commit. */
  get hasChanges(): boolean {
    for (const obj of this.#changed) if (metaOf(obj).state === PersistentState.changed) return true;
    return false;
  }

  /** The objects whose serial must still be current at commit, with the serial read (live: `readCurrent` calls during a commit show). */
  get readCurrent(): ReadonlyMap<Persistent, Tid> {
    return this.#readCurrent;
  }

  /** The registered objects still changed: what a commit stores. */
  toStore(): Persistent[] {
    return [...this.#changed].filter((obj) => metaOf(obj).state === PersistentState.changed);
  }

  /** Whether this transaction added `obj` (it has an oid but no stored record yet). */
  isAdded(obj: Persistent): boolean {
    return this.#added.has(obj);
  }

  /** `obj` went from up to date to changed. */
  markChanged(obj: Persistent): void {
    this.#changed.add(obj);
  }

  /** The commit must fail if `obj` is no longer at `serial` in the storage. */
  markReadCurrent(obj: Persistent, serial: Tid): void {
    this.#readCurrent.set(obj, serial);
  }

  /** Makes the new `obj` an object of this connection with `oid`, stored by the next commit. */
  adopt(obj: Persistent, oid: Oid): void {
    const meta = metaOf(obj);
    meta.jar = this.#jar;
    meta.oid = oid;
    meta.serial = z64;
    meta.state = PersistentState.changed;
    this.#cache.add(obj);
    this.#added.add(obj);
    this.#changed.add(obj);
  }

  /** Forgets the changes: they are committed. */
  clear(): void {
    this.#changed.clear();
    this.#added.clear();
    this.#readCurrent.clear();
  }

  /**
   * Forgets the changes of a commit whose outcome is unknown: changed
   * objects become ghosts, to be reloaded from what the storage holds;
   * added ones keep their oids (they may now exist in the storage).
   */
  forgetUncertain(): void {
    for (const obj of this.#changed) this.#cache.ghostify(obj);
    this.clear();
  }

  /** Abandons the changes: added objects are unsaved again (no connection, no oid), changed ones become ghosts. */
  abort(): void {
    for (const obj of this.#added) {
      const meta = metaOf(obj);
      this.#cache.remove(obj);
      meta.jar = null;
      meta.oid = null;
      meta.serial = z64;
      meta.state = PersistentState.unsaved;
    }
    for (const obj of this.#changed) {
      if (!this.#added.has(obj) && metaOf(obj).state === PersistentState.changed) this.#cache.ghostify(obj);
    }
    this.#added.clear();
    this.#changed.clear();
    this.#readCurrent.clear();
  }
}
