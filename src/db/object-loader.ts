/**
 * How a connection loads its objects: a ghost is made from the class a
 * record names, its state is read from the connection's snapshot
 * (`loadBefore`), concurrent loads of one object share one read, a load
 * that straddles a transaction boundary starts over, and whole graphs are
 * loaded a level at a time.
 */
import { InvalidArgumentError } from '../errors.js';
import { ReadConflictError } from '../storage/errors.js';
import { oidKey, z64, type Oid, type OidKey, type Tid } from '../storage/oid.js';
import type { LoadBeforeResult } from '../storage/storage.js';
import type { LoadGraphOptions } from './connection.js';
import type { ConnectionHost } from './connection-host.js';
import type { ConnectionStatus } from './connection-status.js';
import { InvalidObjectReferenceError } from './errors.js';
import { GenericPersistent, updateGenericClass } from './generic-persistent.js';
import type { ObjectCache } from './object-cache.js';
import { describeObject, metaOf, newGhost, Persistent, PersistentState, type PersistentJar } from './persistent.js';
import { decodeObjectRecord, readRecordClass, type ClassMetadata, type ReaderContext } from './serializer.js';
import { stateReferences } from './state-references.js';

/** @internal Loads the objects of one connection from its current snapshot. */
export class ObjectLoader {
  readonly #host: ConnectionHost;
  readonly #jar: PersistentJar;
  readonly #cache: ObjectCache;
  readonly #status: ConnectionStatus;
  readonly #reader: ReaderContext;
  #snapshot: Tid = z64;
  // Counts snapshot moves: a record read before the latest one is stale.
  #generation = 0;
  readonly #loading = new Map<OidKey, Promise<void>>();
  readonly #fetching = new Map<OidKey, Promise<Persistent>>();

