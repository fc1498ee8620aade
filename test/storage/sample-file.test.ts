// Reading sample.fs, written by Python ZODB 6.3, against sample.expected.json.
import { expect } from 'chai';
import { copyFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ReadOnlyError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { maxTid } from '../../src/storage/oid.js';
import { TimeStamp } from '../../src/storage/timestamp.js';
import {
  hex,
  loadSampleExpected,
  meta,
  recordingLogger,
  rejects,
  sampleFsPath,
  sha256,
  useTempDir,
  type ExpectedRecord,
  type SampleExpected,
} from './storage-test-support.js';

describe('FileStorage reading sample.fs (written by Python ZODB)', () => {
  const tempDir = useTempDir();
  let expected: SampleExpected;
  let storage: FileStorage;
  let revisionsByOid: Map<string, ExpectedRecord[]>;

  before(async () => {
    expected = await loadSampleExpected();
    revisionsByOid = new Map();
    for (const record of expected.records) {
      const list = revisionsByOid.get(record.oid) ?? [];
      list.push(record);
      revisionsByOid.set(record.oid, list);
    }
  });

  beforeEach(async () => {
    storage = await FileStorage.open(sampleFsPath, { readOnly: true });
  });

  afterEach(async () => {
    await storage.close();
  });

  it('finds the transactions, objects and size of the file', () => {
    expect(storage.getSize()).to.equal(expected.file_size);
    expect(storage.getLength()).to.equal(revisionsByOid.size);
    expect(storage.lastTransaction().toString('hex')).to.equal(expected.transactions.at(-1)?.tid);
    expect(storage.isReadOnly()).to.equal(true);
    expect(storage.getName()).to.equal(sampleFsPath);
  });

  it('loads every revision of every record to the expected bytes', async () => {
    expect(expected.records).to.have.length(10);
    for (const record of expected.records) {
      const data = await storage.loadSerial(hex(record.oid), hex(record.tid));
      expect(data.toString('hex'), `oid ${record.oid} tid ${record.tid}`).to.equal(record.data_hex);
      expect(data.length).to.equal(record.data_length);
    }
  });

  it('loads the current revision of each object, and loadBefore walks back through them', async () => {
    for (const [oid, revisions] of revisionsByOid) {
      const current = revisions.at(-1) as ExpectedRecord;
      const loaded = await storage.load(hex(oid));
      expect(loaded.data.toString('hex')).to.equal(current.data_hex);
      expect(loaded.serial.toString('hex')).to.equal(current.tid);
      expect((await storage.getTid(hex(oid))).toString('hex')).to.equal(current.tid);
      const latest = await storage.loadBefore(hex(oid), maxTid);
      expect(latest?.serial.toString('hex')).to.equal(current.tid);
      expect(latest?.nextSerial).to.equal(null);
      for (let i = 0; i < revisions.length; i++) {
        const revision = revisions[i] as ExpectedRecord;
        const next = revisions[i + 1];
        if (next === undefined) continue;
        const before = await storage.loadBefore(hex(oid), hex(next.tid));
        expect(before?.data.toString('hex')).to.equal(revision.data_hex);
        expect(before?.serial.toString('hex')).to.equal(revision.tid);
        expect(before?.nextSerial?.toString('hex')).to.equal(next.tid);
      }
      expect(await storage.loadBefore(hex(oid), hex(revisions[0]?.tid ?? ''))).to.equal(null);
    }
  });

  it('describes each object’s history with the transactions’ metadata', async () => {
    const txnByTid = new Map(expected.transactions.map((t) => [t.tid, t]));
    for (const [oid, revisions] of revisionsByOid) {
      const history = await storage.history(hex(oid), 100);
      expect(history.map((h) => h.tid.toString('hex'))).to.deep.equal(revisions.map((r) => r.tid).reverse());
      for (const entry of history) {
        const txn = txnByTid.get(entry.tid.toString('hex'));
        const revision = revisions.find((r) => r.tid === entry.tid.toString('hex'));
        expect(entry.userName.toString()).to.equal(txn?.user);
        expect(entry.description.toString()).to.equal(txn?.description);
        expect(entry.extension.toString('hex')).to.equal(txn?.extension_hex);
        expect(entry.size).to.equal(revision?.data_length);
        expect(entry.time).to.equal(TimeStamp.fromBytes(entry.tid).timeTime());
      }
    }
  });

  it('lists the last transactions’ oids for a server’s invalidation queue', async () => {
    const all = await storage.lastInvalidations(10);
    expect(all.map((i) => i.tid.toString('hex'))).to.deep.equal(expected.transactions.map((t) => t.tid));
    expect(all.map((i) => i.oids.map((o) => o.toString('hex')))).to.deep.equal(expected.transactions.map((t) => t.oids));
    const lastTwo = await storage.lastInvalidations(2);
    expect(lastTwo.map((i) => i.tid.toString('hex'))).to.deep.equal(expected.transactions.slice(-2).map((t) => t.tid));
    expect(await storage.lastInvalidations(0)).to.deep.equal([]);
  });

  it('refuses writes when opened read-only, and never changes the file', async () => {
    await rejects(storage.tpcBegin(meta()), ReadOnlyError);
    await rejects(storage.newOids(1), ReadOnlyError);
    expect(await sha256(sampleFsPath)).to.equal(expected.file_sha256);
  });

  it('warns when the last transaction lies in the future of the clock', async () => {
    const lastTime = TimeStamp.fromBytes(hex(expected.transactions.at(-1)?.tid ?? '')).timeTime() * 1000;
    for (const [aheadMs, level] of [[60_000, 'warn'], [3_600_000, 'error']] as const) {
      const logger = recordingLogger();
      const early = await FileStorage.open(sampleFsPath, { readOnly: true, logger, clock: () => lastTime - aheadMs - 0.5 });
      await early.close();
      expect(logger.entries.map((e) => [e.level, e.message])).to.deep.equal([
        [level, `${sampleFsPath} Database records ${aheadMs / 1000} seconds in the future`],
      ]);
    }
  });

  it('opens a copy read-write without changing a byte, and allocates oids after the largest', async () => {
    const copy = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, copy);
    const logger = recordingLogger();
    const writable = await FileStorage.open(copy, { logger });
    try {
      expect((await writable.newOid()).toString('hex')).to.equal('0000000000000006');
      expect(logger.entries).to.deep.equal([]);
    } finally {
      await writable.close();
    }
    expect(await sha256(copy)).to.equal(expected.file_sha256);
    // The index Python would have saved too (see file-storage-saved-index.test.ts).
    expect((await readdir(tempDir())).sort()).to.deep.equal(['Data.fs', 'Data.fs.index', 'Data.fs.lock']);
  });
});
