// Shared helpers of the object-layer tests: fixture paths, the sample
// application classes, and conversion of loaded objects to the JSON
// conventions of shared/fixtures/zodb (README.md there).
import path from 'node:path';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { GenericPersistent, genericClassInfo } from '../../src/db/generic-persistent.js';
import { metaOf, Persistent } from '../../src/db/persistent.js';
import { reduceJsValue } from '../../src/db/python-values.js';
import { CrossDatabaseReference, PersistentWeakRef } from '../../src/db/references.js';
import { PyFloat, PyGlobal, PyObject, Tuple, pickleReduce, tuple, type PickleReduction } from '../../src/pickle/values.js';
import { FloatLiteral, readFixture, sharedDir } from '../pickle/fixture-values.js';

export const zodbFixturesDir = path.join(sharedDir, 'fixtures', 'zodb');
export const sampleFsPath = path.join(zodbFixturesDir, 'sample.fs');

export interface RecordFixture {
  name?: string;
  oid: string;
  tid?: string;
  class: string;
  class_meta: unknown;
  state: unknown;
  data_hex: string;
}

export interface TransactionFixture {
  tid: string;
  user: string;
  description: string;
  extension_hex: string;
  oids: string[];
}

export const sampleExpected = readFixture(path.join(zodbFixturesDir, 'sample.expected.json')) as {
  transactions: TransactionFixture[];
  records: RecordFixture[];
};
export const pickleFixtures = readFixture(path.join(zodbFixturesDir, 'pickles.json')) as {
  vectors: Array<{ name: string; value: unknown; protocol3_hex: string; protocol2_hex: string }>;
  zodb_records: RecordFixture[];
};

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** `sample_app.models.Note`. */
export class Note extends Persistent {
  declare title: string;
  declare body: string;
  declare tags: string[];

  constructor(title?: string, body?: string, tags?: string[]) {
    super();
    if (title !== undefined) this.title = title;
    if (body !== undefined) this.body = body;
    if (tags !== undefined) this.tags = tags;
  }
}

/** `sample_app.models.Keyed`, whose `__getnewargs__` returns `(key,)`. */
export class Keyed extends Persistent {
  declare key: string;

  constructor(key?: string) {
    super();
    if (key !== undefined) this.key = key;
  }

  __getnewargs__(): unknown[] {
    return [this.key];
  }
}

/** A one-bucket `BTrees.OOBTree.OOBTree`, enough to write the sample's tree: its state is `((((k, v, …),),),)`. */
export class SmallTree extends Persistent {
  declare items: unknown[];

  constructor(items?: unknown[]) {
    super();
    if (items !== undefined) this.items = items;
  }

  override __getstate__(): unknown {
    return tuple(tuple(tuple(Tuple.fromItems(this.items))));
  }

  override __setstate__(state: unknown): void {
    this.items = [...((state as Tuple<Tuple<Tuple<Tuple>>>)[0]?.[0]?.[0] ?? [])];
  }
}

/** A registry with the sample application's classes. */
export function sampleRegistry(): ClassRegistry {
  const registry = new ClassRegistry();
  registry.register('sample_app.models.Note', Note);
  registry.register('sample_app.models.Keyed', Keyed);
  registry.register('BTrees.OOBTree.OOBTree', SmallTree);
  return registry;
}

/** The Python class name of a persistent object under `registry`. */
export function pythonClassOf(obj: Persistent, registry: ClassRegistry): string | undefined {
  if (obj instanceof GenericPersistent) return obj._p_pythonClass;
  return registry.pythonNameOf((Object.getPrototypeOf(metaOf(obj).target) as { constructor: new () => Persistent }).constructor);
}

function hasNewArgs(obj: Persistent): boolean {
  return obj instanceof GenericPersistent ? genericClassInfo(obj).newArgs !== null : typeof Reflect.get(metaOf(obj).target, '__getnewargs__') === 'function';
}

