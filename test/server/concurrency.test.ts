import { expect } from 'chai';
import path from 'node:path';
import { StorageServer } from '../../src/server/storage-server.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { z64 } from '../../src/storage/oid.js';
import { ConflictError } from '../../src/storage/errors.js';
import { RawClient } from './raw-client.js';
import { cleanUp, startServer, tempDir } from './server-fixture.js';

const MAX_TID = Buffer.from('7fffffffffffffff', 'hex');

/** Increments the counter at `oid` `times` times, retrying on conflicts; returns how many conflicts it met. */
async function increment(client: RawClient, oid: Buffer, times: number, handle: number): Promise<number> {
  let conflicts = 0;
  for (let done = 0; done < times; ) {
    const [data, serial] = (await client.call('loadBefore', [oid, MAX_TID])) as [Buffer, Buffer, null];
    const next = Buffer.from(String(Number(data.toString()) + 1));
    try {
      await client.commit(handle, [[oid, serial, next]]);
      done += 1;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      expect(error.oid).to.deep.equal(oid);
      conflicts += 1;
    }
  }
  return conflicts;
}

describe('server: concurrent commits', () => {
  afterEach(cleanUp);

  for (const kind of ['MappingStorage', 'FileStorage'] as const) {
    it(`${kind}: four clients incrementing one counter lose no update; every conflict is reported`, async () => {
      const storages = kind === 'FileStorage' ? { '1': await FileStorage.open(path.join(await tempDir(), 'Data.fs')) } : undefined;
      const { server, address } = await startServer(storages === undefined ? {} : { storages });
      const clients = await Promise.all([0, 1, 2, 3].map(async (i) => (await RawClient.registered(address, i % 2 ? 'msgpack' : 'pickle')).client));
      const [oid] = (await clients[0]?.call('new_oids', [1])) as Buffer[];
      await clients[0]?.commit(1, [[oid as Buffer, z64, Buffer.from('0')]]);
      const perClient = 25;
      const conflicts = await Promise.all(clients.map((client, i) => increment(client, oid as Buffer, perClient, 100 + i)));
      const { data } = await server.storage('1').load(oid as Buffer);
      expect(Number(data.toString())).to.equal(clients.length * perClient);
      const status = server.status('1');
      expect(status.conflicts).to.equal(conflicts.reduce((a, b) => a + b, 0));
      expect(status.commits).to.equal(1 + clients.length * perClient);
      expect(status).to.include({ activeTxns: 0, waiting: 0, lockTime: null });
      // Every other client heard of every commit it did not make.
      const last = server.storage('1').lastTransaction();
      for (const client of clients) {
        const invalidations = client.received.filter((c) => c.method === 'invalidateTransaction');
        const infos = client.received.filter((c) => c.method === 'info');
        expect(invalidations.length + infos.length).to.be.at.least(1 + clients.length * perClient - 1);
        const tids = [...invalidations.map((c) => c.args[0] as Buffer)];
        expect(tids.every((tid, i) => i === 0 || Buffer.compare(tids[i - 1] as Buffer, tid) < 0), 'invalidations in tid order').to.equal(true);
      }
      expect(last).to.have.length(8);
    });
  }

  it('clients committing different objects never conflict and all commits land', async () => {
    const { server, address } = await startServer();
    const clients = await Promise.all([0, 1, 2, 3, 4, 5].map(async () => (await RawClient.registered(address)).client));
    const oids = (await clients[0]?.call('new_oids', [clients.length])) as Buffer[];
    const rounds = 20;
    await Promise.all(
      clients.map(async (client, i) => {
        let serial = z64;
        for (let round = 0; round < rounds; round++) serial = await client.commit(i + 1, [[oids[i] as Buffer, serial, Buffer.from(`${i}:${round}`)]]);
      }),
    );
    for (const [i, oid] of oids.entries()) {
      expect((await server.storage('1').load(oid)).data.toString()).to.equal(`${i}:${rounds - 1}`);
    }
    expect(server.status('1')).to.include({ conflicts: 0, commits: clients.length * rounds });
  });

  it('serves several named storages, each with its own commits and invalidations', async () => {
    const { MappingStorage } = await import('../../src/storage/mapping-storage.js');
    const server = await StorageServer.create({ storages: new Map([['1', new MappingStorage()], ['other', new MappingStorage()]]) });
    try {
      const address = await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
      const one = (await RawClient.registered(address, 'pickle', '1')).client;
      const watcher = (await RawClient.registered(address, 'pickle', '1')).client;
      const other = (await RawClient.registered(address, 'pickle', 'other')).client;
      const [oid] = (await other.call('new_oids', [1])) as Buffer[];
      await other.commit(1, [[oid as Buffer, z64, Buffer.from('x')]]);
      await one.call('ping');
      expect(watcher.received).to.deep.equal([]);
      expect(server.storage('1').lastTransaction()).to.deep.equal(z64);
      const unknown = await RawClient.connect(address);
      const error = await unknown.call('register', ['nope', false]).catch((e: unknown) => e);
      expect((error as Error).message).to.contain('unknown storage: nope');
    } finally {
      await server.close();
    }
  });
});
