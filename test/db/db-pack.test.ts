// DB.pack: the pack time (now, an explicit time, minus days), garbage
// collection of objects the root dropped, failures logged and rethrown,
// and a database over ZEO packing the server's storage.
import { expect } from 'chai';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { DB } from '../../src/db/db.js';
import { ConnectionStateError } from '../../src/db/errors.js';
import { Persistent } from '../../src/db/persistent.js';
import { PackError, POSKeyError } from '../../src/storage/errors.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { z64, type Oid } from '../../src/storage/oid.js';
import { TimeStamp } from '../../src/storage/timestamp.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { ManualClock } from '../storage/storage-test-support.js';
import { recordingLogger } from '../support/logger.js';
import { rejection } from '../support/rejection.js';
import { startServer, stopAllServers } from '../zeo/client/server-harness.js';

class Note extends Persistent {
  text = '';
}

const registry = new ClassRegistry();
registry.register('app.Note', Note);

/** Stores a note under `key` in the root and returns its oid. */
async function addNote(db: DB, key: string, text: string): Promise<Oid> {
  return db.transaction(async (conn) => {
    const note = new Note();
    note.text = text;
    (await conn.root()).set(key, note);
    await conn.add(note);
    return note._p_oid as Oid;
  });
}

async function dropKey(db: DB, key: string): Promise<void> {
  await db.transaction(async (conn) => {
    (await conn.root()).delete(key);
  });
}

describe('DB.pack', () => {
  let clock: ManualClock;
  let storage: MappingStorage;
  let db: DB;

  beforeEach(() => {
    // Commits well before now, a minute apart: packing to now is after all of them.
    clock = new ManualClock(Date.UTC(2020, 5, 1));
    storage = new MappingStorage({ clock: clock.read });
    db = new DB(storage, { classRegistry: registry });
  });

  /** Runs `work` a minute after the previous commit. */
  async function later<T>(work: () => Promise<T>): Promise<T> {
    clock.now += 60_000;
    return work();
  }

  afterEach(async () => {
    await db.close();
    await stopAllServers();
  });

  it('packs to now by default: old revisions and objects the root dropped go', async () => {
    const kept = await later(() => addNote(db, 'kept', 'stays'));
    const dropped = await later(() => addNote(db, 'dropped', 'goes'));
    await later(() => dropKey(db, 'dropped'));
    expect((await storage.history(z64, 10)).length).to.equal(4);

    await db.pack();

    expect((await storage.history(z64, 10)).length).to.equal(1);
    await rejection(storage.load(dropped)).then((error) => expect(error).to.be.instanceOf(POSKeyError));
    const conn = await db.open();
    const note = (await conn.root()).get('kept') as Note;
    await note._p_activate();
    expect([note._p_oid, note.text]).to.deep.equal([kept, 'stays']);
    await conn.close();
  });

  it('packs to the time given, minus the days', async () => {
    await later(() => addNote(db, 'a', 'one'));
    const first = storage.lastTransaction();
    await later(() => dropKey(db, 'a'));
    const second = storage.lastTransaction();
    const afterFirst = TimeStamp.fromBytes(first).timeTime() + 1;
    expect((await storage.history(z64, 10)).length).to.equal(3);
    // A day before a day after the first commit: only the root's creation goes.
    await db.pack(afterFirst + 86_400, 1);
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([second, first]);
    await db.pack(TimeStamp.fromBytes(second).timeTime() + 1);
    expect((await storage.history(z64, 10)).map((h) => h.tid)).to.deep.equal([second]);
  });

  it('removes nothing when the days reach back before the data', async () => {
    clock.now = Date.now() - 3_600_000;
    await addNote(db, 'a', 'one');
    await dropKey(db, 'a');
    await db.pack(undefined, 1);
    expect((await storage.history(z64, 10)).length).to.equal(3);
  });

  it('logs a failed pack and rethrows the storage’s error', async () => {
    const logger = recordingLogger();
    const logged = new DB(storage, { classRegistry: registry, logger, closeStorage: false });
    try {
      await addNote(logged, 'a', 'one');
      const error = await rejection(logged.pack(Number.NaN));
      expect(error).to.be.instanceOf(PackError);
      expect(logger.entries.map((e) => [e.level, e.message])).to.deep.equal([['error', 'packing database "unnamed" failed']]);
      expect(logger.entries[0]?.fields.err).to.equal(error);
    } finally {
      await logged.close();
    }
  });

  it('refuses once the database is closed', async () => {
    await db.close();
    expect(await rejection(db.pack())).to.be.instanceOf(ConnectionStateError);
  });

  it('packs the server’s storage when the database is on a ZEO client', async () => {
    const served = new MappingStorage({ clock: clock.read });
    const server = await startServer({ storage: served });
    const client = await ClientStorage.open({ addresses: [server.address], waitTimeout: 10 });
    const remote = new DB(client.asStorage(), { classRegistry: registry });
    try {
      const dropped = await later(() => addNote(remote, 'dropped', 'goes'));
      await later(() => dropKey(remote, 'dropped'));
      await remote.pack();
      expect(served.getLength()).to.equal(1);
      await rejection(served.load(dropped)).then((error) => expect(error).to.be.instanceOf(POSKeyError));
      // The client heard the new size before pack() resolved.
      expect(client.getSize()).to.equal(served.getSize());
    } finally {
      await remote.close();
      await served.close();
    }
  });
});
