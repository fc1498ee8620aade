// Records written by Python (zodbpickle protocol 3, ZODB ObjectWriter rules:
// test/interop/python/scenario.py) loaded by the object layer from a
// MappingStorage: PersistentMapping, PersistentList, registered classes,
// and BTrees (unregistered: generic objects that keep their state). Every
// object written back unchanged gives Python's bytes; objects we change are
// read by Python again, BTrees included.
import { expect } from 'chai';
import type { Connection } from '../../src/db/connection.js';
import { DB } from '../../src/db/db.js';
import { GenericPersistent } from '../../src/db/generic-persistent.js';
import type { Persistent } from '../../src/db/persistent.js';
import { PersistentList } from '../../src/db/persistent-list.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { PyDate, PyDateTime, PyDecimal, PyFrozenSet } from '../../src/db/python-values.js';
import { PersistentWeakRef } from '../../src/db/references.js';
import { PyFloat, Tuple, tuple } from '../../src/pickle/values.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { z64 } from '../../src/storage/oid.js';
import { recordReferences } from '../../src/storage/record-references.js';
import { interopRegistry, Keyed, Note, pythonClassName } from './interop-app.js';
import { PythonWorker } from './python-worker.js';
import { fillStorage, storageRecords, type HexRecords } from './storage-records.js';
import { canonical, toTagged, type Tagged } from './tagged-json.js';

interface PythonObject {
  class: string;
  state: Tagged;
  /** What the object's Python API shows: mapping items, list items, BTree `items`/`keys`, a Length's value. */
  api: Tagged | { items: Tagged[] } | { keys: Tagged[] };
}

interface PythonWritten {
  records: HexRecords;
  objects: Record<string, PythonObject>;
  /** oid → the persistent references Python's unpickler met in its record: `[form, oid]`. */
  references: Record<string, Array<[string, string]>>;
}

const int = (n: number): Tagged => ({ int: String(n) });

/** Items of a small BTree's state `((bucket_state,),)`, whose one bucket's state is `((k0, v0, …),)`. */
function embeddedBucketItems(state: unknown): unknown[] {
  const tree = state as Tuple<Tuple<Tuple<Tuple<unknown>>>>;
  return [...(tree[0]?.[0]?.[0] ?? [])];
}

/** A small BTree's state holding `items`. */
function embeddedBucketState(items: unknown[]): Tuple {
  return tuple(tuple(tuple(Tuple.fromItems(items))));
}

