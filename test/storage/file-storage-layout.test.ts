// What our writer puts in the file: ZODB's layout, byte for byte.
import { expect } from 'chai';
import { copyFile, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sinon from 'sinon';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { p64, z64 } from '../../src/storage/oid.js';
import { commit, hex, loadSampleExpected, meta, sampleFsPath, sha256, useTempDir, type SampleExpected } from './storage-test-support.js';

describe('FileStorage writing', () => {
  const tempDir = useTempDir();
  let expected: SampleExpected;

  before(async () => {
    expected = await loadSampleExpected();
  });

  it('creates a new file holding only the magic', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    const storage = await FileStorage.open(file);
    await storage.close();
    expect((await readFile(file)).toString('latin1')).to.equal('FS30');
  });

  it('replaying the transactions of sample.fs with their tids reproduces the file byte for byte', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    const storage = await FileStorage.open(file);
    const serials = new Map<string, Buffer>();
    try {
      for (const txn of expected.transactions) {
        const handle = {
          user: Buffer.from(txn.user),
          description: Buffer.from(txn.description),
          extension: hex(txn.extension_hex),
        };
        await storage.tpcBegin(handle, { tid: hex(txn.tid) });
        for (const record of expected.records.filter((r) => r.txn_pos === txn.pos)) {
          await storage.store(hex(record.oid), serials.get(record.oid) ?? z64, hex(record.data_hex), handle);
        }
        expect(await storage.tpcVote(handle)).to.deep.equal([]);
        const tid = await storage.tpcFinish(handle);
        expect(tid.toString('hex')).to.equal(txn.tid);
        for (const oid of txn.oids) serials.set(oid, tid);
      }
    } finally {
      await storage.close();
    }
    expect(await sha256(file)).to.equal(expected.file_sha256);
    expect((await readFile(file)).equals(await readFile(sampleFsPath))).to.equal(true);
  });

  it('appends to a ZODB file with the reference layout, and the file reads back after reopening', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, file);
    const storage = await FileStorage.open(file);
    const settings = expected.records.filter((r) => r.oid === '0000000000000002').at(-1);
    const settingsData = Buffer.from('80034e2e80037d2e', 'hex');
    const newData = Buffer.from('new object record');
    const extension = hex('80037d7100580200000069707101580800000031302e302e302e317102732e');
    const txn = meta('/ carol', 'append test', extension);
    let tid: Buffer;
    try {
      const oid = await storage.newOid();
      expect(oid.equals(p64(6))).to.equal(true);
      tid = await commit(storage, [
        [p64(2), hex(settings?.tid ?? ''), settingsData],
        [oid, z64, newData],
      ], txn);
    } finally {
      await storage.close();
    }
    const bytes = await readFile(file);
    const pos = expected.file_size;
    expect(bytes.subarray(0, pos).equals(await readFile(sampleFsPath))).to.equal(true);
    // Transaction header: >8sQcHHH, then user, description, extension.
    const thl = 23 + 7 + 11 + extension.length;
    const tlen = thl + (42 + settingsData.length) + (42 + newData.length);
    expect(bytes.subarray(pos, pos + 8).equals(tid)).to.equal(true);
    expect(bytes.readBigUInt64BE(pos + 8)).to.equal(BigInt(tlen));
    expect(bytes.toString('latin1', pos + 16, pos + 17)).to.equal(' ');
    expect([bytes.readUInt16BE(pos + 17), bytes.readUInt16BE(pos + 19), bytes.readUInt16BE(pos + 21)]).to.deep.equal([7, 11, extension.length]);
    expect(bytes.toString('latin1', pos + 23, pos + 30)).to.equal('/ carol');
    expect(bytes.toString('latin1', pos + 30, pos + 41)).to.equal('append test');
    expect(bytes.subarray(pos + 41, pos + thl).equals(extension)).to.equal(true);
    // First data record: >8s8sQQHQ, prev pointing at the record of oid 2 in sample.fs.
    let at = pos + thl;
    expect(bytes.subarray(at, at + 8).toString('hex')).to.equal('0000000000000002');
    expect(bytes.subarray(at + 8, at + 16).equals(tid)).to.equal(true);
    expect(bytes.readBigUInt64BE(at + 16)).to.equal(BigInt(settings?.pos ?? -1));
    expect(bytes.readBigUInt64BE(at + 24)).to.equal(BigInt(pos));
    expect(bytes.readUInt16BE(at + 32)).to.equal(0);
    expect(bytes.readBigUInt64BE(at + 34)).to.equal(BigInt(settingsData.length));
    expect(bytes.subarray(at + 42, at + 42 + settingsData.length).equals(settingsData)).to.equal(true);
    const settingsPos = at;
    at += 42 + settingsData.length;
    // Second data record: a new object, prev 0.
    expect(bytes.subarray(at, at + 8).toString('hex')).to.equal('0000000000000006');
    expect(bytes.readBigUInt64BE(at + 16)).to.equal(0n);
    expect(bytes.readBigUInt64BE(at + 24)).to.equal(BigInt(pos));
    expect(bytes.readBigUInt64BE(at + 34)).to.equal(BigInt(newData.length));
    at += 42 + newData.length;
    // Redundant length, then the end of the file.
    expect(at).to.equal(pos + tlen);
    expect(bytes.readBigUInt64BE(at)).to.equal(BigInt(tlen));
    expect(bytes.length).to.equal(at + 8);

    const reopened = await FileStorage.open(file);
    try {
      expect(reopened.lastTransaction().equals(tid)).to.equal(true);
      expect(reopened.getLength()).to.equal(7);
      expect(reopened.getSize()).to.equal(bytes.length);
      expect((await reopened.load(p64(2))).data.equals(settingsData)).to.equal(true);
      expect((await reopened.load(p64(6))).data.equals(newData)).to.equal(true);
      const previous = await reopened.loadBefore(p64(2), tid);
      expect(previous?.data.toString('hex')).to.equal(settings?.data_hex);
      expect((await reopened.newOid()).equals(p64(7))).to.equal(true);
      const [entry] = await reopened.history(p64(2));
      expect(entry?.extension.equals(extension)).to.equal(true);
      expect(settingsPos).to.be.greaterThan(pos);
    } finally {
      await reopened.close();
    }
  });

  it('after reopening, new tids follow the last tid in the file even when the clock is behind it', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, file);
    const last = hex(expected.transactions.at(-1)?.tid ?? '');
    const storage = await FileStorage.open(file, { clock: () => Date.UTC(2020, 0, 1) });
    try {
      const tid = await commit(storage, [[p64(9), z64, Buffer.from('x')]]);
      expect(tid.readUInt32BE(0)).to.equal(last.readUInt32BE(0));
      expect(tid.readUInt32BE(4)).to.equal(last.readUInt32BE(4) + 1);
    } finally {
      await storage.close();
    }
  });

  it('an aborted transaction leaves the file byte for byte unchanged, even after vote', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    await copyFile(sampleFsPath, file);
    const storage = await FileStorage.open(file);
    try {
      const txn = meta('/ x', 'to be aborted');
      await storage.tpcBegin(txn);
      await storage.store(p64(9), z64, Buffer.from('data'), txn);
      await storage.tpcVote(txn);
      expect((await stat(file)).size).to.be.greaterThan(expected.file_size);
      // Until finish, the voted transaction carries status 'c'.
      const handle = await open(file, 'r');
      const status = Buffer.alloc(1);
      await handle.read(status, 0, 1, expected.file_size + 16);
      await handle.close();
      expect(status.toString('latin1')).to.equal('c');
      await storage.tpcAbort(txn);
      expect(await sha256(file)).to.equal(expected.file_sha256);
    } finally {
      await storage.close();
    }
    expect(await sha256(file)).to.equal(expected.file_sha256);
  });

  describe('fsync', () => {
    let syncSpy: sinon.SinonSpy;

    beforeEach(async () => {
      const probe = await open(path.join(tempDir(), 'probe'), 'w');
      const prototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
      await probe.close();
      syncSpy = sinon.spy(prototype, 'sync');
    });

    afterEach(() => {
      syncSpy.restore();
    });

    it('syncs the file when a transaction finishes, unless turned off', async () => {
      const synced = await FileStorage.open(path.join(tempDir(), 'a.fs'));
      syncSpy.resetHistory();
      await commit(synced, [[z64, z64, Buffer.from('root')]]);
      expect(syncSpy.callCount).to.equal(1);
      await synced.close();
      const unsynced = await FileStorage.open(path.join(tempDir(), 'b.fs'), { fsync: false });
      syncSpy.resetHistory();
      await commit(unsynced, [[z64, z64, Buffer.from('root')]]);
      expect(syncSpy.callCount).to.equal(0);
      expect((await unsynced.load(z64)).data.toString()).to.equal('root');
      await unsynced.close();
    });
  });
});
