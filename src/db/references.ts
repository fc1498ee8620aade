/**
 * The reference values that are not plain persistent objects: persistent
 * weak references (`persistent.wref.WeakRef`, pickled as `['w', (oid,)]`)
 * and references into other databases of a Python multi-database (pickled
 * as `['m', (db, oid, class)]` or `['n', (db, oid)]`), which this layer
 * reads and writes back unchanged but cannot follow.
 */
import { POSKeyError } from '../storage/errors.js';
import { idRepr, type Oid } from '../storage/oid.js';
import { metaOf, type Persistent, type PersistentJar } from './persistent.js';

/**
 * A weak reference to a persistent object (Python's
 * `persistent.wref.WeakRef`): it does not keep its target alive in a pack,
 * and resolves to `null` once the target is gone.
 */
export class PersistentWeakRef<T extends Persistent = Persistent> {
  #target: T | undefined;
  #oid: Oid | undefined;
  #jar: PersistentJar | undefined;
  #databaseName: string | undefined;

  /** A weak reference to `target`. */
  constructor(target: T) {
    this.#target = target;
  }

  /** @internal A reference read from a record. */
  static fromRecord<T extends Persistent>(oid: Oid, jar: PersistentJar, databaseName: string | undefined): PersistentWeakRef<T> {
    const ref = new PersistentWeakRef<T>(undefined as unknown as T);
    ref.#oid = oid;
    ref.#jar = jar;
    ref.#databaseName = databaseName;
    return ref;
  }

  /** The target's oid, or `null` while the target has none. */
  get oid(): Oid | null {
    if (this.#target !== undefined) return metaOf(this.#target).oid;
    return this.#oid ?? null;
  }

  /** The database the target lives in, when it is not this reference's own database. */
  get databaseName(): string | undefined {
    return this.#databaseName;
  }

  /** @internal The target when this reference was made from an object. */
  get target(): T | undefined {
    return this.#target;
  }

  /**
   * The target, loaded if needed, or `null` if it no longer exists (or
   * lives in another database, which this layer cannot open).
   */
  async get(): Promise<T | null> {
    if (this.#target !== undefined) return this.#target;
    if (this.#oid === undefined || this.#jar === undefined || this.databaseName !== undefined) return null;
    try {
      this.#target = (await this.#jar.connection.get(this.#oid)) as T;
      return this.#target;
    } catch (error) {
      if (error instanceof POSKeyError) return null;
      throw error;
    }
  }

  /** `PersistentWeakRef(0x07)`. */
  toString(): string {
    const oid = this.oid;
    return `PersistentWeakRef(${oid === null ? 'no oid' : idRepr(oid)})`;
  }
}

/**
 * A reference to an object of another database of a Python multi-database.
 * It is read-only: it is written back exactly as it was read, and cannot be
 * followed or created here.
 */
export class CrossDatabaseReference {
  /** The name of the database holding the object. */
  readonly databaseName: string;
  /** The object's oid in that database. */
  readonly oid: Oid;
  /** The object's class, `module.Name`, when the reference names it. */
  readonly className: string | undefined;
  /** @internal The persistent id as read, written back unchanged. */
  readonly pid: unknown;

  /** @internal */
  constructor(databaseName: string, oid: Oid, className: string | undefined, pid: unknown) {
    this.databaseName = databaseName;
    this.oid = oid;
    this.className = className;
    this.pid = pid;
  }

  /** `CrossDatabaseReference(other:0x01)`. */
  toString(): string {
    return `CrossDatabaseReference(${this.databaseName}:${idRepr(this.oid)})`;
  }
}
