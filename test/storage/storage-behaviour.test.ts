// One body of behavioural tests, run against every Storage implementation.
import { expect } from 'chai';
import path from 'node:path';
import { InvalidArgumentError } from '../../src/errors.js';
import type { BaseStorageOptions } from '../../src/storage/base-storage.js';
import {
  ConflictError,
  POSKeyError,
  ReadConflictError,
  StorageClosedError,
  StorageTransactionError,
} from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { maxTid, p64, z64, type Tid } from '../../src/storage/oid.js';
import type { Invalidation, Storage } from '../../src/storage/storage.js';
import { TimeStamp } from '../../src/storage/timestamp.js';
import { ManualClock, commit, meta, recordingLogger, rejects, useTempDir } from './storage-test-support.js';

type Factory = (dir: string, options: BaseStorageOptions) => Promise<Storage>;

const implementations: ReadonlyArray<readonly [string, Factory]> = [
  ['FileStorage', (dir, options) => FileStorage.open(path.join(dir, 'Data.fs'), options)],
  ['MappingStorage', async (_dir, options) => new MappingStorage(options)],
];

const record = (text: string): Buffer => Buffer.from(`record:${text}`);

function oneTickAfter(tid: Tid): Tid {
  const next = Buffer.from(tid);
  next.writeUInt32BE(next.readUInt32BE(4) + 1, 4);
  return next;
}

