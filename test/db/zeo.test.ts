// The object layer over ZEO: two databases, each on its own ClientStorage,
// talking to one of our StorageServers on loopback.
import { expect } from 'chai';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { DB } from '../../src/db/db.js';
import { Persistent } from '../../src/db/persistent.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { ZkzeoError } from '../../src/errors.js';
import { ConflictError as ExportedConflictError, isRetryableError } from '../../src/index.js';
import { ConflictError } from '../../src/storage/errors.js';
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

  it('reports a ZEO conflict as the retryable storage ConflictError', async () => {
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
    expect(caught).to.be.instanceOf(ConflictError).and.instanceOf(ExportedConflictError);
    const conflict = caught as ConflictError;
    expect(conflict.retryable).to.equal(true);
    expect(conflict.code).to.equal('STORAGE_CONFLICT');
    expect(conflict.oid).to.deep.equal(m2._p_oid);
    expect(conflict.className).to.equal('persistent.mapping.PersistentMapping');
    expect(isRetryableError(conflict)).to.equal(true);
    await c1.close();
    await c2.close();
  });

  it('retries a db.transaction whose commit hits a ZEO conflict, by the error’s flag whatever its message', async () => {
    const server = await startServer();
    const a = await openDb(server.address);
    const b = await openDb(server.address);
    await a.db.transaction(async (conn) => {
      (await conn.root()).set('counter', new Counter());
    });
    await b.client.ping();
    const failures: unknown[] = [];
    let attempts = 0;
    await a.db.transaction(
      async (conn) => {
        attempts += 1;
        const counter = (await conn.root()).get('counter') as Counter;
        await conn.activate(counter);
        counter.value += 1;
        if (attempts === 1) {
          // Another client commits the counter meanwhile: this attempt's commit conflicts.
          await b.db.transaction(async (other) => {
            const theirs = (await other.root()).get('counter') as Counter;
            await other.activate(theirs);
            theirs.value += 100;
          });
        }
        try {
          await conn.commit();
        } catch (error) {
          failures.push(error);
          // Only the flag may decide: a message that says nothing about conflicts changes nothing.
          if (error instanceof Error) error.message = 'something unrelated';
          throw error;
        }
      },
      { retries: 5, minDelayMS: 0, maxDelayMS: 5 },
    );
    expect(failures.length).to.be.greaterThanOrEqual(1);
    expect(attempts).to.equal(failures.length + 1);
    for (const failure of failures) {
      expect(failure).to.be.instanceOf(ExportedConflictError);
      expect((failure as ConflictError).retryable).to.equal(true);
      expect((failure as ConflictError).message).to.equal('something unrelated');
    }
    const conn = await a.db.open();
    const counter = (await conn.root()).get('counter') as Counter;
    await conn.activate(counter);
    expect(counter.value).to.equal(101);
    await conn.close();
  });

  it('does not retry an error that only looks like a conflict (its code and message) without the flag', async () => {
    const server = await startServer();
    const a = await openDb(server.address);
    let attempts = 0;
    const impostor = new ZkzeoError('STORAGE_CONFLICT', 'database conflict error (oid 0x00)');
    let caught: unknown;
    try {
      await a.db.transaction(
        () => {
          attempts += 1;
          throw impostor;
        },
        { retries: 5, minDelayMS: 0, maxDelayMS: 5 },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).to.equal(impostor);
    expect(attempts).to.equal(1);
    expect(isRetryableError(impostor)).to.equal(false);
  });
});
