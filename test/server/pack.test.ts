// Packing through the ZEO server, end to end: our server on a real socket
// (MappingStorage and FileStorage), our ClientStorage or a raw client
// calling pack with and without waiting, the `info` push to every client,
// read-only connections, typed errors, and the pack settings of a
// <filestorage> configuration.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PyFloat } from '../../src/pickle/values.js';
import type { BoundAddress } from '../../src/server/listen.js';
import { startZeoServer, type RunningZeoServer } from '../../src/server/run-server.js';
import { PackError, POSKeyError, ReadOnlyError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { maxTid, p64, z64, type Tid } from '../../src/storage/oid.js';
import type { Storage } from '../../src/storage/storage.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { UnsupportedOperationError } from '../../src/zeo/client/errors.js';
import { packArguments } from '../../src/zeo/client/pack-request.js';
import { PYTHON_EXCEPTION_CLASSES, PackError as WirePackError, ServerError } from '../../src/zeo/errors.js';
import { recordingLogger } from '../support/logger.js';
import { ManualClock, commit, objectRecord, rejects, timeAfter } from '../storage/storage-test-support.js';
import { RawClient } from './raw-client.js';
import { cleanUp, startServer, tempDir } from './server-fixture.js';




const A = p64(1);
const B = p64(2);
const C = p64(3);
const PACK_STARTED = /^pack\(time=[\d.]+\) started\.\.\.$/;

/**
 * Root → A → B, then root and A rewritten with B dropped: a pack after the
 * second transaction removes two old revisions and B.
 */
async function populate(storage: Storage, clock?: ManualClock): Promise<{ t1: Tid; t2: Tid }> {
  const t1 = await commit(storage, [
    [z64, z64, objectRecord([A])],
    [A, z64, objectRecord([B])],
    [B, z64, objectRecord([], [], 'garbage soon')],
  ]);
  if (clock !== undefined) clock.now += 60_000;
  const t2 = await commit(storage, [
    [z64, t1, objectRecord([A], [], 'again')],
    [A, t1, objectRecord()],
  ]);
  if (clock !== undefined) clock.now += 60_000;
  return { t1, t2 };
}

function addressOf(bound: BoundAddress): string {
  if (bound.family === 'unix') return bound.path;
  return `${bound.host}:${bound.port}`;
}

describe('server: pack', () => {
  const clients: ClientStorage[] = [];
  const raws: RawClient[] = [];
  const started: RunningZeoServer[] = [];

  async function openClient(address: BoundAddress, options: { readOnly?: boolean } = {}): Promise<ClientStorage> {
    const client = await ClientStorage.open({ addresses: [addressOf(address)], waitTimeout: 10, ...options });
    clients.push(client);
    return client;
  }

  async function rawClient(address: BoundAddress, readOnly = false, encoding: 'pickle' | 'msgpack' = 'pickle'): Promise<RawClient> {
    const { client } = await RawClient.registered(address, encoding, '1', readOnly);
    raws.push(client);
    return client;
  }

  /** Has `holder` vote a transaction (writing C), which leaves it holding the storage's commit lock. */
  async function holdCommitLock(holder: RawClient): Promise<void> {
    holder.oneWay('tpc_begin', [7, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    holder.oneWay('storea', [C, z64, objectRecord([], [], 'written after the pack time'), 7]);
    await holder.call('vote', [7]);
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(raws.splice(0).map((r) => r.close()));
    await Promise.all(started.splice(0).map((s) => s.close()));
    await cleanUp();
  });

  describe('with a MappingStorage', () => {
    it('packs when the client waits, then pushes the new size info to every client', async () => {
      const clock = new ManualClock();
      const storage = new MappingStorage({ clock: clock.read });
      const logger = recordingLogger();
      const { address } = await startServer({ storages: { '1': storage }, logger });
      const { t2 } = await populate(storage, clock);
      const packer = await openClient(address);
      const other = await rawClient(address);
      const sizeBefore = packer.getSize();
      expect(sizeBefore).to.equal(storage.getSize());

      await packer.pack(timeAfter(t2));

      expect(storage.getLength()).to.equal(2);
      expect(storage.getSize()).to.be.lessThan(sizeBefore);
      await rejects(packer.load(B), POSKeyError);
      expect((await packer.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t2]);
      // The packer had the info before the reply.
      expect([packer.getLength(), packer.getSize()]).to.deep.equal([2, storage.getSize()]);
      const [info] = await other.waitFor('info');
      expect(info?.args).to.deep.equal([
        new Map([
          ['length', 2],
          ['size', storage.getSize()],
        ]),
      ]);
      const messages = logger.entries.filter((e) => e.message.startsWith('pack(')).map((e) => [e.level, e.message]);
      expect(messages).to.have.length(2);
      expect(messages[0]?.[0]).to.equal('info');
      expect(messages[0]?.[1]).to.match(PACK_STARTED);
      expect(messages[1]).to.deep.equal(['info', (messages[0]?.[1] ?? '').replace('started...', 'complete')]);
    });

    it('answers at once without wait, packs in the background once it can, and then pushes the info', async () => {
      const clock = new ManualClock();
      const storage = new MappingStorage({ clock: clock.read });
      const { address } = await startServer({ storages: { '1': storage } });
      const { t2 } = await populate(storage, clock);
      const holder = await rawClient(address);
      await holdCommitLock(holder);
      const packer = await openClient(address);

      // Resolves although the pack cannot start before the holder's transaction ends.
      await packer.pack(timeAfter(t2), { wait: false });
      expect(storage.getLength()).to.equal(3);

      await holder.call('tpc_finish', [7]);
      // One info after the holder's own commit, one after the pack.
      await holder.waitFor('info', 2);
      await rejects(storage.load(B), POSKeyError);
      // C is garbage, but written after the pack time.
      expect(storage.getLength()).to.equal(3);
      expect((await storage.load(C)).data).to.deep.equal(objectRecord([], [], 'written after the pack time'));
    });

    it('answers other calls on the same connection while a waited-for pack is pending', async () => {
      const clock = new ManualClock();
      const storage = new MappingStorage({ clock: clock.read });
      const { address } = await startServer({ storages: { '1': storage }, msgpack: true });
      const { t2 } = await populate(storage, clock);
      const holder = await rawClient(address);
      await holdCommitLock(holder);
      const packer = await rawClient(address, false, 'msgpack');

      let settled = false;
      const packing = packer.call('pack', [new PyFloat(Math.ceil(timeAfter(t2))), 1]).finally(() => (settled = true));
      expect(await packer.call('lastTransaction')).to.deep.equal(t2);
      const loaded = (await packer.call('loadBefore', [B, maxTid])) as unknown[];
      expect(loaded[0]).to.deep.equal(objectRecord([], [], 'garbage soon'));
      expect(settled).to.equal(false);

      await holder.call('tpc_finish', [7]);
      expect(await packing).to.equal(null);
      await rejects(storage.load(B), POSKeyError);
    });

    it('lets a read-only connection pack, and any connection of a read-only server', async () => {
      const clock = new ManualClock();
      const storage = new MappingStorage({ clock: clock.read });
      const { address } = await startServer({ storages: { '1': storage } });
      const { t2 } = await populate(storage, clock);
      const reader = await rawClient(address, true);
      expect(await reader.call('pack', [timeAfter(t2)])).to.equal(null);
      expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t2]);
      await rejects(storage.load(B), POSKeyError);

      const second = new MappingStorage({ clock: clock.read });
      const readOnlyServer = await startServer({ storages: { '1': second }, readOnly: true });
      const { t2: u2 } = await populate(second, clock);
      const client = await openClient(readOnlyServer.address, { readOnly: true });
      await client.pack(timeAfter(u2));
      expect(second.getLength()).to.equal(2);
    });

    it('sends a refused pack as FileStorageError, which our client reads as PackError', async () => {
      const { address, storage } = await startServer();
      await populate(storage);
      const raw = await rawClient(address);
      const sent = await raw.call('pack', [-3e9, true]).catch((error: unknown) => error);
      expect(sent).to.be.instanceOf(ServerError);
      expect((sent as ServerError).pythonClass).to.equal('ZODB.FileStorage.FileStorage.FileStorageError');
      expect((sent as ServerError).payload).to.deep.equal(['Invalid pack time -3000000000 for MappingStorage']);

      const client = await openClient(address);
      const error = await rejects(client.pack(-3e9), PackError, /^Invalid pack time/);
      expect(error).to.be.instanceOf(WirePackError);
      expect(error.code).to.equal('STORAGE_PACK');
      expect((error as WirePackError).pythonClass).to.equal(PYTHON_EXCEPTION_CLASSES.fileStorage);
    });

    it('reports a reference to a missing object as PackError, and leaves the storage as it was', async () => {
      const { address, storage } = await startServer();
      const t1 = await commit(storage, [
        [z64, z64, objectRecord([A])],
        [A, z64, objectRecord([C])],
      ]);
      const client = await openClient(address);
      await rejects(client.pack(timeAfter(t1)), PackError, /oid 0x01 refers to oid 0x03/);
      expect(storage.getLength()).to.equal(2);
    });

    it('logs a pack that fails in the background, after answering', async () => {
      const logger = recordingLogger();
      const { address, storage } = await startServer({ logger });
      await populate(storage);
      const raw = await rawClient(address);
      expect(await raw.call('pack', [-3e9, false])).to.equal(null);
      // The storage refused at once; a round trip later the failure is logged.
      await raw.call('ping');
      const failures = logger.entries.filter((e) => e.level === 'error').map((e) => e.message);
      expect(failures).to.deep.equal(['pack(time=-3000000000.0) failed: Invalid pack time -3000000000 for MappingStorage']);
      expect(raw.received.filter((c) => c.method === 'info')).to.deep.equal([]);
    });

    it('refuses the gc option on the client, sending nothing', async () => {
      const { address, storage } = await startServer();
      const { t2 } = await populate(storage);
      const client = await openClient(address);
      await rejects(client.pack(timeAfter(t2), { gc: false }), UnsupportedOperationError, /pack-gc/);
      expect(storage.getLength()).to.equal(3);
    });
  });

  describe('with a FileStorage', () => {
    it('packs the file, keeps Data.fs.old, and pushes the file size to every client', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'Data.fs');
      const clock = new ManualClock();
      const storage = await FileStorage.open(file, { create: true, fsync: false, clock: clock.read });
      const { address } = await startServer({ storages: { '1': storage } });
      const { t2 } = await populate(storage, clock);
      const other = await rawClient(address);
      const packer = await openClient(address);
      const sizeBefore = (await stat(file)).size;

      await packer.pack(timeAfter(t2));

      const sizeAfter = (await stat(file)).size;
      expect(sizeAfter).to.be.lessThan(sizeBefore);
      expect(existsSync(`${file}.old`)).to.equal(true);
      await rejects(packer.load(B), POSKeyError);
      expect((await packer.load(A)).data).to.deep.equal(objectRecord());
      expect(packer.getSize()).to.equal(sizeAfter);
      const [info] = await other.waitFor('info');
      expect(info?.args).to.deep.equal([
        new Map([
          ['length', 2],
          ['size', sizeAfter],
        ]),
      ]);
    });

    it('packs in the background without wait', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'Data.fs');
      const clock = new ManualClock();
      const storage = await FileStorage.open(file, { create: true, fsync: false, clock: clock.read });
      const { address } = await startServer({ storages: { '1': storage } });
      const { t2 } = await populate(storage, clock);
      const packer = await rawClient(address);
      expect(await packer.call('pack', [timeAfter(t2), 0])).to.equal(null);
      await packer.waitFor('info');
      await rejects(storage.load(B), POSKeyError);
      expect(storage.getSize()).to.equal((await stat(file)).size);
    });

    it('refuses with ReadOnlyError when the file is open read-only', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'Data.fs');
      const writable = await FileStorage.open(file, { create: true, fsync: false });
      const { t2 } = await populate(writable);
      await writable.close();
      const storage = await FileStorage.open(file, { readOnly: true });
      const { address } = await startServer({ storages: { '1': storage } });
      const client = await openClient(address, { readOnly: true });
      await rejects(client.pack(timeAfter(t2)), ReadOnlyError);
      expect(storage.getLength()).to.equal(3);
    });

    it('follows pack-gc and pack-keep-old of a <filestorage> configuration', async () => {
      const dir = await tempDir();
      const file = path.join(dir, 'Data.fs');
      const config = path.join(dir, 'zeo.conf');
      await writeFile(
        config,
        `<zeo>\n  address 127.0.0.1:0\n</zeo>\n<filestorage 1>\n  path ${file}\n  pack-gc false\n  pack-keep-old false\n</filestorage>\n`,
      );
      const running = await startZeoServer({ configFile: config, fsync: false });
      started.push(running);
      const storage = running.server.storage('1');
      const { t2 } = await populate(storage);
      const client = await openClient(running.address);
      await client.pack(timeAfter(t2));
      // Without garbage collection B stays; only old revisions go, and no Data.fs.old is kept.
      expect((await client.load(B)).data).to.deep.equal(objectRecord([], [], 'garbage soon'));
      expect((await client.history(z64, 10)).map((h) => h.tid)).to.deep.equal([t2]);
      expect(existsSync(`${file}.old`)).to.equal(false);
    });
  });

  describe('the client’s pack arguments', () => {
    it('sends the time as a float, minus the days, and the wait flag', () => {
      expect(packArguments(undefined, { days: 2 }, () => 1_000_000_000_000)).to.deep.equal([new PyFloat(1_000_000_000 - 2 * 86_400), true]);
      expect(packArguments(1.5, { wait: false })).to.deep.equal([1.5, false]);
      expect(() => packArguments(Number.NaN, {})).to.throw(PackError, /Invalid pack time NaN/);
    });
  });
});
