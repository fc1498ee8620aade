/**
 * A connection's object cache (ZODB's pickle cache): one object per oid
 * (weakly held, so unreferenced ghosts can be collected), loaded objects
 * held strongly up to a target count, and least-recently-used unchanged
 * objects turned back into ghosts when the count is exceeded.
 */
import { oidKey, type Oid, type OidKey } from '../storage/oid.js';
import { ghostify, metaOf, PersistentState, type Persistent } from './persistent.js';

/** Counts describing a cache, see `Connection.cacheStats`. */
export interface CacheStats {
  /** Objects known to the cache (loaded objects and ghosts still referenced). */
  readonly size: number;
  /** Loaded (non-ghost) objects. */
  readonly active: number;
  /** The target number of loaded objects. */
  readonly target: number;
}

/** @internal */
export class ObjectCache {
  readonly #objects = new Map<OidKey, WeakRef<Persistent>>();
  // Loaded objects, kept alive here until they become ghosts again.
  readonly #active = new Set<Persistent>();
  readonly #finalizer = new FinalizationRegistry<OidKey>((key) => {
    if (this.#objects.get(key)?.deref() === undefined) this.#objects.delete(key);
  });
  #target: number;

  constructor(target: number) {
    this.#target = target;
  }

  /** The target number of loaded objects. */
  get target(): number {
    return this.#target;
  }

  set target(value: number) {
    this.#target = value;
  }

  /** The object with `oid`, if it is still alive. */
  get(oid: Oid): Persistent | undefined {
    return this.#objects.get(oidKey(oid))?.deref();
  }

  /** Adds `obj` (which has an oid) under its oid. */
  add(obj: Persistent): void {
    const meta = metaOf(obj);
    const key = oidKey(meta.oid as Oid);
    this.#objects.set(key, new WeakRef(obj));
    this.#finalizer.register(obj, key, obj);
    if (meta.state !== PersistentState.ghost) this.#active.add(obj);
  }

  /** Forgets `obj` (an added object whose transaction was aborted). */
  remove(obj: Persistent): void {
    const oid = metaOf(obj).oid;
    if (oid !== null && this.get(oid) === obj) this.#objects.delete(oidKey(oid));
    this.#finalizer.unregister(obj);
    this.#active.delete(obj);
  }

  /** `obj` was loaded (or changed): hold it. */
  activated(obj: Persistent): void {
    this.#active.add(obj);
  }

  /** Makes `obj` a ghost and stops holding it. */
  ghostify(obj: Persistent): void {
    ghostify(metaOf(obj));
    this.#active.delete(obj);
  }

  /** Every object still alive. */
  *objects(): IterableIterator<Persistent> {
    for (const ref of this.#objects.values()) {
      const obj = ref.deref();
      if (obj !== undefined) yield obj;
    }
  }

  /**
   * Turns least-recently-used unchanged objects into ghosts until at most
   * `target` objects are loaded (changed objects are never dropped).
   * Returns how many became ghosts.
   */
  shrink(): number {
    // Objects made ghosts from outside (deactivate) leave the active set here.
    for (const obj of this.#active) if (metaOf(obj).state === PersistentState.ghost) this.#active.delete(obj);
    const excess = this.#active.size - this.#target;
    if (excess <= 0) return 0;
    const candidates = [...this.#active].filter((obj) => metaOf(obj).state === PersistentState.upToDate);
    candidates.sort((a, b) => metaOf(a).accessed - metaOf(b).accessed);
    const victims = candidates.slice(0, excess);
    for (const obj of victims) this.ghostify(obj);
    return victims.length;
  }

  /** Counts for monitoring. */
  stats(): CacheStats {
    let active = 0;
    for (const obj of this.#active) if (metaOf(obj).state !== PersistentState.ghost) active++;
    return { size: this.#objects.size, active, target: this.#target };
  }
}
