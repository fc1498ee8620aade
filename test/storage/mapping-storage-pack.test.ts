// Packing a MappingStorage: old revisions, garbage collection, the
// transactions left behind, and the pack times ZODB refuses.
import { expect } from 'chai';
import { PackError, POSKeyError, StorageClosedError } from '../../src/storage/errors.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { p64, z64, type Oid, type Tid } from '../../src/storage/oid.js';
import { TimeStamp } from '../../src/storage/timestamp.js';
import { ManualClock, commit, meta, objectRecord, rejects, timeAfter, timeBetween } from './storage-test-support.js';





const A = p64(1);
const B = p64(2);
const C = p64(3);

describe('MappingStorage.pack', () => {
  let clock: ManualClock;
  let storage: MappingStorage;

  /** Commits `stores` a minute after the previous commit, each based on the current serial. */
  async function write(...stores: ReadonlyArray<readonly [Oid, Buffer]>): Promise<Tid> {
    clock.now += 60_000;
    const triples = [];
    for (const [oid, data] of stores) triples.push([oid, await storage.getTid(oid).catch(() => z64), data] as const);
    return commit(storage, triples);
  }

  beforeEach(() => {
    clock = new ManualClock();
    storage = new MappingStorage({ clock: clock.read });
  });

  afterEach(async () => {
    await storage.close();
  });

  it('keeps the revision current at the pack time and the later ones, and only those', async () => {
    const first = objectRecord([], [], 'one');
    const second = objectRecord([], [], 'second');
    const third = objectRecord([], [], 'third!!');
    const t1 = await write([z64, first]);
    const t2 = await write([z64, second]);
    const t3 = await write([z64, third]);
    const sizeBefore = storage.getSize();

    await storage.pack(timeBetween(t2, t3), { gc: false });

    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t3, t2]);
    await rejects(storage.loadSerial(z64, t1), POSKeyError);
    expect(await storage.loadSerial(z64, t2)).to.deep.equal(second);
    expect(await storage.loadBefore(z64, t2)).to.equal(null);
    expect(await storage.loadBefore(z64, t3)).to.deep.equal({ data: second, serial: t2, nextSerial: t3 });
    expect(await storage.load(z64)).to.deep.equal({ data: third, serial: t3 });
    expect(storage.getSize()).to.equal(sizeBefore - first.length);
  });

  it('keeps a revision written exactly at the pack time as the current one, as ZODB (tids up to the pack tid count)', async () => {
    clock.now = Date.UTC(2026, 0, 2, 3, 0, 0);
    await commit(storage, [[z64, z64, objectRecord([], [], 'old')]]);
    clock.now = Date.UTC(2026, 0, 2, 3, 5, 0);
    const onTime = await commit(storage, [[z64, await storage.getTid(z64), objectRecord([], [], 'on time')]]);
    await storage.pack(clock.now / 1000);
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([onTime]);
  });

  it('removes objects the root no longer reaches at the pack time, following references but not weak ones', async () => {
    await write([z64, objectRecord([A])], [A, objectRecord([B], [C])], [B, objectRecord()], [C, objectRecord()]);
    // B is dropped from A; C was only ever weakly referenced.
    const t2 = await write([A, objectRecord()]);
    const lengthBefore = storage.getLength();

    await storage.pack(timeAfter(t2));

    expect(storage.getLength()).to.equal(lengthBefore - 2);
    await rejects(storage.load(B), POSKeyError);
    await rejects(storage.load(C), POSKeyError);
    expect((await storage.load(A)).serial).to.deep.equal(t2);
    expect(await storage.history(A, 10)).to.have.length(1);
    expect((await storage.history(z64, 10)).length).to.equal(1);
  });

  it('keeps the size equal to the records that remain', async () => {
    await write([z64, objectRecord([A])], [A, objectRecord([], [], 'a'.repeat(100))], [B, objectRecord([], [], 'b'.repeat(50))]);
    const t2 = await write([A, objectRecord([], [], 'a2')]);
    await storage.pack(timeAfter(t2));
    const remaining = [await storage.load(z64), await storage.load(A)];
    expect(storage.getSize()).to.equal(remaining.reduce((sum, r) => sum + r.data.length, 0));
  });

  it('keeps everything written after the pack time, and what it refers to', async () => {
    // A is unreachable at the pack time but a later root revision links it again;
    // B is created after the pack time and reached by nothing.
    await write([z64, objectRecord([A])], [A, objectRecord([], [], 'a')]);
    const t2 = await write([z64, objectRecord()]);
    const t3 = await write([z64, objectRecord([A])]);
    await write([B, objectRecord()]);

    await storage.pack(timeBetween(t2, t3));

    expect((await storage.load(A)).data).to.deep.equal(objectRecord([], [], 'a'));
    expect((await storage.load(B)).data).to.deep.equal(objectRecord());
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([(await storage.load(z64)).serial, t2]);
  });

  it('keeps unreachable objects without garbage collection, chosen per pack or by the packGc option', async () => {
    await write([z64, objectRecord([A])], [A, objectRecord()]);
    const t2 = await write([z64, objectRecord()]);

    await storage.pack(timeAfter(t2), { gc: false });
    expect((await storage.load(A)).data).to.deep.equal(objectRecord());

    const noGc = new MappingStorage({ clock: clock.read, packGc: false });
    try {
      await commit(noGc, [[z64, z64, objectRecord([A])], [A, z64, objectRecord()]]);
      clock.now += 60_000;
      const t = await commit(noGc, [[z64, await noGc.getTid(z64), objectRecord()]]);
      await noGc.pack(timeAfter(t));
      expect(noGc.getLength()).to.equal(2);
      await noGc.pack(timeAfter(t) + 1, { gc: true });
      expect(noGc.getLength()).to.equal(1);
    } finally {
      await noGc.close();
    }
  });

  it('forgets transactions left without records and drops removed objects from the others', async () => {
    const t1 = await write([z64, objectRecord([A, B])], [A, objectRecord()], [B, objectRecord()]);
    const t2 = await write([z64, objectRecord([A])], [A, objectRecord([], [], 'changed')]);
    const t3 = await write([A, objectRecord([], [], 'changed again')]);
    expect((await storage.lastInvalidations(10)).map((i) => i.tid)).to.deep.equal([t1, t2, t3]);

    await storage.pack(timeBetween(t2, t3));

    // t1 kept nothing (the root and A were rewritten in t2, B is garbage).
    expect(await storage.lastInvalidations(10)).to.deep.equal([
      { tid: t2, oids: [z64, A] },
      { tid: t3, oids: [A] },
    ]);
  });

  it('drops B from a transaction that keeps other records', async () => {
    const t1 = await write([z64, objectRecord([A])], [A, objectRecord()], [B, objectRecord()]);
    await storage.pack(timeAfter(t1));
    expect(await storage.lastInvalidations(10)).to.deep.equal([{ tid: t1, oids: [z64, A] }]);
  });

  it('refuses a pack time that is not a finite number or lies before 1900', async () => {
    await write([z64, objectRecord()]);
    for (const time of [Number.NaN, Number.POSITIVE_INFINITY, -3e9]) {
      await rejects(storage.pack(time), PackError, /^Invalid pack time/);
    }
    // The first tid, 1900-01-01 00:00, is z64.
    await rejects(storage.pack(Date.UTC(1900, 0, 1) / 1000), PackError, /^Invalid pack time/);
    await rejects(storage.pack('soon' as unknown as number), PackError, /^Invalid pack time/);
  });

  it('does nothing when packed to the same time again and refuses an earlier time, as ZODB', async () => {
    const t1 = await write([z64, objectRecord([], [], 'one')]);
    const t2 = await write([z64, objectRecord([], [], 'two')]);
    await storage.pack(timeAfter(t2));
    const t3 = await write([z64, objectRecord([], [], 'three')]);
    // The same pack time again: the revision written since stays, with its predecessor.
    await storage.pack(timeAfter(t2));
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t3, t2]);
    const error = await rejects(storage.pack(timeBetween(t1, t2)), PackError, /already packed to a later time/);
    expect(error.code).to.equal('STORAGE_PACK');
  });

  it('fails with PackError and changes nothing when a reachable object refers to a missing one', async () => {
    const t1 = await write([z64, objectRecord([A])], [A, objectRecord([C])]);
    const t2 = await write([z64, objectRecord([A], [], 'again')]);
    const size = storage.getSize();
    const error = await rejects(storage.pack(timeAfter(t2)), PackError);
    expect(error.message).to.include('oid 0x01 refers to oid 0x03');
    expect(storage.getSize()).to.equal(size);
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t2, t1]);
    // Without garbage collection nothing is followed.
    await storage.pack(timeAfter(t2), { gc: false });
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t2]);
  });

  it('needs the root for garbage collection, unless nothing existed yet at the pack time', async () => {
    const t1 = await write([A, objectRecord()]);
    await rejects(storage.pack(timeAfter(t1)), PackError, /root object \(oid 0x00\) does not exist/);
    await storage.pack(TimeStamp.fromBytes(t1).timeTime() - 60);
    expect((await storage.load(A)).serial).to.deep.equal(t1);
  });

  it('fails with PackError naming the object whose record is not a pickle', async () => {
    const t1 = await write([z64, objectRecord([A])], [A, Buffer.from('not a pickle')]);
    await rejects(storage.pack(timeAfter(t1)), PackError, /oid 0x01 .* is not a valid object record/);
  });

  it('resolves at once for an empty storage', async () => {
    await storage.pack(Date.now() / 1000);
    expect(storage.getLength()).to.equal(0);
  });

  it('waits for the transaction holding the commit lock, then packs what it wrote too', async () => {
    const t1 = await write([z64, objectRecord([A])], [A, objectRecord()]);
    const t2 = await write([z64, objectRecord()]);
    clock.now += 60_000;
    const txn = meta();
    await storage.tpcBegin(txn);
    await storage.store(A, t1, objectRecord([], [], 'rewritten'), txn);
    const order: string[] = [];
    const packed = storage.pack(timeAfter(t2)).then(() => order.push('pack'));
    await storage.tpcVote(txn);
    const t3 = await storage.tpcFinish(txn);
    order.push('finish');
    await packed;
    expect(order).to.deep.equal(['finish', 'pack']);
    // A is garbage at the pack time but was written after it: it stays, with the revision it was based on.
    expect((await storage.history(A, 10)).map((h) => h.tid)).to.deep.equal([t3, t1]);
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t2]);
  });

  it('refuses to pack a closed storage', async () => {
    await write([z64, objectRecord()]);
    await storage.close();
    await rejects(storage.pack(Date.now() / 1000), StorageClosedError);
  });
});
