/**
 * ZODB records ↔ objects (ZODB's `serialize.py`): reading the class
 * metadata, turning persistent references into objects of the connection
 * (and back), and writing records the way ZODB's `ObjectWriter` does, so
 * Python reads them and an unchanged object writes back the same bytes.
 */
import { PickleDecoder } from '../pickle/decode.js';
import { PickleEncoder } from '../pickle/encode.js';
import { PyGlobal, Tuple, tuple } from '../pickle/values.js';
import { z64, type Oid } from '../storage/oid.js';
import type { ClassRegistry } from './class-registry.js';
import { InvalidObjectReferenceError, InvalidRecordError, UnregisteredClassError } from './errors.js';
import { GenericPersistent, genericClassInfo } from './generic-persistent.js';
import { describeObject, metaOf, Persistent, type PersistentJar } from './persistent.js';
import { findValueClass, reduceJsValue } from './python-values.js';
import { CrossDatabaseReference, PersistentWeakRef } from './references.js';

/** @internal The class part of a record. */
export interface ClassMetadata {
  /** The Python class. */
  readonly pythonClass: PyGlobal;
  /** The `__getnewargs__` result the record carries, or `null`. */
  readonly newArgs: Tuple | null;
  /** The class pickle's value as read (written back as is for generic objects). */
  readonly raw: unknown;
}

/** @internal What reading needs from the connection. */
export interface ReaderContext {
  readonly jar: PersistentJar;
  /** The object with this oid in the connection's cache. */
  cached(oid: Oid): Persistent | undefined;
  /** The cached object with this oid, or a new ghost of `pythonClass`. */
  ghost(oid: Oid, pythonClass: PyGlobal): Persistent;
}

/** @internal A decoded record. */
export interface DecodedObject {
  readonly classMeta: ClassMetadata;
  readonly state: unknown;
  /** Bare-oid references to objects not in the cache: load them, then decode again. */
  readonly unresolved: readonly Oid[];
}

const UNRESOLVED = Object.freeze({ unresolvedReference: true });
const PENDING_CLASS = new PyGlobal('zkzeo', 'PendingOid');

function toOid(value: unknown, where: string): Oid {
  if (Buffer.isBuffer(value) && value.length === 8) return Buffer.from(value);
  // Python 2 records carry oids as str; ASCII ones decode to text.
  if (typeof value === 'string' && value.length === 8) return Buffer.from(value, 'latin1');
  throw new InvalidRecordError(`${where}: expected an 8-byte oid, got ${Buffer.isBuffer(value) ? `${value.length} bytes` : typeof value}`);
}

function toGlobal(value: unknown, where: string): PyGlobal {
  if (value instanceof PyGlobal) return value;
  if (value instanceof Tuple && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
    return new PyGlobal(value[0], value[1]);
  }
  throw new InvalidRecordError(`${where}: expected a class, got ${describeValue(value)}`);
}

