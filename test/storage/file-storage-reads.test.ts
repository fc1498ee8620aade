// FileStorage's read path: records of every size around the reader's
// one-page read, results that are the caller's own copies, and loads that
// never see a transaction that is voted but not finished.
import { expect } from 'chai';
import path from 'node:path';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { maxTid, p64, z64, type Oid, type Tid } from '../../src/storage/oid.js';
import { commit, meta, sha256, useTempDir } from './storage-test-support.js';

// The reader fetches one 4096-byte page per record, of which 42 bytes are
// the record header; transactions beyond 256 KiB are written asynchronously.
const SIZES = [1, 100, 4096 - 43, 4096 - 42, 4096 - 41, 4096, 10_000, 300_000];

function pattern(size: number, revision: number): Buffer {
  const data = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + size + revision * 7) & 0xff;
  return data;
}

describe('FileStorage reads', () => {
  const tempDir = useTempDir();

  async function fill(storage: FileStorage): Promise<{ t1: Tid; t2: Tid; oids: Oid[] }> {
    const oids = SIZES.map((_, i) => p64(i + 1));
    const t1 = await commit(
      storage,
      SIZES.map((size, i) => [oids[i] as Oid, z64, pattern(size, 1)] as const),
    );
    // One transaction per object: small ones take the synchronous write, the largest the asynchronous one.
    let t2 = t1;
    for (const [i, size] of SIZES.entries()) {
      t2 = await commit(storage, [[oids[i] as Oid, t1, pattern(size, 2)]]);
    }
    return { t1, t2, oids };
  }

  async function checkRevisions(storage: FileStorage, t1: Tid, oids: readonly Oid[]): Promise<void> {
    for (const [i, size] of SIZES.entries()) {
      const oid = oids[i] as Oid;
      const current = await storage.load(oid);
      expect(current.data.equals(pattern(size, 2)), `current data of ${size} bytes`).to.equal(true);
      const second = await storage.getTid(oid);
      expect(current.serial.equals(second)).to.equal(true);
      const before = await storage.loadBefore(oid, second);
      expect(before?.data.equals(pattern(size, 1)), `previous data of ${size} bytes`).to.equal(true);
      expect(before?.serial.equals(t1)).to.equal(true);
      expect(before?.nextSerial?.equals(second)).to.equal(true);
      expect((await storage.loadSerial(oid, t1)).equals(pattern(size, 1))).to.equal(true);
      const latest = await storage.loadBefore(oid, maxTid);
      expect(latest?.data.equals(pattern(size, 2))).to.equal(true);
      expect(latest?.nextSerial).to.equal(null);
      const history = await storage.history(oid, 5);
      expect(history.map((entry) => entry.size)).to.deep.equal([size, size]);
      expect(history[1]?.tid.equals(t1)).to.equal(true);
    }
  }

  it('loads every revision of records smaller than, as large as, and larger than one read', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    const storage = await FileStorage.open(file);
    const { t1, oids } = await fill(storage);
    await checkRevisions(storage, t1, oids);
    await storage.close();
    const reopened = await FileStorage.open(file, { readOnly: true });
    try {
      await checkRevisions(reopened, t1, oids);
    } finally {
      await reopened.close();
    }
  });

  it('gives each load its own copy of the data and serial, also for loads started together', async () => {
    const storage = await FileStorage.open(path.join(tempDir(), 'Data.fs'));
    try {
      const { oids } = await fill(storage);
      const results = await Promise.all(oids.flatMap((oid) => [storage.load(oid), storage.loadBefore(oid, maxTid)]));
      results.forEach((result, n) => {
        const size = SIZES[Math.floor(n / 2)] ?? 0;
        expect(result?.data.equals(pattern(size, 2)), `result ${n}`).to.equal(true);
      });
      const first = await storage.load(oids[1] as Oid);
      first.data.fill(0);
      first.serial.fill(0);
      const again = await storage.load(oids[1] as Oid);
      expect(again.data.equals(pattern(SIZES[1] ?? 0, 2))).to.equal(true);
      expect(again.serial.equals(await storage.getTid(oids[1] as Oid))).to.equal(true);
    } finally {
      await storage.close();
    }
  });

  it('does not show a voted, unfinished transaction to loads; aborting a large one restores the file', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    const storage = await FileStorage.open(file);
    try {
      const oid = p64(1);
      const t1 = await commit(storage, [[oid, z64, Buffer.from('first')]]);
      const before = await sha256(file);
      const txn = meta('/ tester', 'large');
      await storage.tpcBegin(txn);
      await storage.store(oid, t1, pattern(300_000, 3), txn);
      await storage.store(p64(2), z64, Buffer.from('new'), txn);
      await storage.tpcVote(txn);
      const during = await storage.load(oid);
      expect(during.data.toString()).to.equal('first');
      expect(during.serial.equals(t1)).to.equal(true);
      expect((await storage.loadBefore(oid, maxTid))?.nextSerial).to.equal(null);
      expect(await storage.history(oid, 5)).to.have.length(1);
      await storage.tpcAbort(txn);
      expect(await sha256(file)).to.equal(before);
      expect((await storage.load(oid)).data.toString()).to.equal('first');
      const t2 = await commit(storage, [[oid, t1, pattern(300_000, 4)]]);
      const after = await storage.load(oid);
      expect(after.serial.equals(t2)).to.equal(true);
      expect(after.data.equals(pattern(300_000, 4))).to.equal(true);
    } finally {
      await storage.close();
    }
  });
});
