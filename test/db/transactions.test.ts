// Transactions, MVCC and conflicts: two databases on one storage, many
// concurrent writers through db.transaction, read-only databases,
// readCurrent and transaction metadata.
import { expect } from 'chai';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { DB } from '../../src/db/db.js';
import { ConnectionStateError } from '../../src/db/errors.js';
import { Persistent } from '../../src/db/persistent.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { ConflictError, ReadConflictError, ReadOnlyError, StorageClosedError } from '../../src/storage/errors.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { z64 } from '../../src/storage/oid.js';
import { rejection } from '../support/rejection.js';

class Counter extends Persistent {
  value = 0;
}

const registry = new ClassRegistry();
registry.register('app.Counter', Counter);

/**
 * A MappingStorage that calls `onVote` (once) when a transaction votes,
 * then lets the event loop turn before voting: a vote that takes time, as
 * a FileStorage's write does.
 */
class VoteHookStorage extends MappingStorage {
  onVote: (() => void) | undefined;

  protected override async writeVote(): Promise<void> {
    const hook = this.onVote;
    this.onVote = undefined;
    if (hook === undefined) return;
    hook();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('db transactions and MVCC', () => {
  let storage: MappingStorage;
  let dbA: DB;
  let dbB: DB;

  beforeEach(async () => {
    storage = new MappingStorage();
    dbA = new DB(storage, { classRegistry: registry, closeStorage: false });
    dbB = new DB(storage, { classRegistry: registry, closeStorage: false });
    await dbA.transaction(async (conn) => {
      (await conn.root()).set('counter', new Counter());
    });
  });

  afterEach(async () => {
    await dbA.close();
    await dbB.close();
    await storage.close();
  });

  it('shows a change committed by another database at the next transaction, not before', async () => {
    const reader = await dbB.open();
    const root = await reader.root();
    expect(root.get('greeting')).to.equal(undefined);
    const counter = root.get('counter') as Counter;
    await reader.activate(counter);
    expect(counter.value).to.equal(0);

    await dbA.transaction(async (conn) => {
      const r = await conn.root();
      r.set('greeting', 'hello');
      const c = r.get('counter') as Counter;
      await c._p_activate();
      c.value = 5;
    });

    // Same transaction: still the old snapshot, even for objects loaded now.
    expect(root.get('greeting')).to.equal(undefined);
    expect(counter.value).to.equal(0);
    await reader.begin();
    // The invalidated root became a ghost; loading it again gives the same object, now current.
    expect(root._p_state).to.equal('ghost');
    expect(await reader.root()).to.equal(root);
    expect(root.get('greeting')).to.equal('hello');
    await reader.activate(counter);
    expect(counter.value).to.equal(5);
    await reader.close();
  });

  it('loads a ghost from the transaction snapshot, never from a later commit', async () => {
    const reader = await dbB.open();
    const root = await reader.root();
    const counter = root.get('counter') as Counter;
    expect(counter._p_state).to.equal('ghost');
    await dbA.transaction(async (conn) => {
      const c = (await conn.root()).get('counter') as Counter;
      await c._p_activate();
      c.value = 9;
    });
    await reader.activate(counter);
    expect(counter.value).to.equal(0);
    await reader.abort();
    await reader.activate(counter);
    expect(counter.value).to.equal(9);
    await reader.close();
  });

  it('ends with exactly 1,600 after 8 connections increment one counter 200 times each', async function () {
    this.timeout(60_000);
    const worker = async (): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        await (i % 2 === 0 ? dbA : dbB).transaction(
          async (conn) => {
            const counter = (await conn.root()).get('counter') as Counter;
            await counter._p_activate();
            counter.value += 1;
          },
          { retries: 1000, minDelayMS: 0, maxDelayMS: 5 },
        );
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const conn = await dbA.open();
    const counter = (await conn.root()).get('counter') as Counter;
    await counter._p_activate();
    expect(counter.value).to.equal(1600);
    await conn.close();
  });

  it('raises ConflictError with oid, class and serials when two connections change one object', async () => {
    const first = await dbA.open();
    const second = await dbB.open();
    const c1 = (await first.root()).get('counter') as Counter;
    const c2 = (await second.root()).get('counter') as Counter;
    await first.activate(c1);
    await second.activate(c2);
    const loadedSerial = c2._p_serial;
    c1.value = 1;
    c2.value = 2;
    const committed = await first.commit();
    const error = await rejection(second.commit());
    expect(error).to.be.instanceOf(ConflictError);
    const conflict = error as ConflictError;
    expect(conflict.oid).to.deep.equal(c2._p_oid);
    expect(conflict.className).to.equal('app.Counter');
    expect(conflict.serials?.[0]).to.deep.equal(committed);
    expect(conflict.serials?.[1]).to.deep.equal(loadedSerial);
    // The failed transaction was aborted: the connection is usable and sees the winner.
    expect(c2._p_state).to.equal('ghost');
    await second.begin();
    await second.activate(c2);
    expect(c2.value).to.equal(1);
    await first.close();
    await second.close();
  });

  it('retries the whole function after a conflict and gives up after the configured retries', async () => {
    let attempts = 0;
    const error = await rejection(
      dbA.transaction(
        async (conn) => {
          attempts++;
          const counter = (await conn.root()).get('counter') as Counter;
          await counter._p_activate();
          counter.value += 1;
          // Another database commits in between, every time.
          await dbB.transaction(async (other) => {
            const c = (await other.root()).get('counter') as Counter;
            await c._p_activate();
            c.value += 100;
          });
        },
        { retries: 2, minDelayMS: 0 },
      ),
    );
    expect(error).to.be.instanceOf(ConflictError);
    expect(attempts).to.equal(3);
  });

  it('does not retry other errors, and aborts the changes of a function that throws', async () => {
    let attempts = 0;
    const error = await rejection(
      dbA.transaction(async (conn) => {
        attempts++;
        (await conn.root()).set('partial', true);
        throw new Error('boom');
      }),
    );
    expect(error.message).to.equal('boom');
    expect(attempts).to.equal(1);
    const conn = await dbA.open();
    expect((await conn.root()).has('partial')).to.equal(false);
    await conn.close();
  });

  it('fails a commit with ReadConflictError when an object passed to readCurrent changed meanwhile', async () => {
    const conn = await dbA.open();
    const root = await conn.root();
    const counter = root.get('counter') as Counter;
    await conn.activate(counter);
    conn.readCurrent(counter);
    root.set('derived', counter.value * 2);
    await dbB.transaction(async (other) => {
      const c = (await other.root()).get('counter') as Counter;
      await c._p_activate();
      c.value = 21;
    });
    const error = await rejection(conn.commit());
    expect(error).to.be.instanceOf(ReadConflictError);
    await conn.close();
  });

  it('records user, description and extension set through the API', async () => {
    const conn = await dbA.open();
    (await conn.root()).set('x', 1);
    conn.transaction.setUser('carol').note('first line').note('second line').setExtendedInfo('ip', '10.0.0.1');
    await conn.commit();
    await conn.close();
    const [entry] = await storage.history(z64);
    expect(entry?.userName.toString()).to.equal('/ carol');
    expect(entry?.description.toString()).to.equal('first line\nsecond line');
    // zodb-formats.md §8's example extension pickle.
    expect(entry?.extension.toString('hex')).to.equal('80037d7100580200000069707101580800000031302e302e302e317102732e');
  });

  it('commits nothing for a transaction without changes', async () => {
    const conn = await dbA.open();
    await conn.root();
    const last = storage.lastTransaction();
    expect(await conn.commit()).to.equal(null);
    expect(storage.lastTransaction()).to.deep.equal(last);
    await conn.close();
  });
});

describe('db read-only databases', () => {
  it('refuses writes with ReadOnlyError and leaves the storage unchanged', async () => {
    const storage = new MappingStorage();
    const writer = new DB(storage, { closeStorage: false });
    await writer.ready();
    await writer.close();
    const db = new DB(storage, { readOnly: true, closeStorage: false });
    const last = storage.lastTransaction();
    const error = await rejection(
      db.transaction(async (conn) => {
        (await conn.root()).set('x', 1);
      }),
    );
    expect(error).to.be.instanceOf(ReadOnlyError);
    const conn = await db.open();
    expect(await rejection(conn.add(new PersistentMapping()))).to.be.instanceOf(ReadOnlyError);
    expect((await conn.root()).has('x')).to.equal(false);
    await conn.close();
    expect(storage.lastTransaction()).to.deep.equal(last);
    await db.close();
    await storage.close();
  });

  it('refuses writes through a historical connection', async () => {
    const db = new DB(new MappingStorage());
    await db.ready();
    const conn = await db.open({ at: db.lastTransaction() });
    expect(conn.historical).to.equal(true);
    (await conn.root()).set('x', 1);
    expect(await rejection(conn.commit())).to.be.instanceOf(ReadOnlyError);
    await conn.close();
    await db.close();
  });
});

describe('db connection state', () => {
  it('throws ConnectionStateError for use after close, and for changes during a commit', async () => {
    const db = new DB(new MappingStorage());
    const conn = await db.open();
    const root = await conn.root();
    root.set('a', 1);
    const committing = conn.commit();
    expect(() => root.set('b', 2)).to.throw(ConnectionStateError, /while its connection commits/);
    await committing;
    await conn.close();
    expect(await rejection(conn.root())).to.be.instanceOf(ConnectionStateError);
    expect(await rejection(conn.commit())).to.be.instanceOf(ConnectionStateError);
    expect(() => root.set('c', 3)).to.throw(ConnectionStateError, /connection is closed/);
    await db.close();
    expect(await rejection(db.open())).to.be.instanceOf(ConnectionStateError);
  });

  it('lets a commit in progress end when the database closes, and leaves its connection closed', async () => {
    const storage = new MappingStorage();
    const db = new DB(storage, { classRegistry: registry, closeStorage: false });
    const conn = await db.open();
    const root = await conn.root();
    const counter = new Counter();
    counter.value = 7;
    root.set('counter', counter);
    const committing = conn.commit();
    const closing = db.close();
    const tid = await committing;
    await closing;
    expect(tid).to.be.instanceOf(Buffer);
    expect(conn.opened).to.equal(false);
    // The commit stored the new object: it keeps its oid (a ghost of a closed connection now).
    expect(counter._p_oid).to.be.instanceOf(Buffer);
    expect(counter._p_state).to.equal('ghost');
    expect(await rejection(root._p_activate())).to.be.instanceOf(ConnectionStateError);
    await conn.close();
    expect(db.poolStats()).to.include({ size: 0, borrowed: 0 });
    const check = new DB(storage, { classRegistry: registry });
    const other = await check.open();
    const stored = (await other.root()).get('counter') as Counter;
    await stored._p_activate();
    expect(stored.value).to.equal(7);
    expect(stored._p_oid).to.deep.equal(counter._p_oid);
    await other.close();
    await check.close();
  });

  it('closes the storage only after a commit the storage has begun has ended', async () => {
    const storage = new VoteHookStorage();
    const db = new DB(storage);
    const conn = await db.open();
    (await conn.root()).set('a', 1);
    let closing: Promise<void> | undefined;
    storage.onVote = () => {
      closing = db.close();
    };
    const tid = await conn.commit();
    await closing;
    expect(closing).to.be.instanceOf(Promise);
    expect(tid).to.be.instanceOf(Buffer);
    expect(storage.lastTransaction()).to.deep.equal(tid);
    expect(storage.closed).to.equal(true);
    expect(conn.opened).to.equal(false);
  });

  it('does not wait for a commit still waiting for the storage’s commit lock: closing the storage fails it', async function () {
    this.timeout(5000);
    const storage = new MappingStorage();
    const db = new DB(storage);
    const conn = await db.open();
    (await conn.root()).set('a', 1);
    // Another writer holds the commit lock and never finishes.
    await storage.tpcBegin({ user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) });
    const committing = rejection(conn.commit());
    await db.close();
    expect(await committing).to.be.instanceOf(StorageClosedError);
    expect(conn.opened).to.equal(false);
  });
});