for (const [kind, create] of implementations) {
  describe(`Storage behaviour: ${kind}`, () => {
    const tempDir = useTempDir();
    let clock: ManualClock;
    let storage: Storage;

    async function open(options: BaseStorageOptions = {}): Promise<Storage> {
      storage = await create(tempDir(), { clock: clock.read, ...options });
      return storage;
    }

    beforeEach(async () => {
      clock = new ManualClock();
      await open();
    });

    afterEach(async () => {
      await storage.close();
    });

    it('starts empty', async () => {
      expect(storage.lastTransaction().equals(z64)).to.equal(true);
      expect(storage.getLength()).to.equal(0);
      expect(storage.isReadOnly()).to.equal(false);
      const error = await storage.load(z64).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(POSKeyError);
      expect((error as POSKeyError).oid.equals(z64)).to.equal(true);
      expect((error as POSKeyError).message).to.contain('0x00');
      expect(await storage.lastInvalidations(5)).to.deep.equal([]);
    });

    it('allocates fresh ascending oids after the largest stored one', async () => {
      expect((await storage.newOid()).equals(p64(1))).to.equal(true);
      const more = await storage.newOids(3);
      expect(more.map((o) => o.readBigUInt64BE(0))).to.deep.equal([2n, 3n, 4n]);
      await commit(storage, [[p64(10), z64, record('ten')]]);
      expect((await storage.newOid()).readBigUInt64BE(0)).to.equal(11n);
      await rejects(storage.newOids(0), InvalidArgumentError);
    });

    it('commits: load returns the data with the new tid, and an invalidation is emitted', async () => {
      const seen: Invalidation[] = [];
      storage.on('invalidation', (inv) => seen.push(inv));
      const tid = await commit(storage, [
        [z64, z64, record('root')],
        [p64(1), z64, record('one')],
      ]);
      expect(tid.equals(TimeStamp.fromTime(clock.now).raw())).to.equal(true);
      expect(storage.lastTransaction().equals(tid)).to.equal(true);
      const loaded = await storage.load(z64);
      expect(loaded.data.toString()).to.equal('record:root');
      expect(loaded.serial.equals(tid)).to.equal(true);
      expect((await storage.getTid(p64(1))).equals(tid)).to.equal(true);
      expect(storage.getLength()).to.equal(2);
      expect(seen).to.have.length(1);
      expect(seen[0]?.tid.equals(tid)).to.equal(true);
      expect(seen[0]?.oids.map((o) => o.readBigUInt64BE(0))).to.deep.equal([0n, 1n]);
    });

    it('logs, and does not fail the commit, when an invalidation listener throws', async () => {
      await storage.close();
      const logger = recordingLogger();
      await open({ logger });
      storage.on('invalidation', () => {
        throw new Error('listener bug');
      });
      const tid = await commit(storage, [[p64(1), z64, record('durable')]]);
      expect((await storage.load(p64(1))).serial.equals(tid)).to.equal(true);
      expect(logger.entries.map((e) => [e.level, e.message])).to.deep.equal([['error', `an invalidation listener of ${storage.getName()} failed`]]);
      await commit(storage, [[p64(1), tid, record('next')]]);
    });

    describe('with three revisions', () => {
      let tids: Tid[];
      beforeEach(async () => {
        tids = [];
        let serial = z64;
        for (const [i, note] of ['first', 'second', 'third'].entries()) {
          clock.now += 1000;
          serial = await commit(storage, [[p64(1), serial, record(note)]], meta('/ alice', `commit ${i}`, Buffer.from([0x80, 0x03, 0x7d, 0x2e])));
          tids.push(serial);
        }
        clock.now += 1000;
        await commit(storage, [[p64(2), z64, record('other')]]);
      });

      it('loadBefore returns the revision current just before a tid, with the tid that ended it', async () => {
        const [t1, t2, t3] = tids as [Tid, Tid, Tid];
        expect(await storage.loadBefore(p64(1), t1)).to.equal(null);
        const first = await storage.loadBefore(p64(1), t2);
        expect(first?.data.toString()).to.equal('record:first');
        expect(first?.serial.equals(t1)).to.equal(true);
        expect(first?.nextSerial?.equals(t2)).to.equal(true);
        const justAfter = await storage.loadBefore(p64(1), oneTickAfter(t2));
        expect(justAfter?.data.toString()).to.equal('record:second');
        expect(justAfter?.nextSerial?.equals(t3)).to.equal(true);
        const current = await storage.loadBefore(p64(1), maxTid);
        expect(current?.data.toString()).to.equal('record:third');
        expect(current?.serial.equals(t3)).to.equal(true);
        expect(current?.nextSerial).to.equal(null);
        await rejects(storage.loadBefore(p64(99), maxTid), POSKeyError);
      });

      it('loadSerial returns each revision and refuses unknown serials', async () => {
        for (const [i, note] of ['first', 'second', 'third'].entries()) {
          expect((await storage.loadSerial(p64(1), tids[i] as Tid)).toString()).to.equal(`record:${note}`);
        }
        const error = await storage.loadSerial(p64(1), oneTickAfter(tids[0] as Tid)).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(POSKeyError);
        expect(await storage.loadSerial(p64(2), z64).catch((e: unknown) => e)).to.be.instanceOf(POSKeyError);
      });

      it('history lists revisions newest first with their transaction metadata', async () => {
        const history = await storage.history(p64(1), 10);
        expect(history.map((h) => h.description.toString())).to.deep.equal(['commit 2', 'commit 1', 'commit 0']);
        expect(history.map((h) => h.tid.toString('hex'))).to.deep.equal([...tids].reverse().map((t) => t.toString('hex')));
        for (const entry of history) {
          expect(entry.userName.toString()).to.equal('/ alice');
          expect(entry.extension.toString('hex')).to.equal('80037d2e');
          expect(entry.time).to.equal(TimeStamp.fromBytes(entry.tid).timeTime());
        }
        expect(history.map((h) => h.size)).to.deep.equal(['third', 'second', 'first'].map((n) => record(n).length));
        expect(await storage.history(p64(1))).to.have.length(1);
        expect((await storage.history(p64(1), 2)).map((h) => h.description.toString())).to.deep.equal(['commit 2', 'commit 1']);
        expect(await storage.history(p64(7)).catch((e: unknown) => e)).to.be.instanceOf(POSKeyError);
      });

      it('lastInvalidations lists the last transactions oldest first', async () => {
        const last = await storage.lastInvalidations(2);
        expect(last.map((i) => i.tid.equals(tids[2] as Tid))).to.deep.equal([true, false]);
        expect(last.map((i) => i.oids.map((o) => o.readBigUInt64BE(0)))).to.deep.equal([[1n], [2n]]);
        expect(await storage.lastInvalidations(100)).to.have.length(4);
      });
    });

    it('detects a write conflict at vote and leaves the storage unchanged after abort', async () => {
      const t1 = await commit(storage, [[p64(1), z64, record('v1')]]);
      clock.now += 1000;
      const t2 = await commit(storage, [[p64(1), t1, record('v2')]]);
      const txn = meta('/ bob', 'stale write');
      const seen: Invalidation[] = [];
      storage.on('invalidation', (inv) => seen.push(inv));
      await storage.tpcBegin(txn);
      await storage.store(p64(1), t1, record('stale'), txn);
      await storage.store(p64(2), z64, record('new'), txn);
      const error = await storage.tpcVote(txn).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConflictError);
      expect(error).not.to.be.instanceOf(ReadConflictError);
      const conflict = error as ConflictError;
      expect(conflict.code).to.equal('STORAGE_CONFLICT');
      expect(conflict.retryable).to.equal(true);
      expect(conflict.oid?.equals(p64(1))).to.equal(true);
      expect(conflict.serials?.[0].equals(t2)).to.equal(true);
      expect(conflict.serials?.[1].equals(t1)).to.equal(true);
      expect(conflict.data?.toString()).to.equal('record:stale');
      expect(conflict.message).to.match(/^database conflict error \(oid 0x01, serial this txn started with 0x[0-9a-f]+ 2026-01-02/);
      await storage.tpcAbort(txn);
      expect((await storage.load(p64(1))).data.toString()).to.equal('record:v2');
      expect(storage.lastTransaction().equals(t2)).to.equal(true);
      expect(await storage.load(p64(2)).catch((e: unknown) => e)).to.be.instanceOf(POSKeyError);
      expect(seen).to.deep.equal([]);
      // The commit lock was released: the next transaction commits.
      await commit(storage, [[p64(1), t2, record('v3')]]);
    });

    it('reports every conflict of the vote, and a new object stored over an existing one', async () => {
      const t1 = await commit(storage, [
        [p64(1), z64, record('a')],
        [p64(2), z64, record('b')],
      ]);
      const txn = meta();
      await storage.tpcBegin(txn);
      await storage.store(p64(1), z64, record('a2'), txn);
      await storage.store(p64(2), z64, record('b2'), txn);
      const error = (await storage.tpcVote(txn).catch((e: unknown) => e)) as ConflictError;
      expect(error).to.be.instanceOf(ConflictError);
      expect(error.conflicts.map((c) => c.oid.readBigUInt64BE(0))).to.deep.equal([1n, 2n]);
      expect(error.conflicts.every((c) => c.serials[0].equals(t1) && c.serials[1].equals(z64))).to.equal(true);
      await storage.tpcAbort(txn);
    });

    it('checkCurrentSerialInTransaction fails the vote with a ReadConflictError when the object changed', async () => {
      const t1 = await commit(storage, [[p64(1), z64, record('a')], [p64(2), z64, record('b')]]);
      clock.now += 1000;
      const t2 = await commit(storage, [[p64(2), t1, record('b2')]]);
      const ok = meta();
      await storage.tpcBegin(ok);
      await storage.checkCurrentSerialInTransaction(p64(1), t1, ok);
      await storage.store(p64(3), z64, record('c'), ok);
      expect(await storage.tpcVote(ok)).to.deep.equal([]);
      await storage.tpcFinish(ok);
      const stale = meta();
      await storage.tpcBegin(stale);
      await storage.checkCurrentSerialInTransaction(p64(2), t1, stale);
      const error = (await storage.tpcVote(stale).catch((e: unknown) => e)) as ReadConflictError;
      expect(error).to.be.instanceOf(ReadConflictError);
      expect(error.code).to.equal('STORAGE_READ_CONFLICT');
      expect(error.retryable).to.equal(true);
      expect(error.serials?.[0].equals(t2)).to.equal(true);
      expect(error.message).to.match(/^database read conflict error \(oid 0x02/);
      await storage.tpcAbort(stale);
    });

    it('resolves conflicts through the resolver option and reports the resolved oids at vote', async () => {
      await storage.close();
      const calls: string[] = [];
      await open({
        resolveConflict: async (oid, committed, old, data) => {
          calls.push(`${oid.readBigUInt64BE(0)} ${committed.equals(old)} ${data.toString()}`);
          return data.toString() === 'record:unresolvable' ? null : Buffer.from('resolved');
        },
      });
      const t1 = await commit(storage, [[p64(1), z64, record('v1')]]);
      clock.now += 1000;
      await commit(storage, [[p64(1), t1, record('v2')]]);
      const txn = meta();
      await storage.tpcBegin(txn);
      await storage.store(p64(1), t1, record('v3'), txn);
      const resolved = await storage.tpcVote(txn);
      expect(resolved.map((o) => o.readBigUInt64BE(0))).to.deep.equal([1n]);
      await storage.tpcFinish(txn);
      expect((await storage.load(p64(1))).data.toString()).to.equal('resolved');
      expect(calls).to.deep.equal(['1 false record:v3']);
      const again = meta();
      await storage.tpcBegin(again);
      await storage.store(p64(1), t1, record('unresolvable'), again);
      expect(await storage.tpcVote(again).catch((e: unknown) => e)).to.be.instanceOf(ConflictError);
      await storage.tpcAbort(again);
    });

    it('abort after vote leaves the storage unchanged', async () => {
      const t1 = await commit(storage, [[p64(1), z64, record('kept')]]);
      const size = storage.getSize();
      const txn = meta();
      await storage.tpcBegin(txn);
      await storage.store(p64(1), t1, record('dropped'), txn);
      await storage.tpcVote(txn);
      await storage.tpcAbort(txn);
      expect((await storage.load(p64(1))).data.toString()).to.equal('record:kept');
      expect(storage.getSize()).to.equal(size);
      expect(storage.lastTransaction().equals(t1)).to.equal(true);
      await storage.tpcAbort(txn);
    });

    it('enforces the order of two-phase-commit calls', async () => {
      const txn = meta();
      const other = meta();
      await rejects(storage.store(p64(1), z64, record('x'), txn), StorageTransactionError);
      await storage.tpcBegin(txn);
      await rejects(storage.tpcBegin(txn), StorageTransactionError, /duplicate/);
      await rejects(storage.store(p64(1), z64, record('x'), other), StorageTransactionError);
      await rejects(storage.store(p64(1), z64, Buffer.alloc(0), txn), InvalidArgumentError);
      await rejects(storage.tpcFinish(txn), StorageTransactionError, /before tpcVote/);
      await storage.store(p64(1), z64, record('x'), txn);
      await storage.tpcVote(txn);
      await rejects(storage.tpcVote(txn), StorageTransactionError);
      await rejects(storage.store(p64(2), z64, record('y'), txn), StorageTransactionError);
      await storage.tpcFinish(txn);
      await rejects(storage.tpcFinish(txn), StorageTransactionError);
      await storage.tpcAbort(other);
    });

    it('refuses oversized metadata before taking the commit lock', async () => {
      const txn = { user: Buffer.alloc(70000), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
      await rejects(storage.tpcBegin(txn), InvalidArgumentError, /user is 70000 bytes/);
      await commit(storage, [[p64(1), z64, record('fine')]]);
    });

    it('runs one transaction at a time: a second tpcBegin waits for the first to finish', async () => {
      const first = meta('', 'first');
      const second = meta('', 'second');
      await storage.tpcBegin(first);
      let secondBegun = false;
      const waiting = storage.tpcBegin(second).then(() => {
        secondBegun = true;
      });
      await storage.store(p64(1), z64, record('1'), first);
      await storage.tpcVote(first);
      expect(secondBegun).to.equal(false);
      const t1 = await storage.tpcFinish(first);
      await waiting;
      expect(secondBegun).to.equal(true);
      await storage.store(p64(2), z64, record('2'), second);
      await storage.tpcVote(second);
      const t2 = await storage.tpcFinish(second);
      expect(t2.compare(t1)).to.be.greaterThan(0);
    });

    it('aborting a transaction still waiting for the lock rejects its tpcBegin', async () => {
      const first = meta();
      const second = meta();
      await storage.tpcBegin(first);
      const waiting = storage.tpcBegin(second).catch((e: unknown) => e);
      await storage.tpcAbort(second);
      expect(await waiting).to.be.instanceOf(StorageTransactionError);
      await storage.tpcAbort(first);
      await commit(storage, [[p64(1), z64, record('after')]]);
    });

    it('hands out strictly increasing tids even when the clock goes back', async () => {
      const t1 = await commit(storage, [[p64(1), z64, record('1')]]);
      clock.now -= 3_600_000;
      const t2 = await commit(storage, [[p64(1), t1, record('2')]]);
      expect(t2.compare(t1)).to.be.greaterThan(0);
      expect(t2.readUInt32BE(4)).to.equal(t1.readUInt32BE(4) + 1);
      // A transaction that aborts still consumes its tid.
      const aborted = meta();
      await storage.tpcBegin(aborted);
      await storage.tpcAbort(aborted);
      const t3 = await commit(storage, [[p64(1), t2, record('3')]]);
      expect(t3.readUInt32BE(4)).to.equal(t2.readUInt32BE(4) + 2);
      clock.now += 7_200_000;
      const t4 = await commit(storage, [[p64(1), t3, record('4')]]);
      expect(t4.equals(TimeStamp.fromTime(clock.now).raw())).to.equal(true);
    });

    it('commits with an explicit tid, which must be later than the last transaction', async () => {
      const t1 = await commit(storage, [[p64(1), z64, record('1')]]);
      const txn = meta();
      await rejects(storage.tpcBegin(txn, { tid: t1 }), InvalidArgumentError, /not later/);
      const chosen = oneTickAfter(oneTickAfter(t1));
      await storage.tpcBegin(txn, { tid: chosen });
      await storage.store(p64(1), t1, record('2'), txn);
      await storage.tpcVote(txn);
      expect((await storage.tpcFinish(txn)).equals(chosen)).to.equal(true);
      clock.now -= 1000;
      const next = await commit(storage, [[p64(2), z64, record('x')]]);
      expect(next.equals(oneTickAfter(chosen))).to.equal(true);
    });

    it('keeps the last of two stores of one oid in a transaction', async () => {
      const txn = meta();
      await storage.tpcBegin(txn);
      await storage.store(p64(1), z64, record('first'), txn);
      await storage.store(p64(1), z64, record('second'), txn);
      await storage.tpcVote(txn);
      const tid = await storage.tpcFinish(txn);
      expect((await storage.load(p64(1))).data.toString()).to.equal('record:second');
      expect(await storage.loadBefore(p64(1), tid)).to.equal(null);
    });

    it('close aborts the transaction in progress and makes later calls fail', async () => {
      const t1 = await commit(storage, [[p64(1), z64, record('1')]]);
      const txn = meta();
      await storage.tpcBegin(txn);
      const waiter = meta();
      const waiting = storage.tpcBegin(waiter).catch((e: unknown) => e);
      await storage.store(p64(1), t1, record('2'), txn);
      await storage.tpcVote(txn);
      await storage.close();
      expect(await waiting).to.be.instanceOf(StorageClosedError);
      expect(await storage.load(p64(1)).catch((e: unknown) => e)).to.be.instanceOf(StorageClosedError);
      await storage.close();
      if (storage instanceof FileStorage) {
        const reopened = await open();
        expect((await reopened.load(p64(1))).data.toString()).to.equal('record:1');
      }
    });
  });
}