describe('interop: Python records → object layer (and back, byte-identical)', () => {
  const registry = interopRegistry();
  let python: PythonWorker | undefined;
  let written: PythonWritten;
  let storage: MappingStorage;
  let db: DB;
  let conn: Connection;
  let root: PersistentMapping<string, unknown>;

  before(async () => {
    python = await PythonWorker.start();
    written = await python.call<PythonWritten>('write_scenario');
  });

  after(() => python?.close());

  beforeEach(async () => {
    storage = new MappingStorage();
    await fillStorage(storage, written.records);
    db = new DB(storage, { classRegistry: registry });
    conn = await db.open();
    root = await conn.root<PersistentMapping<string, unknown>>();
  });

  afterEach(async () => {
    await conn.close();
    await db.close();
  });

  const load = async <T extends Persistent>(key: string): Promise<T> => {
    const obj = root.get(key) as T;
    await conn.activate(obj);
    return obj;
  };

  it('loads every object with the class registered for it, or as a generic object keeping its Python class', async () => {
    const expected: Record<string, string> = {};
    const got: Record<string, string> = {};
    for (const [oid, described] of Object.entries(written.objects)) {
      expected[oid] = described.class;
      got[oid] = pythonClassName(registry, await conn.get(Buffer.from(oid, 'hex')));
    }
    expect(got).to.deep.equal(expected);
    expect(root).to.be.instanceOf(PersistentMapping);
    expect(await load('items')).to.be.instanceOf(PersistentList);
    expect(await load('note')).to.be.instanceOf(Note);
    expect(await load('keyed')).to.be.instanceOf(Keyed);
    expect(await load('small_tree')).to.be.instanceOf(GenericPersistent);
    expect(Object.values(expected)).to.include.members(['BTrees.OOBTree.OOBucket', 'BTrees.Length.Length', 'BTrees.IOBTree.IOBTree']);
  });

  it("gives every object the state Python described (references as the same oid and class)", async () => {
    for (const [oid, described] of Object.entries(written.objects)) {
      const obj = await conn.get(Buffer.from(oid, 'hex'));
      const ours = toTagged(obj.__getstate__(), (p) => pythonClassName(registry, p));
      expect(canonical(ours), `state of ${oid} (${described.class})`).to.deep.equal(canonical(described.state));
    }
  });

  it('reads the attributes of a Python persistent class as TypeScript values', async () => {
    const note = await load<Note>('note');
    expect(note.title).to.equal('Hello from Python');
    expect(note.tags).to.deep.equal(['a', 'b', 'a']);
    const created = note.created as PyDateTime;
    expect(created).to.be.instanceOf(PyDateTime);
    expect([created.year, created.month, created.day, created.hour, created.minute, created.second, created.microsecond]).to.deep.equal([2024, 1, 2, 3, 4, 5, 678901]);
    expect(created.aware).to.equal(false);
    expect((note.created_utc as PyDateTime).toDate().toISOString()).to.equal('2024-01-02T03:04:05.000Z');
    expect(String(note.day as PyDate)).to.equal('2024-02-29');
    expect((note.price as PyDecimal).value).to.equal('9.99');
    expect([...(note.numbers as Set<number>)].sort()).to.deep.equal([1, 2, 3]);
    expect(note.frozen).to.be.instanceOf(PyFrozenSet);
    expect(note.big).to.equal(2n ** 70n);
    expect(note.negative_big).to.equal(-(2n ** 64n) - 1n);
    expect(note.ratio).to.equal(0.25);
    expect(note.whole).to.be.instanceOf(PyFloat);
    expect(Number(note.whole)).to.equal(3);
    expect(note.blob).to.deep.equal(Buffer.from('0001feff', 'hex'));
    expect(note.pair).to.be.instanceOf(Tuple);
    expect([...(note.pair as Tuple)]).to.deep.equal([1, 'two']);
    expect(note.nested).to.deep.equal({ k: [1, { deep: null }], flag: true, off: false });
    expect([...(note.by_int as Map<number, string>)]).to.deep.equal([[1, 'one'], [2, 'two']]);
    expect(note.text).to.equal('caf\u00e9 \u2603 \u{1f600}');
  });

  it("finds the references a pack follows as Python's unpickler meets them, weak ones left out", () => {
    let weak = 0;
    for (const [oid, data] of Object.entries(written.records)) {
      const python = written.references[oid] ?? [];
      weak += python.filter(([form]) => form === 'weak').length;
      const strong = python.filter(([form]) => form !== 'weak').map(([, ref]) => ref);
      expect(recordReferences(Buffer.from(data, 'hex')).map((ref) => ref.toString('hex')), `references of ${oid}`).to.deep.equal(strong);
    }
    // The scenario has weak references, BTrees and bare-oid references: the comparison covers them.
    expect(weak).to.be.greaterThan(0);
  });

  it('resolves references to the same objects: (oid, class), bare oids and weak references', async () => {
    const note = await load<Note>('note');
    const items = await load<PersistentList>('items');
    expect(items.toArray().slice(0, 5)).to.deep.equal([1, 'two', Buffer.from('three'), 4.5, null]);
    expect(items.at(5)).to.equal(note);
    expect(note.keyed).to.equal(root.get('keyed'));
    expect((await load<Keyed>('keyed')).key).to.equal('k1');
    expect(note.tree).to.equal(root.get('small_tree'));
    const weak = note.items_ref as PersistentWeakRef;
    expect(weak).to.be.instanceOf(PersistentWeakRef);
    expect(await weak.get()).to.equal(items);
  });

  it('reads a PersistentMapping with int, tuple and index-like str keys as a Map-like mapping', async () => {
    const mapping = await load<PersistentMapping<unknown, unknown>>('mapping');
    expect(mapping.get('a')).to.equal(1);
    expect(mapping.get(2)).to.equal('two');
    expect(mapping.get('7')).to.equal('an index-like key');
    const tupleKey = [...mapping.keys()].find((k) => k instanceof Tuple) as Tuple;
    expect([...tupleKey]).to.deep.equal([1, 2]);
    expect(mapping.get(tupleKey)).to.deep.equal(Buffer.from('x'));
    expect([...mapping.keys()].map((k) => (k instanceof Tuple ? 'tuple' : typeof k))).to.deep.equal(['string', 'number', 'tuple', 'string']);
  });

  it('keeps BTrees as generic objects whose state holds the items and the buckets', async () => {
    const small = await load<GenericPersistent>('small_tree');
    expect(small._p_pythonClass).to.equal('BTrees.OOBTree.OOBTree');
    expect(embeddedBucketItems(small._p_rawState)).to.deep.equal(['a', 1, 'b', 'x', 'c', [1, 2]]);
    expect(embeddedBucketItems((await load<GenericPersistent>('int_tree'))._p_rawState)).to.deep.equal([1, 'one', 2, 'two', 300, 'three hundred']);
    expect((await load<GenericPersistent>('length'))._p_rawState).to.equal(5);

    // A tree with several buckets: walk the bucket chain from `firstbucket`, as BTrees does.
    const big = await load<GenericPersistent>('big_tree');
    const [, firstBucket] = big._p_rawState as Tuple;
    const items: unknown[] = [];
    for (let bucket = firstBucket as GenericPersistent | undefined; bucket !== undefined; ) {
      await conn.activate(bucket);
      expect(bucket._p_pythonClass).to.equal('BTrees.OOBTree.OOBucket');
      const [bucketItems, next] = bucket._p_rawState as Tuple;
      items.push(...(bucketItems as Tuple));
      bucket = next as GenericPersistent | undefined;
    }
    const expected = Array.from({ length: 70 }, (_, i) => [`k${String(i).padStart(3, '0')}`, i]).flat();
    expect(items).to.deep.equal(expected);
    const described = written.objects[(big._p_oid as Buffer).toString('hex')] as PythonObject;
    expect((described.api as { items: Tagged[] }).items).to.have.length(70);
  });

  it('writes every object back byte-identical when stored unchanged', async () => {
    const objects: Persistent[] = [];
    for (const oid of Object.keys(written.records)) objects.push(await conn.get(Buffer.from(oid, 'hex')));
    for (const obj of objects) obj._p_markChanged();
    await conn.commit();
    for (const oid of Object.keys(written.records)) {
      expect(await storage.history(Buffer.from(oid, 'hex'), 5), `revisions of ${oid}`).to.have.length(2);
    }
    // Except the record of equal-but-distinct Python strings (next test).
    const duplicates = ((root.get('duplicates') as Persistent)._p_oid as Buffer).toString('hex');
    const { [duplicates]: _ours, ...rest } = await storageRecords(storage);
    const { [duplicates]: _theirs, ...expected } = written.records;
    expect(Object.keys(rest)).to.have.length(Object.keys(written.records).length - 1);
    expect(rest).to.deep.equal(expected);
  });

  it('rewrites a record whose equal strings and Decimals Python pickled separately, and Python reads it back equal', async () => {
    const duplicates = await load<Note>('duplicates');
    expect(duplicates.copies).to.deep.equal(['abcd', 'abcd']);
    expect((duplicates.prices as PyDecimal[]).map(String)).to.deep.equal(['1.50', '1.50']);
    duplicates._p_markChanged();
    await conn.commit();
    const oid = (duplicates._p_oid as Buffer).toString('hex');
    const read = await (python as PythonWorker).call<{ objects: Record<string, PythonObject> }>('read_records', {
      records: await storageRecords(storage),
    });
    expect(canonical((read.objects[oid] as PythonObject).state)).to.deep.equal(canonical((written.objects[oid] as PythonObject).state));
  });

  it('hands changed objects back to Python, BTrees included', async () => {
    const note = await load<Note>('note');
    note.title = 'Changed in TypeScript';
    const items = await load<PersistentList>('items');
    items.push('pushed');
    const small = await load<GenericPersistent>('small_tree');
    small._p_rawState = embeddedBucketState([...embeddedBucketItems(small._p_rawState), 'd', 4]);
    root.set('added', new PersistentMapping([['x', 1]]));
    await conn.commit();

    const read = await (python as PythonWorker).call<{ objects: Record<string, PythonObject> }>('read_records', {
      records: await storageRecords(storage),
    });
    const pythonView = (obj: Persistent): PythonObject => read.objects[(obj._p_oid as Buffer).toString('hex')] as PythonObject;
    const noteState = pythonView(note).state as { dict: Array<[Tagged, Tagged]> };
    expect(noteState.dict.find(([k]) => k === 'title')?.[1]).to.equal('Changed in TypeScript');
    expect((pythonView(items).api as Tagged[]).at(-1)).to.equal('pushed');
    expect(pythonView(small).api).to.deep.equal({
      items: [['a', int(1)], ['b', 'x'], ['c', [int(1), int(2)]], ['d', int(4)]],
    });
    const big = pythonView(root.get('big_tree') as Persistent).api as { items: Tagged[] };
    expect(big.items).to.have.length(70);
    expect(pythonView(root.get('added') as Persistent).api).to.deep.equal({ dict: [['x', int(1)]] });
    expect((read.objects[z64.toString('hex')] as PythonObject).class).to.equal('persistent.mapping.PersistentMapping');
  });
});