function describeValue(value: unknown): string {
  if (value === null) return 'None';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

/** @internal Reads the class pickle's value: `klass`, `(klass, newargs)`, `((module, name), newargs)` or `(klass, None)`. */
export function readClassMetadata(raw: unknown): ClassMetadata {
  if (raw instanceof PyGlobal) return { pythonClass: raw, newArgs: null, raw };
  if (raw instanceof Tuple && raw.length === 2) {
    const args = raw[1];
    if (args !== null && !(args instanceof Tuple)) throw new InvalidRecordError(`class metadata: newargs must be a tuple or None, not ${describeValue(args)}`);
    return { pythonClass: toGlobal(raw[0], 'class metadata'), newArgs: args, raw };
  }
  throw new InvalidRecordError(`class metadata must be a class or a (class, args) pair, not ${describeValue(raw)}`);
}

/** @internal Decodes a record, resolving references through `ctx`. */
export function decodeObjectRecord(data: Buffer, ctx: ReaderContext): DecodedObject {
  const unresolved: Oid[] = [];
  const persistentLoad = (pid: unknown): unknown => {
    if (pid instanceof Tuple) {
      if (pid.length !== 2) throw new InvalidRecordError(`persistent reference tuple of ${pid.length} items`);
      return ctx.ghost(toOid(pid[0], 'persistent reference'), toGlobal(pid[1], 'persistent reference'));
    }
    if (Buffer.isBuffer(pid) || typeof pid === 'string') {
      const oid = toOid(pid, 'persistent reference');
      const cached = ctx.cached(oid);
      if (cached !== undefined) return cached;
      unresolved.push(oid);
      return UNRESOLVED;
    }
    if (Array.isArray(pid)) return loadExtendedReference(pid, ctx);
    throw new InvalidRecordError(`unknown persistent reference form: ${describeValue(pid)}`);
  };
  const decoder = new PickleDecoder(data, { persistentLoad, findClass: findValueClass });
  const classMeta = readClassMetadata(decoder.load());
  const state = decoder.load();
  if (!decoder.atEnd) throw new InvalidRecordError(`${data.length - decoder.offset} bytes after the state pickle`);
  return { classMeta, state, unresolved };
}

function loadExtendedReference(pid: unknown[], ctx: ReaderContext): unknown {
  if (pid.length === 1) return PersistentWeakRef.fromRecord(toOid(pid[0], 'weak reference'), ctx.jar, undefined);
  const [kind, args] = pid;
  if (pid.length === 2 && args instanceof Tuple) {
    switch (kind) {
      case 'w': {
        const database = args[1];
        if (database !== undefined && typeof database !== 'string') break;
        return PersistentWeakRef.fromRecord(toOid(args[0], 'weak reference'), ctx.jar, database);
      }
      case 'm':
        if (typeof args[0] !== 'string') break;
        return new CrossDatabaseReference(args[0], toOid(args[1], 'cross-database reference'), toGlobal(args[2], 'cross-database reference').qualifiedName, pid);
      case 'n':
        if (typeof args[0] !== 'string') break;
        return new CrossDatabaseReference(args[0], toOid(args[1], 'cross-database reference'), undefined, pid);
      default:
        break;
    }
  }
  throw new InvalidRecordError(`unknown extended persistent reference ${JSON.stringify(String(kind))} with ${pid.length} items`);
}

/** @internal What writing needs from the connection. */
export interface WriterContext {
  readonly jar: PersistentJar;
  readonly registry: ClassRegistry;
  /** The object with this oid in the connection's cache. */
  cached(oid: Oid): Persistent | undefined;
}

/** @internal The record of an object, or the unsaved objects it refers to, which need oids first. */
export type EncodedObject = { readonly data: Buffer; readonly newObjects?: undefined } | { readonly data?: undefined; readonly newObjects: Persistent[] };

function classGlobal(obj: Persistent, registry: ClassRegistry): PyGlobal {
  if (obj instanceof GenericPersistent) return genericClassInfo(obj).pythonClass;
  const cls = (Object.getPrototypeOf(metaOf(obj).target) as { constructor: new () => Persistent }).constructor;
  const global = registry.globalOf(cls);
  if (global === undefined) throw new UnregisteredClassError(cls.name);
  return global;
}

function newArgsMethod(obj: Persistent): ((this: Persistent) => unknown) | undefined {
  const method = Reflect.get(metaOf(obj).target, '__getnewargs__') as unknown;
  return typeof method === 'function' ? (method as (this: Persistent) => unknown) : undefined;
}

function hasNewArgs(obj: Persistent): boolean {
  return obj instanceof GenericPersistent ? genericClassInfo(obj).newArgs !== null : newArgsMethod(obj) !== undefined;
}

function classMetadataOf(obj: Persistent, registry: ClassRegistry): unknown {
  if (obj instanceof GenericPersistent) return genericClassInfo(obj).classMeta;
  const global = classGlobal(obj, registry);
  const method = newArgsMethod(obj);
  if (method === undefined) return global;
  const args = method.call(obj);
  if (!Array.isArray(args)) throw new InvalidObjectReferenceError(`${describeObject(metaOf(obj))}: __getnewargs__ must return an array`);
  return tuple(global, Tuple.fromItems(args));
}

/**
 * @internal Pickles `obj`'s class metadata and state. Persistent objects
 * in the state become references (`(oid, class)`, or a bare oid when the
 * class has `__getnewargs__`); unsaved ones are returned instead, to be
 * given oids before calling again.
 */
export function encodeObjectRecord(obj: Persistent, ctx: WriterContext): EncodedObject {
  const newObjects = new Set<Persistent>();
  const pending = tuple(z64, PENDING_CLASS);
  const referenceTo = (target: Persistent): unknown => {
    const meta = metaOf(target);
    if (meta.jar === null) {
      newObjects.add(target);
      return pending;
    }
    if (meta.jar !== ctx.jar) {
      throw new InvalidObjectReferenceError(
        `${describeObject(metaOf(obj))} refers to ${describeObject(meta)}, which belongs to another connection; ` +
          'objects cannot be shared between connections (load it through this connection instead)',
      );
    }
    const oid = meta.oid as Oid;
    return hasNewArgs(target) ? oid : tuple(oid, classGlobal(target, ctx.registry));
  };
  const persistentId = (value: object): unknown => {
    if (value instanceof Persistent) return referenceTo(value);
    if (value instanceof PersistentWeakRef) return weakReferenceId(value, ctx, newObjects, pending);
    if (value instanceof CrossDatabaseReference) return value.pid;
    return undefined;
  };
  const encoder = new PickleEncoder({ persistentId, reducer: reduceJsValue });
  encoder.dump(classMetadataOf(obj, ctx.registry)).dump(obj.__getstate__());
  const data = encoder.finish();
  return newObjects.size === 0 ? { data } : { newObjects: [...newObjects] };
}

function weakReferenceId(ref: PersistentWeakRef, ctx: WriterContext, newObjects: Set<Persistent>, pending: unknown): unknown {
  let oid = ref.oid;
  const target = ref.target ?? (oid === null ? undefined : ctx.cached(oid));
  if (target !== undefined) {
    const meta = metaOf(target);
    // A weak reference to an unsaved object stores the object, as ZODB does.
    if (meta.jar === null) {
      newObjects.add(target);
      return pending;
    }
    // The target's own oid Buffer, so a repeated oid pickles as a memo reference like Python's.
    oid = meta.oid;
  }
  if (oid === null) throw new InvalidObjectReferenceError(`${ref.toString()} has no target oid`);
  return ref.databaseName === undefined ? ['w', tuple(oid)] : ['w', tuple(oid, ref.databaseName)];
}

/** @internal Reads only the class pickle of a record (to create the object before its state is decoded). */
export function readRecordClass(data: Buffer): ClassMetadata {
  try {
    return readClassMetadata(new PickleDecoder(data, { findClass: findValueClass }).load());
  } catch (error) {
    if (error instanceof InvalidRecordError) throw error;
    throw new InvalidRecordError(`unreadable class metadata: ${(error as Error).message}`, { cause: error });
  }
}
