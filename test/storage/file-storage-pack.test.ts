// Packing a FileStorage: what survives, the layout ZODB's packer writes,
// commits during the pack, and a pack that fails or is cut short.
import { expect } from 'chai';
import { appendFile, copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sinon from 'sinon';
import { PackError, POSKeyError, ReadOnlyError, StorageClosedError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import {
  DATA_HEADER_LENGTH,
  TXN_HEADER_LENGTH,
  TxnStatus,
  readDataHeader,
  readTxnHeader,
  writeDataHeader,
  writePosition,
  writeTxnHeader,
} from '../../src/storage/file-storage/format.js';
import { PackCopier } from '../../src/storage/file-storage/pack-copier.js';
import { p64, z64, type Oid } from '../../src/storage/oid.js';
import { recordReferences } from '../../src/storage/record-references.js';
import { TimeStamp } from '../../src/storage/timestamp.js';
import {
  commit,
  hex,
  loadSampleExpected,
  meta,
  objectRecord,
  rejects,
  sampleFsPath,
  sha256,
  timeBetween,
  useTempDir,
  type SampleExpected,
} from './storage-test-support.js';

/** The transactions of a file: position, status and the records (oid, prev, tloc, data length). */
async function layout(file: string): Promise<Array<{ pos: number; tid: string; status: string; records: Array<{ oid: string; pos: number; prev: number; tloc: number; length: number }> }>> {
  const bytes = await readFile(file);
  const result = [];
  for (let pos = 4; pos < bytes.length; ) {
    const header = readTxnHeader(bytes, pos);
    const records = [];
    for (let at = pos + header.headerLength; at < pos + header.length; ) {
      const record = readDataHeader(bytes, at);
      records.push({ oid: record.oid.toString('hex'), pos: at, prev: record.prev, tloc: record.tloc, length: record.dataLength });
      at += record.recordLength;
    }
    expect(bytes.readUInt32BE(pos + header.length + 4), `redundant length of the transaction at ${pos}`).to.equal(header.length);
    result.push({ pos, tid: header.tid.toString('hex'), status: String.fromCharCode(header.status), records });
    pos += header.length + 8;
  }
  return result;
}

describe('recordReferences', () => {
  it('finds the oids a Python record refers to, not its weak references', async () => {
    const expected = await loadSampleExpected();
    // The root as of "add note and tree" holds 1–4 as (oid, class), 5 as a bare oid, and a weak reference to 3.
    const root = expected.records.find((r) => r.oid === '0000000000000000' && r.pos === 1231);
    expect(recordReferences(hex(root?.data_hex ?? '')).map((oid) => oid.toString('hex'))).to.deep.equal(
      ['01', '02', '03', '04', '05'].map((n) => `00000000000000${n}`),
    );
    const leaf = expected.records.find((r) => r.oid === '0000000000000005');
    expect(recordReferences(hex(leaf?.data_hex ?? ''))).to.deep.equal([]);
  });

  it('skips weak references in records of its own', () => {
    expect(recordReferences(objectRecord([p64(7)], [p64(8)]))).to.deep.equal([p64(7)]);
  });
});

describe('FileStorage.pack', () => {
  const tempDir = useTempDir();
  let expected: SampleExpected;
  let file: string;
  const opened: FileStorage[] = [];

  async function openFile(options: Parameters<typeof FileStorage.open>[1] = {}): Promise<FileStorage> {
    const storage = await FileStorage.open(file, { fsync: false, ...options });
    opened.push(storage);
    return storage;
  }

  before(async () => {
    expected = await loadSampleExpected();
  });

  beforeEach(async () => {
    file = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, file);
  });

  afterEach(async () => {
    sinon.restore();
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  const tids = (): Buffer[] => expected.transactions.map((t) => hex(t.tid));
  const afterLast = (): number => TimeStamp.fromBytes(tids().at(-1) as Buffer).timeTime() + 1;

  it('keeps the current revisions of Python’s sample.fs, in the layout ZODB’s packer writes', async () => {
    const storage = await openFile();
    const before = new Map<string, { data: Buffer; serial: Buffer }>();
    for (let n = 0; n <= 5; n++) before.set(String(n), await storage.load(p64(n)));
    await storage.pack(afterLast());

    // Current as of the pack time: 1 from "populate root"; 0, 5 and 4 from "add note and tree"; 2 and 3 from the last.
    const current = new Map(expected.records.map((r) => [r.oid, r]));
    const kept = expected.records.filter((r) => current.get(r.oid) === r);
    let pos = 4;
    const want = [];
    for (const txn of expected.transactions) {
      const records = kept.filter((r) => r.txn_pos === txn.pos);
      if (records.length === 0) continue; // "initial database creation" has nothing left
      const headerLength = TXN_HEADER_LENGTH + Buffer.byteLength(txn.user) + Buffer.byteLength(txn.description) + txn.extension_hex.length / 2;
      let at = pos + headerLength;
      const copied = records.map((r) => {
        const record = { oid: r.oid, pos: at, prev: 0, tloc: pos, length: r.data_length };
        at += DATA_HEADER_LENGTH + r.data_length;
        return record;
      });
      want.push({ pos, tid: txn.tid, status: 'p', records: copied });
      pos = at + 8;
    }
    expect(await layout(file)).to.deep.equal(want);
    expect(storage.getSize()).to.equal(pos);
    expect((await stat(file)).size).to.equal(pos);
    expect(await sha256(`${file}.old`)).to.equal(expected.file_sha256);

    for (const [n, { data, serial }] of before) {
      const now = await storage.load(p64(Number(n)));
      expect(now.data.equals(data), `data of oid ${n}`).to.equal(true);
      expect(now.serial.equals(serial), `serial of oid ${n}`).to.equal(true);
      expect(await storage.history(p64(Number(n)), 10)).to.have.length(1);
    }
    // The older revisions are gone.
    const firstRoot = expected.records[0];
    await rejects(storage.loadSerial(z64, hex(firstRoot?.tid ?? '')), POSKeyError);
    expect(await storage.loadBefore(z64, hex(expected.records[4]?.tid ?? ''))).to.equal(null);
    expect(storage.lastTransaction().equals(tids().at(-1) as Buffer)).to.equal(true);
  });

  it('keeps every transaction after the pack time whole, linked to the records it kept', async () => {
    const storage = await openFile();
    const [, , third, fourth] = tids() as [Buffer, Buffer, Buffer, Buffer];
    await storage.pack(timeBetween(third, fourth));
    const transactions = await layout(file);
    const last = transactions.at(-1);
    expect(last?.tid).to.equal(fourth.toString('hex'));
    expect(last?.status).to.equal(' ');
    // Oids 2 and 3 link to their revisions current at the pack time, now packed.
    for (const record of last?.records ?? []) {
      const previous = transactions.flatMap((t) => t.records).find((r) => r.oid === record.oid && r.pos < record.pos);
      expect(record.prev, `prev of oid ${record.oid}`).to.equal(previous?.pos);
      expect(record.tloc).to.equal(last?.pos);
    }
    expect(transactions.slice(0, -1).every((t) => t.status === 'p')).to.equal(true);
    // Both revisions of 3 still load; the one before the pack time has its successor.
    const history = await storage.history(p64(3), 10);
    expect(history.map((h) => h.tid.toString('hex'))).to.deep.equal([fourth.toString('hex'), third.toString('hex')]);
    const older = await storage.loadBefore(p64(3), fourth);
    expect(older?.serial.equals(third)).to.equal(true);
    expect(older?.nextSerial?.equals(fourth)).to.equal(true);
  });

  it('keeps what a later back pointer names, and points it at the copy', async () => {
    file = path.join(tempDir(), 'undo.fs');
    let storage = await openFile({ create: true });
    const x = p64(1);
    await commit(storage, [[z64, z64, objectRecord([x])], [x, z64, objectRecord([], [], 'first')]]);
    // The root's first revision is what the pack frees.
    const second = await commit(storage, [
      [z64, await storage.getTid(z64), objectRecord([x], [], 'root again')],
      [x, await storage.getTid(x), objectRecord([], [], 'second')],
    ]);
    await storage.close();
    // What Python's undo writes: a record of x whose data is the first revision's, by back pointer.
    const before = await layout(file);
    const [firstX, secondX] = before.flatMap((t) => t.records).filter((r) => r.oid === x.toString('hex'));
    const undoTid = TimeStamp.fromTime(TimeStamp.fromBytes(second).timeTime() * 1000 + 1000).raw();
    const tpos = (await stat(file)).size;
    const txn = Buffer.alloc(TXN_HEADER_LENGTH + DATA_HEADER_LENGTH + 8 + 8);
    const length = txn.length - 8;
    writeTxnHeader(txn, 0, { tid: undoTid, length, status: TxnStatus.committed, userLength: 0, descriptionLength: 0, extensionLength: 0 });
    writeDataHeader(txn, TXN_HEADER_LENGTH, { oid: x, tid: undoTid, prev: secondX?.pos ?? 0, tloc: tpos, dataLength: 0 });
    writePosition(txn, TXN_HEADER_LENGTH + DATA_HEADER_LENGTH, firstX?.pos ?? 0);
    writePosition(txn, length, length);
    await appendFile(file, txn);

    storage = await openFile();
    const undone = await storage.load(x);
    expect(undone.serial.equals(undoTid)).to.equal(true);
    await storage.pack(timeBetween(second, undoTid));
    const after = await layout(file);
    expect(after.map((t) => t.status)).to.deep.equal(['p', 'p', ' ']);
    const last = after.at(-1)?.records[0];
    // Still a back pointer, now to the first revision's copy.
    expect(last?.length).to.equal(0);
    const bytes = await readFile(file);
    const back = Number(bytes.readBigUInt64BE((last?.pos ?? 0) + DATA_HEADER_LENGTH));
    const target = readDataHeader(bytes, back);
    expect(target.oid.equals(x)).to.equal(true);
    expect(bytes.subarray(back + DATA_HEADER_LENGTH, back + DATA_HEADER_LENGTH + target.dataLength).equals(undone.data)).to.equal(true);
    const loaded = await storage.load(x);
    expect(loaded.data.equals(undone.data)).to.equal(true);
    expect(loaded.serial.equals(undoTid)).to.equal(true);
    expect((await storage.history(x, 5)).map((h) => h.tid.toString('hex'))).to.deep.equal([undoTid.toString('hex'), second.toString('hex')]);
  });

  it('writes a file that opens again, from its saved index and from a scan', async () => {
    const storage = await openFile();
    await storage.pack(afterLast());
    const loads = await Promise.all([0, 1, 2, 3, 4, 5].map((n) => storage.load(p64(n))));
    await storage.close();
    for (const withIndex of [true, false]) {
      if (!withIndex) await writeFile(`${file}.index`, 'not an index');
      const again = await openFile({ readOnly: true });
      expect(again.getLength()).to.equal(6);
      for (const [n, load] of loads.entries()) expect((await again.load(p64(n))).data.equals(load.data)).to.equal(true);
      await again.close();
    }
  });

  it('removes what the root no longer reaches, and only with garbage collection', async () => {
    for (const gc of [true, false]) {
      file = path.join(tempDir(), `gc-${gc}.fs`);
      const storage = await openFile({ create: true });
      const [a, b, c, d] = [1, 2, 3, 4].map((n) => p64(n)) as [Oid, Oid, Oid, Oid];
      // root → a → b; root → c; root weakly → d.
      await commit(storage, [[z64, z64, objectRecord([a, c], [d])], [a, z64, objectRecord([b])], [b, z64, objectRecord([])], [c, z64, objectRecord([])], [d, z64, objectRecord([])]]);
      const second = await commit(storage, [[z64, await storage.getTid(z64), objectRecord([c], [d])]]);
      const length = storage.getLength();
      await storage.pack(TimeStamp.fromBytes(second).timeTime() + 1, { gc });
      if (gc) {
        for (const gone of [a, b, d]) await rejects(storage.load(gone), POSKeyError);
        expect(storage.getLength()).to.equal(length - 3);
      } else {
        for (const kept of [a, b, d]) expect((await storage.load(kept)).data.length).to.be.greaterThan(0);
        expect(storage.getLength()).to.equal(length);
      }
      expect(recordReferences((await storage.load(z64)).data)).to.deep.equal([c]);
      expect(await storage.history(z64, 5)).to.have.length(1);
    }
  });

  it('follows the packGc option when pack() does not say', async () => {
    const storage = await openFile({ create: true, packGc: false });
    await commit(storage, [[z64, z64, objectRecord([p64(1)])], [p64(1), z64, objectRecord([])]]);
    const tid = await commit(storage, [[z64, await storage.getTid(z64), objectRecord([])]]);
    await storage.pack(TimeStamp.fromBytes(tid).timeTime() + 1);
    expect((await storage.load(p64(1))).data.length).to.be.greaterThan(0);
  });

  it('keeps the commits made while it runs, before and after it takes the commit lock', async () => {
    const storage = await openFile();
    const copyUpTo = PackCopier.prototype.copyUpTo;
    const during: Array<Promise<Buffer>> = [];
    let calls = 0;
    // Commit once before each copy of the recent transactions: the first
    // runs without the commit lock, the second holds it, so that commit waits.
    sinon.stub(PackCopier.prototype, 'copyUpTo').callsFake(async function (this: PackCopier, ...args: Parameters<PackCopier['copyUpTo']>) {
      calls += 1;
      during.push(commit(storage, [[p64(10 + calls), z64, objectRecord([], [], `during ${calls}`)]]));
      if (calls === 1) await during[0];
      return copyUpTo.apply(this, args);
    });
    const packTime = afterLast();
    await storage.pack(packTime);
    expect(calls).to.equal(2);
    const [first, second] = await Promise.all(during);
    // The first was copied with the commits still going; the second waited for the swap and went into the new file.
    const transactions = await layout(file);
    expect(transactions.map((t) => t.tid)).to.include.members([first?.toString('hex'), second?.toString('hex')]);
    for (const n of [11, 12]) expect(recordReferences((await storage.load(p64(n))).data)).to.deep.equal([]);
    await storage.close();
    const again = await openFile({ readOnly: true });
    expect((await again.load(p64(12))).serial.equals(second as Buffer)).to.equal(true);
  });

  it('copies a transaction voted before the pack began and finished during it as committed', async () => {
    const storage = await openFile();
    const txn = meta('/ carol', 'voted early');
    await storage.tpcBegin(txn);
    await storage.store(p64(20), z64, objectRecord([], [], 'voted early'), txn);
    await storage.tpcVote(txn);
    let finished: Buffer | undefined;
    const copyUpTo = PackCopier.prototype.copyUpTo;
    sinon.stub(PackCopier.prototype, 'copyUpTo').callsFake(async function (this: PackCopier, ...args: Parameters<PackCopier['copyUpTo']>) {
      finished ??= await storage.tpcFinish(txn);
      return copyUpTo.apply(this, args);
    });
    await storage.pack(afterLast());
    const last = (await layout(file)).at(-1);
    expect(last?.tid).to.equal(finished?.toString('hex'));
    expect(last?.status).to.equal(' ');
    await storage.close();
    const again = await openFile({ readOnly: true });
    expect((await again.load(p64(20))).serial.equals(finished as Buffer)).to.equal(true);
  });

  it('does nothing when nothing would be freed, or the file is packed already', async () => {
    const storage = await openFile();
    await storage.pack(afterLast());
    const packed = await sha256(file);
    await storage.pack(afterLast());
    expect(await sha256(file)).to.equal(packed);
    await storage.pack(TimeStamp.fromBytes(tids()[0] as Buffer).timeTime() - 60);
    expect(await sha256(file)).to.equal(packed);
    const empty = await FileStorage.open(path.join(tempDir(), 'empty.fs'), { fsync: false });
    opened.push(empty);
    await empty.pack(afterLast());
    expect(empty.getSize()).to.equal(4);
  });

  it('removes Data.fs.old when packKeepOld is false', async () => {
    const storage = await openFile({ packKeepOld: false });
    await storage.pack(afterLast());
    await rejects(stat(`${file}.old`), Error, /ENOENT/);
    await rejects(stat(`${file}.pack`), Error, /ENOENT/);
  });

  it('refuses bad times, read-only and closed storages, and a second pack at once', async () => {
    const storage = await openFile();
    await rejects(storage.pack(Number.NaN), PackError, /Invalid pack time NaN/);
    await rejects(storage.pack(Date.UTC(1900, 0, 1) / 1000), PackError, /Invalid pack time -2208988800 for /);
    const first = storage.pack(afterLast());
    await rejects(storage.pack(afterLast()), PackError, /already being packed/);
    await first;
    const readOnly = await FileStorage.open(sampleFsPath, { readOnly: true });
    opened.push(readOnly);
    await rejects(readOnly.pack(afterLast()), ReadOnlyError);
    await storage.close();
    await rejects(storage.pack(afterLast()), StorageClosedError);
  });

  it('leaves the file as it was when a reference dangles', async () => {
    const storage = await openFile({ create: true });
    await commit(storage, [[z64, z64, objectRecord([p64(9)])]]);
    const tid = await commit(storage, [[z64, await storage.getTid(z64), objectRecord([p64(9)], [], 'again')]]);
    const original = await sha256(file);
    const error = await rejects(storage.pack(TimeStamp.fromBytes(tid).timeTime() + 1), PackError);
    expect(error.message).to.include('oid 0x00 refers to oid 0x09');
    expect(await sha256(file)).to.equal(original);
    await rejects(stat(`${file}.pack`), Error, /ENOENT/);
  });

  it('needs a root object to collect garbage, and none without', async () => {
    const storage = await openFile({ create: true });
    await commit(storage, [[p64(1), z64, objectRecord([])]]);
    const tid = await commit(storage, [[p64(1), await storage.getTid(p64(1)), objectRecord([], [], 'again')]]);
    const packTime = TimeStamp.fromBytes(tid).timeTime() + 1;
    await rejects(storage.pack(packTime), PackError, /root object \(oid 0x00\) does not exist at the pack time; pack without garbage collection/);
    await storage.pack(packTime, { gc: false });
    expect(await storage.history(p64(1), 5)).to.have.length(1);
  });

  it('stops, leaving the file as it was, when the storage is closed meanwhile', async () => {
    const storage = await openFile();
    const original = await sha256(file);
    const copyToPackTime = PackCopier.prototype.copyToPackTime;
    let closing: Promise<void> | undefined;
    sinon.stub(PackCopier.prototype, 'copyToPackTime').callsFake(function (this: PackCopier, ...args: Parameters<PackCopier['copyToPackTime']>) {
      closing = storage.close();
      return copyToPackTime.apply(this, args);
    });
    await rejects(storage.pack(afterLast()), StorageClosedError);
    await closing;
    expect(await sha256(file)).to.equal(original);
    await rejects(stat(`${file}.pack`), Error, /ENOENT/);
  });
});
