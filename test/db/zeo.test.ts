// The object layer over ZEO: two databases, each on its own ClientStorage,
// talking to one of our StorageServers on loopback.
import { expect } from 'chai';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { DB } from '../../src/db/db.js';
import { Persistent } from '../../src/db/persistent.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { ConflictError } from '../../src/zeo/errors.js';
import { startServer, stopAllServers } from '../zeo/client/server-harness.js';

class Counter extends Persistent {
  value = 0;
}

const registry = new ClassRegistry();
registry.register('app.Counter', Counter);

describe('db over ZEO (our server, loopback)', () => {
  const clients: ClientStorage[] = [];
  const dbs: DB[] = [];

  async function openDb(address: string): Promise<{ db: DB; client: ClientStorage }> {
    const client = await ClientStorage.open({ addresses: [address], waitTimeout: 10 });
    clients.push(client);
    const db = new DB(client.asStorage(), { classRegistry: registry });
    dbs.push(db);
    return { db, client };
  }

  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.close()));
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await stopAllServers();
  });

  it('shows a change committed through one client at the other database’s next transaction, not before', async () => {
    const server = await startServer();
    const a = await openDb(server.address);
    const b = await openDb(server.address);
    await a.db.transaction(async (conn) => {
      (await conn.root()).set('counter', new Counter());
    });
    await b.client.ping();
    const reader = await b.db.open();
    const root = await reader.root();
    const counter = root.get('counter') as Counter;
    await counter._p_activate();
    expect(counter.value).to.equal(0);

    await a.db.transaction(async (conn) => {
      const c = (await conn.root()).get('counter') as Counter;
      await c._p_activate();
      c.value = 42;
      (await conn.root()).set('note', 'from a');
    });
    // The invalidation has reached client b once a round trip to the server is done.
    await b.client.ping();
    expect(counter.value).to.equal(0);
    expect(root.get('note')).to.equal(undefined);
    await reader.begin();
    await reader.activate([root, counter]);
    expect(counter.value).to.equal(42);
    expect(root.get('note')).to.equal('from a');
    await reader.close();
  });

  it('ends with exactly 1,600 after 8 connections on two clients increment one counter 200 times each', async function () {
    this.timeout(120_000);
    const server = await startServer();
    const a = await openDb(server.address);
    const b = await openDb(server.address);
    await a.db.transaction(async (conn) => {
      (await conn.root()).set('counter', new Counter());
    });
    const worker = async (index: number): Promise<void> => {
      const db = index % 2 === 0 ? a.db : b.db;
      for (let i = 0; i < 200; i++) {
        await db.transaction(
          async (conn) => {
            const counter = (await conn.root()).get('counter') as Counter;
            await counter._p_activate();
            counter.value += 1;
          },
          { retries: 10_000, minDelayMS: 0, maxDelayMS: 5 },
        );
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => worker(i)));
    const conn = await a.db.open();
    const counter = (await conn.root()).get('counter') as Counter;
    await counter._p_activate();
    expect(counter.value).to.equal(1600);
    await conn.close();
  });

  it('reports a ZEO conflict as the retryable ConflictError of the ZEO layer', async () => {
    const server = await startServer();
    const a = await openDb(server.address);
    const b = await openDb(server.address);
    await a.db.transaction(async (conn) => {
      (await conn.root()).set('m', new PersistentMapping());
    });
    await b.client.ping();
    const c1 = await a.db.open();
    const c2 = await b.db.open();
    const m1 = (await c1.root()).get('m') as PersistentMapping;
    const m2 = (await c2.root()).get('m') as PersistentMapping;
    await c1.activate(m1);
    await c2.activate(m2);
    m1.set('x', 1);
    m2.set('x', 2);
    await c1.commit();
    let caught: unknown;
    try {
      await c2.commit();
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ConflictError);
    expect((caught as ConflictError).retryable).to.equal(true);
    await c1.close();
    await c2.close();
  });
});
