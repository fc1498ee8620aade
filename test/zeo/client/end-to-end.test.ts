// ClientStorage against our own StorageServer on loopback.
import { expect } from 'chai';
import { MappingStorage } from '../../../src/storage/mapping-storage.js';
import { oidKey, p64, z64, type Oid, type Tid } from '../../../src/storage/oid.js';
import type { Invalidation, TransactionMetaData } from '../../../src/storage/storage.js';
import { StorageServer } from '../../../src/server/storage-server.js';
import { ClientStorage } from '../../../src/zeo/client/client-storage.js';
import type { ClientStorageOptions } from '../../../src/zeo/client/options.js';
import { ConflictError, POSKeyError, ReadConflictError, ReadOnlyError, StorageTransactionError } from '../../../src/storage/errors.js';
import { after, outcome } from './fixture-helpers.js';
import { startServer, stopAllServers } from './server-harness.js';

const clients: ClientStorage[] = [];

async function open(options: ClientStorageOptions): Promise<ClientStorage> {
  const storage = await ClientStorage.open({ waitTimeout: 10, ...options });
  clients.push(storage);
  return storage;
}

function txn(description = ''): TransactionMetaData {
  return { user: Buffer.from('/ tester'), description: Buffer.from(description), extension: Buffer.alloc(0) };
}

/** Commits `records` (oid → [serial read, data]) in one transaction. */
async function commit(storage: ClientStorage, records: [Oid, Tid, Buffer][]): Promise<Tid> {
  const t = txn('commit');
  await storage.tpcBegin(t);
  try {
    for (const [oid, serial, data] of records) await storage.store(oid, serial, data, t);
    await storage.tpcVote(t);
    return await storage.tpcFinish(t);
  } catch (error) {
    await storage.tpcAbort(t);
    throw error;
  }
}