function numberToJson(v: number): unknown {
  if (Number.isNaN(v)) return { float: 'nan' };
  if (v === Infinity) return { float: 'inf' };
  if (v === -Infinity) return { float: '-inf' };
  if (Object.is(v, -0)) return { float: '-0.0' };
  return v;
}

function reductionToJson(r: PickleReduction, registry: ClassRegistry): unknown {
  const name = r.callable instanceof PyGlobal ? r.callable.qualifiedName : String(r.callable);
  const out: Record<string, unknown> = { [r.kind ?? 'reduce']: name, args: toJson(Tuple.fromItems(r.args), registry) };
  if (r.state !== undefined) out.state = toJson(r.state, registry);
  return out;
}

/** The object layer's values → fixture JSON (floats as plain numbers; the byte tests cover 3 vs 3.0). */
export function toJson(value: unknown, registry: ClassRegistry): unknown {
  const conv = (v: unknown): unknown => toJson(v, registry);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return numberToJson(value);
  if (typeof value === 'bigint') return { int: value.toString() };
  if (value instanceof PyFloat) return numberToJson(value.value);
  if (Buffer.isBuffer(value)) return { bytes_hex: value.toString('hex') };
  if (value instanceof Tuple) return { tuple: value.map(conv) };
  if (Array.isArray(value)) return value.map(conv);
  if (value instanceof Map) {
    const entries = [...(value as Map<unknown, unknown>).entries()];
    if (entries.every(([k]) => typeof k === 'string')) return Object.fromEntries(entries.map(([k, v]) => [k, conv(v)]));
    return { dict_items: entries.map(([k, v]) => [conv(k), conv(v)]) };
  }
  if (value instanceof PyGlobal) return { global: value.qualifiedName };
  if (value instanceof Persistent) {
    const ref = (metaOf(value).oid as Buffer).toString('hex');
    const cls = pythonClassOf(value, registry);
    return hasNewArgs(value) ? { ref, form: 'oid', class: cls, class_in_pickle: false } : { ref, class: cls, form: 'oid+class' };
  }
  if (value instanceof PersistentWeakRef) {
    const ref = (value.oid as Buffer).toString('hex');
    return value.databaseName === undefined ? { ref, form: 'weak' } : { ref, form: 'weak', database: value.databaseName };
  }
  if (value instanceof CrossDatabaseReference) {
    const ref = value.oid.toString('hex');
    return value.className === undefined
      ? { ref, database: value.databaseName, form: 'xdb' }
      : { ref, class: value.className, database: value.databaseName, form: 'xdb+class' };
  }
  if (value instanceof PyObject) {
    const out = reductionToJson(value, registry) as Record<string, unknown>;
    if (value.listItems !== undefined) out.listitems = conv(value.listItems);
    if (value.dictItems !== undefined) out.dictitems = value.dictItems.map(([k, v]) => [conv(k), conv(v)]);
    return out;
  }
  const reduce = (value as { [pickleReduce]?: () => PickleReduction })[pickleReduce];
  if (typeof reduce === 'function') return reductionToJson(reduce.call(value), registry);
  if (typeof value === 'object') {
    const reduction = reduceJsValue(value);
    if (reduction !== undefined) return reductionToJson(reduction, registry);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, conv(v)]));
  }
  throw new Error(`unexpected ${typeof value}`);
}

/** Fixture JSON with float literals as numbers, and without the looked-up class of weak and cross-database references. */
export function expectedJson(json: unknown): unknown {
  if (json instanceof FloatLiteral) return json.value;
  if (json === null || typeof json !== 'object') return json;
  if (Array.isArray(json)) return json.map(expectedJson);
  const o = json as Record<string, unknown>;
  if ('ref' in o && o.class_in_pickle === false && o.form !== 'oid') {
    const { class: _class, class_in_pickle: _inPickle, ...rest } = o;
    return rest;
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, expectedJson(v)]));
}
