// Records ↔ objects against the golden data written by Python ZODB:
// every revision in sample.fs decodes to sample.expected.json, unchanged
// objects write back byte-identical (registered or not), and objects built
// in TypeScript are stored as exactly the records Python wrote.
import { expect } from 'chai';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassRegistry } from '../../src/db/class-registry.js';
import type { Connection } from '../../src/db/connection.js';
import { DB } from '../../src/db/db.js';
import { GenericPersistent } from '../../src/db/generic-persistent.js';
import { Persistent } from '../../src/db/persistent.js';
import { PersistentList } from '../../src/db/persistent-list.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { PyDateTime } from '../../src/db/python-values.js';
import { CrossDatabaseReference, PersistentWeakRef } from '../../src/db/references.js';
import { EMPTY_TUPLE, PyFloat, PyGlobal, PyObject, tuple } from '../../src/pickle/values.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { idFromHex, p64, z64 } from '../../src/storage/oid.js';
import {
  expectedJson,
  hex,
  Keyed,
  Note,
  pickleFixtures,
  pythonClassOf,
  sampleExpected,
  sampleFsPath,
  sampleRegistry,
  SmallTree,
  toJson,
} from './db-test-support.js';

async function withTempCopy<T>(fn: (file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-db-'));
  try {
    const file = path.join(dir, 'Data.fs');
    await copyFile(sampleFsPath, file);
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const [label, makeRegistry] of [
  ['unregistered classes (generic objects)', (): ClassRegistry => new ClassRegistry()],
  ['registered classes', sampleRegistry],
] as const) {
  describe(`db records: sample.fs with ${label}`, () => {
    let storage: FileStorage;
    let db: DB;
    let registry: ClassRegistry;

    beforeEach(async () => {
      registry = makeRegistry();
      storage = await FileStorage.open(sampleFsPath, { readOnly: true });
      db = new DB(storage, { classRegistry: registry });
    });

    afterEach(async () => {
      await db.close();
    });

    it('decodes every revision of every record into the objects of sample.expected.json', async () => {
      expect(sampleExpected.records).to.have.length(10);
      for (const record of sampleExpected.records) {
        const conn = await db.open({ at: hex(record.tid as string) });
        try {
          const obj = await conn.get(idFromHex(record.oid));
          expect(pythonClassOf(obj, registry), `class of ${record.oid}`).to.equal(record.class);
          expect(obj._p_serial.toString('hex')).to.equal(record.tid);
          expect(toJson(obj.__getstate__(), registry), `state of ${record.oid}@${record.tid}`).to.deep.equal(expectedJson(record.state));
        } finally {
          await conn.close();
        }
      }
    });

    it('gives the root as a PersistentMapping whose references are ghosts of the right classes', async () => {
      const conn = await db.open();
      const root = await conn.root();
      expect(root).to.be.instanceOf(PersistentMapping);
      expect(root.get('plist')).to.be.instanceOf(PersistentList);
      expect((root.get('plist') as PersistentList)._p_state).to.equal('ghost');
      expect(root.get('weak_note')).to.be.instanceOf(PersistentWeakRef);
      expect(root.get('when')).to.be.instanceOf(PyDateTime);
      expect(root.get('point')).to.be.instanceOf(PyObject);
      const note = root.get('note') as Persistent;
      if (registry.lookup('sample_app.models.Note') === undefined) {
        expect(note).to.be.instanceOf(GenericPersistent);
        expect((note as GenericPersistent)._p_pythonClass).to.equal('sample_app.models.Note');
      } else {
        expect(note).to.be.instanceOf(Note);
      }
      expect(await (root.get('weak_note') as PersistentWeakRef).get()).to.equal(note);
      await conn.close();
    });
  });

  describe(`db records: writing sample.fs objects back unchanged, ${label}`, () => {
    it('stores each current object with the same bytes when it is marked changed without a change', async () => {
      await withTempCopy(async (file) => {
        const storage = await FileStorage.open(file);
        const db = new DB(storage, { classRegistry: makeRegistry() });
        try {
          const before = new Map<string, string>();
          const conn = await db.open();
          for (const oid of ['00', '01', '02', '03', '04', '05']) {
            before.set(oid, (await storage.load(idFromHex(oid))).data.toString('hex'));
            const obj = await conn.get(idFromHex(oid));
            obj._p_markChanged();
          }
          const tid = await conn.commit();
          expect(tid).to.not.equal(null);
          for (const [oid, data] of before) {
            const now = await storage.load(idFromHex(oid));
            expect(now.serial).to.deep.equal(tid);
            expect(now.data.toString('hex'), `record ${oid}`).to.equal(data);
          }
          await conn.close();
        } finally {
          await db.close();
        }
      });
    });
  });
}

describe('db records: the reference-form records of pickles.json', () => {
  const registry = new ClassRegistry();
  let db: DB;

  before(async () => {
    // The records of database "main", stored under their own oids.
    const storage = new MappingStorage();
    const txn = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    for (const r of pickleFixtures.zodb_records) await storage.store(idFromHex(r.oid), z64, hex(r.data_hex), txn);
    await storage.tpcVote(txn);
    await storage.tpcFinish(txn);
    db = new DB(storage, { classRegistry: registry });
  });

  after(async () => {
    await db.close();
  });

  for (const record of pickleFixtures.zodb_records) {
    it(`${record.name}: loads to the listed state and writes back the same bytes`, async () => {
      const conn = await db.open();
      try {
        const obj = await conn.get(idFromHex(record.oid));
        expect(pythonClassOf(obj, registry)).to.equal(record.class);
        expect(toJson(obj.__getstate__(), registry)).to.deep.equal(expectedJson(record.state));
        obj._p_markChanged();
        const tid = await conn.commit();
        expect((await db.storage.loadSerial(idFromHex(record.oid), tid as Buffer)).toString('hex')).to.equal(record.data_hex);
      } finally {
        await conn.close();
      }
    });
  }

  it('keeps cross-database references as read-only values naming database, oid and class', async () => {
    const conn = await db.open();
    const holder = await conn.get<PersistentMapping>(p64(4));
    const remote = holder.get('remote') as CrossDatabaseReference;
    expect(remote).to.be.instanceOf(CrossDatabaseReference);
    expect([remote.databaseName, remote.oid.toString('hex'), remote.className]).to.deep.equal(['other', '0000000000000001', 'persistent.mapping.PersistentMapping']);
    const weak = (await conn.get<PersistentMapping>(p64(6))).get('weak_remote') as PersistentWeakRef;
    expect(weak.databaseName).to.equal('other');
    expect(await weak.get()).to.equal(null);
    await conn.close();
  });

  it('reads a bare-oid reference by loading its target to learn the class', async () => {
    const conn = await db.open();
    const holder = await conn.get<PersistentMapping>(p64(2));
    const keyed = holder.get('keyed') as GenericPersistent;
    expect(keyed._p_pythonClass).to.equal('sample_app.models.Keyed');
    expect(keyed._p_state).to.equal('upToDate');
    expect((keyed as unknown as { key: string }).key).to.equal('key-1');
    await conn.close();
  });

  it('keeps a non-dict state (a BTree) whole in _p_rawState, and writes a changed one', async () => {
    const conn = await db.open();
    const tree = await conn.get<GenericPersistent>(p64(9));
    expect(toJson(tree._p_rawState, registry)).to.deep.equal({ tuple: [{ tuple: [{ tuple: [{ tuple: ['x', 1, 'y', 2] }] }] }] });
    tree._p_rawState = tuple(tuple(tuple(tuple('x', 1, 'y', 3))));
    expect(tree._p_state).to.equal('changed');
    const tid = await conn.commit();
    await conn.close();
    const reader = await db.open({ at: tid as Buffer });
    const again = await reader.get<GenericPersistent>(p64(9));
    expect(toJson(again._p_rawState, registry)).to.deep.equal({ tuple: [{ tuple: [{ tuple: [{ tuple: ['x', 1, 'y', 3] }] }] }] });
    await reader.close();
  });
});

describe('db records: objects built in TypeScript become the records Python wrote', () => {
  const records = sampleExpected.records;
  const txns = sampleExpected.transactions;

  async function dataOf(storage: MappingStorage, oid: string): Promise<string> {
    return (await storage.load(idFromHex(oid))).data.toString('hex');
  }

  it('writes the root, the sample transactions and their metadata byte for byte', async () => {
    const storage = new MappingStorage();
    const db = new DB(storage, { classRegistry: sampleRegistry(), closeStorage: false });
    await db.ready();
    expect(await dataOf(storage, '00')).to.equal(records[0]?.data_hex);

    await db.transaction(
      async (conn: Connection) => {
        const root = await conn.root();
        const entries: Array<[string, unknown]> = [
          ['int', 42],
          ['big_int', 18446744073709551617n],
          ['neg_int', -7],
          ['float', 3.25],
          ['str', 'héllo wörld ✓ 😀'],
          ['bytes', Buffer.from('000162696e617279ff', 'hex')],
          ['true', true],
          ['false', false],
          ['none', null],
          ['list', [1, 'two', new PyFloat(3)]],
          ['tuple', tuple(1, 'two', tuple(3))],
          ['dict', { a: 1, b: 'x' }],
          ['nested', { level1: { level2: [1, { level3: true }] } }],
          ['point', Object.assign(new PyObject('newobj', new PyGlobal('sample_app.models', 'Point'), EMPTY_TUPLE), { state: { x: 3, y: 4 } })],
          ['when', new PyDateTime(2024, 1, 2, 3, 4, 5, 678901)],
          ['plist', new PersistentList([1, 2, 3])],
          ['settings', new PersistentMapping<string, unknown>([['theme', 'dark'], ['size', 12]])],
        ];
        for (const [key, value] of entries) root.set(key, value);
      },
      { user: '/ alice', description: 'populate root', extension: { app: 'sample', n: 1 } },
    );
    expect(await dataOf(storage, '00')).to.equal(records[1]?.data_hex);
    expect(await dataOf(storage, '02')).to.equal(records[2]?.data_hex);
    expect(await dataOf(storage, '01')).to.equal(records[3]?.data_hex);
    const [history] = await storage.history(z64);
    expect(history?.userName.toString()).to.equal(txns[1]?.user);
    expect(history?.description.toString()).to.equal(txns[1]?.description);
    expect(history?.extension.toString('hex')).to.equal(txns[1]?.extension_hex);
    // Python stored the new objects last found first: settings (oid 2), then plist (oid 1).
    expect((await storage.lastInvalidations(1))[0]?.oids.map((o) => o.toString('hex').slice(-2))).to.deep.equal(['00', '02', '01']);

    await db.transaction(
      async (conn) => {
        const root = await conn.root();
        const note = new Note('Shopping', 'milk, eggs', ['home', 'todo']);
        root.set('note', note);
        root.set('tree', new SmallTree(['apple', 1, 'banana', 2, 'cherry', 3, 'date', 4, 'elderberry', 5]));
        root.set('keyed', new Keyed('k1'));
        root.set('weak_note', new PersistentWeakRef(note));
      },
      { user: '/admin bob', description: 'add note and tree' },
    );
    for (const index of [4, 5, 6, 7]) {
      const record = records[index];
      expect(await dataOf(storage, record?.oid.slice(-2) as string), `record ${index}`).to.equal(record?.data_hex);
    }
    expect((await storage.lastInvalidations(1))[0]?.oids.map((o) => o.toString('hex').slice(-2))).to.deep.equal(txns[2]?.oids.map((o) => o.slice(-2)));

    await db.transaction(
      async (conn) => {
        const root = await conn.root();
        await conn.loadGraph(root, { depth: 1 });
        const settings = root.get('settings') as PersistentMapping<string, unknown>;
        settings.set('theme', 'light');
        settings.set('size', 14);
        (root.get('note') as Note).body = 'milk, eggs, bread';
      },
      { user: '/ alice', description: 'edit settings and note' },
    );
    expect(await dataOf(storage, '02')).to.equal(records[8]?.data_hex);
    expect(await dataOf(storage, '03')).to.equal(records[9]?.data_hex);
    await db.close();
    await storage.close();
  });

  it('fails with UnregisteredClassError naming the class when storing an unregistered subclass', async () => {
    class Stray extends Persistent {}
    const db = new DB(new MappingStorage(), { classRegistry: new ClassRegistry() });
    const conn = await db.open();
    const root = await conn.root();
    root.set('stray', new Stray());
    try {
      await conn.commit();
      expect.fail('commit should fail');
    } catch (error) {
      expect((error as Error).name).to.equal('UnregisteredClassError');
      expect((error as Error).message).to.contain("registerClass('module.Stray', Stray)");
    }
    expect(root._p_state).to.equal('ghost');
    await conn.close();
    await db.close();
  });
});