for (const encoding of ['msgpack', 'pickle'] as const) {
  describe(`zeo/client end to end (${encoding})`, () => {
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await stopAllServers();
    });

    it('commits, loads back, and keeps history; another client sees the invalidation', async () => {
      const server = await startServer({ msgpack: encoding === 'msgpack' });
      const writer = await open({ addresses: [server.address], encoding });
      const reader = await open({ addresses: [server.address], encoding });
      expect((await outcome(reader.load(z64))).error).to.be.instanceOf(POSKeyError);
      const seen: Invalidation[] = [];
      reader.on('invalidations', (event) => seen.push(event));
      const t1 = await commit(writer, [[z64, z64, Buffer.from('root v1')]]);
      const child = await writer.newOid();
      const t2 = await commit(writer, [
        [z64, t1, Buffer.from('root v2')],
        [child, z64, Buffer.from('child')],
      ]);
      await reader.ping(); // invalidations sent before the ping reply are processed now
      expect(seen.map((e) => [e.tid, e.oids.map((o) => oidKey(o))])).to.deep.equal([
        [t1, [0]],
        [t2, [0, oidKey(child)]],
      ]);
      expect(reader.lastTransaction()).to.deep.equal(t2);
      expect((await reader.load(z64)).data.toString()).to.equal('root v2');
      const old = await reader.loadBefore(z64, t2);
      expect(old).to.deep.include({ serial: t1, nextSerial: t2 });
      expect(old?.data.toString()).to.equal('root v1');
      expect((await reader.loadSerial(z64, t1)).toString()).to.equal('root v1');
      expect(await reader.getTid(child)).to.deep.equal(t2);
      const history = await reader.history(z64, 5);
      expect(history.map((h) => h.tid)).to.deep.equal([t2, t1]);
      expect(history[0]?.userName.toString()).to.equal('/ tester');
      expect(writer.getLength()).to.equal(2);
    });

    it('pipelines concurrent loads on one connection and answers each caller with its own object', async () => {
      const server = await startServer({ msgpack: encoding === 'msgpack' });
      const writer = await open({ addresses: [server.address], encoding });
      const oids = await writer.newOids(300);
      expect(new Set(oids.map((o) => oidKey(o))).size).to.equal(300);
      expect(oids.map((o) => oidKey(o))).to.deep.equal([...oids.map((o) => oidKey(o))].sort((a, b) => Number(a) - Number(b)));
      await commit(
        writer,
        oids.map((oid) => [oid, z64, Buffer.from(`object ${oidKey(oid)}`)]),
      );
      const reader = await open({ addresses: [server.address], encoding, cacheSize: 0 });
      const results = await Promise.all(oids.map((oid) => reader.load(oid)));
      expect(results.map((r) => r.data.toString())).to.deep.equal(oids.map((oid) => `object ${oidKey(oid)}`));
      // The same object loaded twice at once is asked for once and answered twice.
      const [a, b] = await Promise.all([reader.load(oids[0] as Oid), reader.load(oids[0] as Oid)]);
      expect(a.data.toString()).to.equal(b.data.toString());
    });

    it('runs one transaction at a time per client, and refuses calls for a transaction not begun', async () => {
      const server = await startServer({ msgpack: encoding === 'msgpack' });
      const writer = await open({ addresses: [server.address], encoding });
      const a = txn('a');
      const b = txn('b');
      expect((await outcome(writer.store(z64, z64, Buffer.from('x'), a))).error).to.be.instanceOf(StorageTransactionError);
      await writer.tpcBegin(a);
      expect((await outcome(writer.tpcBegin(a))).error).to.be.instanceOf(StorageTransactionError);
      let bBegun = false;
      const bBegin = writer.tpcBegin(b).then(() => (bBegun = true));
      await writer.store(z64, z64, Buffer.from('a'), a);
      await writer.tpcVote(a);
      expect(bBegun, 'b waits while a is in progress').to.equal(false);
      const ta = await writer.tpcFinish(a);
      await bBegin;
      await writer.store(z64, ta, Buffer.from('b'), b);
      await writer.tpcVote(b);
      const tb = await writer.tpcFinish(b);
      expect((await writer.load(z64)).serial).to.deep.equal(tb);
    });

    it('reports a write conflict at vote and a read conflict for checkCurrentSerialInTransaction', async () => {
      const server = await startServer({ msgpack: encoding === 'msgpack' });
      const one = await open({ addresses: [server.address], encoding });
      const two = await open({ addresses: [server.address], encoding });
      const t1 = await commit(one, [
        [z64, z64, Buffer.from('v1')],
        [p64(1), z64, Buffer.from('other v1')],
      ]);
      await commit(one, [
        [z64, t1, Buffer.from('v2')],
        [p64(1), t1, Buffer.from('other v2')],
      ]);
      const write = await outcome(commit(two, [[z64, t1, Buffer.from('v2 from two')]]));
      expect(write.error).to.be.instanceOf(ConflictError);
      expect((write.error as ConflictError).oid).to.deep.equal(z64);

      const t = txn('read current');
      await two.tpcBegin(t);
      await two.checkCurrentSerialInTransaction(p64(1), t1, t);
      await two.store(z64, await two.getTid(z64), Buffer.from('v3'), t);
      const read = await outcome(two.tpcVote(t));
      expect(read.error).to.be.instanceOf(ReadConflictError);
      await two.tpcAbort(t);
    });

    it('resolves conflicts on the client when the server hands them back', async () => {
      const storage = new MappingStorage();
      const server = await StorageServer.create({ storages: { '1': storage }, clientConflictResolution: true, msgpack: encoding === 'msgpack' });
      const bound = await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
      const address = `127.0.0.1:${bound.family === 'unix' ? 0 : bound.port}`;
      try {
        const resolved: string[] = [];
        const one = await open({ addresses: [address], encoding });
        const two = await open({
          addresses: [address],
          encoding,
          conflictResolver: async (_oid, committed, old, data) => {
            resolved.push(`${data.toString()} over ${(await two.loadSerial(z64, committed)).toString()} (old ${(await two.loadSerial(z64, old)).toString()})`);
            return Buffer.from('merged');
          },
        });
        const t0 = await commit(one, [[z64, z64, Buffer.from('base')]]);
        await commit(one, [[z64, t0, Buffer.from('one')]]);
        const t = txn('resolve');
        await two.tpcBegin(t);
        await two.store(z64, t0, Buffer.from('two'), t);
        expect((await two.tpcVote(t)).map((o) => oidKey(o))).to.deep.equal([0]);
        const tid = await two.tpcFinish(t);
        expect(resolved).to.deep.equal(['two over one (old base)']);
        expect((await one.loadSerial(z64, tid)).toString()).to.equal('merged');
      } finally {
        await Promise.all(clients.splice(0).map((c) => c.close()));
        await server.close();
      }
    });

    it('a read-only server serves loads and refuses commits', async () => {
      const storage = new MappingStorage();
      const writable = await startServer({ storage, msgpack: encoding === 'msgpack' });
      const writer = await open({ addresses: [writable.address], encoding });
      await commit(writer, [[z64, z64, Buffer.from('root')]]);
      const readOnly = await startServer({ storage, readOnly: true, msgpack: encoding === 'msgpack' });
      const reader = await open({ addresses: [readOnly.address], encoding, readOnlyFallback: true });
      expect(reader.isReadOnly()).to.equal(true);
      expect((await reader.load(z64)).data.toString()).to.equal('root');
      expect((await outcome(reader.tpcBegin(txn()))).error).to.be.instanceOf(ReadOnlyError);
    });

    it("moving to another server, does not wait for its info to connect, yet has it before the first reply", async () => {
      const first = await startServer({ storage: new MappingStorage({ name: 'first' }), msgpack: encoding === 'msgpack' });
      const storage = await open({ addresses: [first.address], encoding, minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05 });
      expect(storage.serverInfo.get('name'), 'the first connection waits for the info').to.equal('first');
      const second = await startServer({ storage: new MappingStorage({ name: 'second' }), msgpack: encoding === 'msgpack' });
      const infoWhenConnected = new Promise((resolve) => storage.once('connected', () => resolve(storage.serverInfo.get('name'))));
      storage.setAddresses([second.address]);
      expect(await infoWhenConnected, 'connected before the info came').to.equal('first');
      await storage.ping();
      expect(storage.serverInfo.get('name')).to.equal('second');
    });

    it('after a server restart, reconnects and brings its cache up to date (quick verification)', async () => {
      const storage = new MappingStorage();
      const server = await startServer({ storage, msgpack: encoding === 'msgpack' });
      const port = Number(server.address.split(':')[1]);
      const watcher = await open({ addresses: [server.address], encoding, minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05 });
      const writer = await open({ addresses: [server.address], encoding, minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05 });
      const t1 = await commit(writer, [[z64, z64, Buffer.from('before')]]);
      await watcher.ping();
      expect((await watcher.load(z64)).data.toString()).to.equal('before');

      const gone = new Promise((resolve) => watcher.once('disconnected', resolve));
      await server.stop();
      await gone;
      // While the watcher is away, the database changes behind its back.
      const t = txn('offline');
      await storage.tpcBegin(t);
      await storage.store(z64, t1, Buffer.from('after'), t);
      await storage.tpcVote(t);
      const t2 = await storage.tpcFinish(t);

      const invalidated = new Promise<[Invalidation, Tid]>((resolve) =>
        watcher.once('invalidations', (event) => resolve([event, watcher.lastTransaction()])),
      );
      const back = new Promise<{ verification: string }>((resolve) => watcher.once('connected', resolve));
      await startServer({ storage, port, msgpack: encoding === 'msgpack' });
      expect((await back).verification).to.equal('quick verification');
      const [invalidation, lastDuring] = await invalidated;
      expect(invalidation).to.deep.equal({ tid: t2, oids: [z64] });
      expect(lastDuring, 'lastTransaction moves after the invalidations are reported').to.deep.equal(t1);
      expect(watcher.lastTransaction()).to.deep.equal(t2);
      expect((await watcher.loadBefore(z64, after(t2)))?.data.toString()).to.equal('after');
      // The old revision is still known for readers that started before t2.
      expect((await watcher.loadBefore(z64, t2))?.data.toString()).to.equal('before');
    });
  });
}