  constructor(host: ConnectionHost, jar: PersistentJar, cache: ObjectCache, status: ConnectionStatus) {
    this.#host = host;
    this.#jar = jar;
    this.#cache = cache;
    this.#status = status;
    this.#reader = {
      jar,
      cached: (oid) => cache.get(oid),
      ghost: (oid, pythonClass) => cache.get(oid) ?? this.#createGhost(oid, { pythonClass, newArgs: null, raw: pythonClass }),
    };
  }

  /** The snapshot loads read: every commit with a tid before this one. */
  get snapshot(): Tid {
    return this.#snapshot;
  }

  /** Reads from `snapshot` from now on; loads still under way start over there. */
  moveTo(snapshot: Tid): void {
    this.#generation++;
    this.#snapshot = snapshot;
  }

  /** The object with `oid`, loaded, see `Connection.get`. */
  async get<T extends Persistent = Persistent>(oid: Oid): Promise<T> {
    this.#status.checkOpen();
    if (!Buffer.isBuffer(oid) || oid.length !== 8) throw new InvalidArgumentError('get: oid must be an 8-byte Buffer');
    const cached = this.#cache.get(oid);
    if (cached !== undefined) {
      await this.activate(cached);
      return cached as T;
    }
    const key = oidKey(oid);
    let fetching = this.#fetching.get(key);
    if (fetching === undefined) {
      fetching = this.#fetch(Buffer.from(oid)).finally(() => this.#fetching.delete(key));
      this.#fetching.set(key, fetching);
    }
    return (await fetching) as T;
  }

  /** Loads the state of each ghost among `objects`, in parallel, see `Connection.activate`. */
  async activate(objects: Persistent | Iterable<Persistent>): Promise<void> {
    this.#status.checkOpen();
    if (objects instanceof Persistent) {
      await this.#activate(objects);
      return;
    }
    await Promise.all(Array.from(objects, (obj) => this.#activate(obj)));
  }

  /** Loads `roots` and what they refer to, see `Connection.loadGraph`; returns how many ghosts were loaded. */
  async loadGraph(roots: Persistent | Iterable<Persistent>, options: LoadGraphOptions): Promise<number> {
    this.#status.checkOpen();
    const depth = options.depth ?? 1;
    if (!(depth >= 0)) throw new InvalidArgumentError(`loadGraph: depth must be 0 or more, got ${depth}`);
    let level = roots instanceof Persistent ? [roots] : [...roots];
    const seen = new Set<Persistent>(level);
    let loaded = 0;
    for (let hop = 0; level.length > 0; hop++) {
      const ghosts = level.filter((obj) => metaOf(obj).state === PersistentState.ghost);
      await Promise.all(ghosts.map((obj) => this.#activate(obj)));
      loaded += ghosts.length;
      if (hop >= depth) break;
      const next: Persistent[] = [];
      for (const obj of level) {
        for (const ref of stateReferences(obj.__getstate__())) {
          if (!seen.has(ref) && metaOf(ref).jar === this.#jar) {
            seen.add(ref);
            next.push(ref);
          }
        }
      }
      level = next;
    }
    return loaded;
  }

  async #fetch(oid: Oid): Promise<Persistent> {
    const generation = this.#generation;
    const record = await this.#loadRecord(oid);
    const obj = this.#cache.get(oid) ?? this.#createGhost(oid, readRecordClass(record.data));
    await this.#activate(obj, generation === this.#generation ? record : undefined);
    return obj;
  }

  async #loadRecord(oid: Oid): Promise<LoadBeforeResult> {
    const snapshot = this.#snapshot;
    const result = await this.#host.storage.loadBefore(oid, snapshot);
    if (result === null) {
      throw new ReadConflictError({ oid, serials: [z64, snapshot], read: true });
    }
    return result;
  }

  #activate(obj: Persistent, record?: LoadBeforeResult): Promise<void> {
    const meta = metaOf(obj);
    if (meta.state !== PersistentState.ghost) return Promise.resolve();
    if (meta.jar !== this.#jar) {
      return Promise.reject(new InvalidObjectReferenceError(`${describeObject(meta)} does not belong to this connection`));
    }
    if (this.#status.closed) return Promise.reject(this.#status.closedError());
    const key = oidKey(meta.oid as Oid);
    let loading = this.#loading.get(key);
    if (loading === undefined) {
      loading = this.#load(obj, record).finally(() => this.#loading.delete(key));
      this.#loading.set(key, loading);
    }
    return loading;
  }

  async #load(obj: Persistent, record: LoadBeforeResult | undefined): Promise<void> {
    const meta = metaOf(obj);
    const oid = meta.oid as Oid;
    // A record loaded before a transaction boundary belongs to the old snapshot: load again.
    while (meta.state === PersistentState.ghost) {
      const generation = this.#generation;
      const current = record ?? (await this.#loadRecord(oid));
      record = undefined;
      let decoded = decodeObjectRecord(current.data, this.#reader);
      if (decoded.unresolved.length > 0) {
        // Bare-oid references carry no class: load their targets to learn it.
        await Promise.all(decoded.unresolved.map((ref) => this.get(ref)));
        decoded = decodeObjectRecord(current.data, this.#reader);
      }
      if (generation !== this.#generation || meta.state !== PersistentState.ghost) continue;
      if (obj instanceof GenericPersistent) {
        updateGenericClass(obj, decoded.classMeta.pythonClass, decoded.classMeta.raw, decoded.classMeta.newArgs);
      }
      meta.state = PersistentState.upToDate;
      meta.loading = true;
      try {
        obj.__setstate__(decoded.state);
      } catch (error) {
        this.#cache.ghostify(obj);
        throw error;
      } finally {
        meta.loading = false;
      }
      meta.serial = current.serial;
      this.#cache.activated(obj);
    }
  }

  #createGhost(oid: Oid, classMeta: ClassMetadata): Persistent {
    const cls = this.#host.registry.lookup(classMeta.pythonClass.qualifiedName);
    const obj =
      cls === undefined
        ? newGhost(GenericPersistent, [classMeta.pythonClass, classMeta.raw, classMeta.newArgs], this.#jar, oid)
        : newGhost(cls, classMeta.newArgs ?? [], this.#jar, oid);
    this.#cache.add(obj);
    return obj;
  }
}
