// Object-layer figures: objects loaded per second (ghost → loaded, one at
// a time and pipelined) and commits per second of transactions touching 1
// and 100 objects, on MappingStorage, FileStorage and over ZEO (our
// StorageServer on loopback, a fresh ClientStorage per load run so its
// cache is cold). Run: npx tsx bench/objects.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ClassRegistry } from '../src/db/class-registry.js';
import { DB } from '../src/db/db.js';
import { Persistent } from '../src/db/persistent.js';
import { PersistentList } from '../src/db/persistent-list.js';
import { StorageServer } from '../src/server/storage-server.js';
import { FileStorage } from '../src/storage/file-storage/file-storage.js';
import { MappingStorage } from '../src/storage/mapping-storage.js';
import type { Storage } from '../src/storage/storage.js';
import { ClientStorage } from '../src/zeo/client/client-storage.js';
import { msSince, report } from './stats.js';

const ITEMS = 5_000;
const COMMITS_OF_1 = 500;
const COMMITS_OF_100 = 100;

class Item extends Persistent {
  declare name: string;
  declare value: number;
  declare tags: string[];

  constructor(name = '', value = 0) {
    super();
    this.name = name;
    this.value = value;
    this.tags = ['a', 'b'];
  }
}

const registry = new ClassRegistry();
registry.register('bench.Item', Item);

async function populate(db: DB): Promise<void> {
  await db.transaction(async (conn) => {
    const list = new PersistentList<Item>();
    for (let i = 0; i < ITEMS; i++) list.push(new Item(`item ${i}`, i));
    (await conn.root()).set('items', list);
  });
}

/** Loads every item (all ghosts) one by one or all at once; returns objects/s. */
async function loadRate(db: DB, pipelined: boolean): Promise<number> {
  const conn = await db.open();
  try {
    conn.cacheMinimize();
    const list = (await conn.root()).get('items') as PersistentList<Item>;
    await list._p_activate();
    const items = list.toArray();
    const start = process.hrtime.bigint();
    if (pipelined) await conn.activate(items);
    else for (const item of items) await conn.activate(item);
    const ms = msSince(start);
    if (items.some((item) => item._p_state !== 'upToDate')) throw new Error('not all items loaded');
    return (items.length / ms) * 1000;
  } finally {
    await conn.close();
  }
}

/** Runs `count` transactions each incrementing `touch` items; returns commits/s. */
async function commitRate(db: DB, count: number, touch: number): Promise<number> {
  let offset = 0;
  const start = process.hrtime.bigint();
  for (let t = 0; t < count; t++) {
    await db.transaction(async (conn) => {
      const list = (await conn.root()).get('items') as PersistentList<Item>;
      await list._p_activate();
      const items = Array.from({ length: touch }, (_, i) => list.at((offset + i) % ITEMS) as Item);
      await conn.activate(items);
      for (const item of items) item.value += 1;
    });
    offset += touch;
  }
  return (count / msSince(start)) * 1000;
}

async function benchLocal(label: string, open: () => Promise<Storage>): Promise<void> {
  const db = new DB(await open(), { classRegistry: registry, cacheSize: ITEMS * 2 });
  await populate(db);
  await loadRate(db, true); // warm-up (JIT), not reported
  report(`${label}: objects loaded/s, one at a time`, await loadRate(db, false), 'objects/s', 0);
  report(`${label}: objects loaded/s, pipelined`, await loadRate(db, true), 'objects/s', 0);
  report(`${label}: commits/s touching 1 object`, await commitRate(db, COMMITS_OF_1, 1), 'commits/s', 0);
  report(`${label}: commits/s touching 100 objects`, await commitRate(db, COMMITS_OF_100, 100), 'commits/s', 0);
  await db.close();
}

async function benchZeo(): Promise<void> {
  const storage = new MappingStorage();
  const server = await StorageServer.create({ storages: { '1': storage }, closeStorages: false });
  const bound = await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
  const address = bound.family === 'unix' ? bound.path : `127.0.0.1:${bound.port}`;
  const openDb = async (): Promise<DB> => {
    const client = await ClientStorage.open({ addresses: [address], waitTimeout: 10 });
    return new DB(client.asStorage(), { classRegistry: registry, cacheSize: ITEMS * 2 });
  };
  try {
    const writer = await openDb();
    await populate(writer);
    await writer.close();
    for (const pipelined of [false, true]) {
      const db = await openDb();
      report(`ZEO: objects loaded/s (cold client cache), ${pipelined ? 'pipelined' : 'one at a time'}`, await loadRate(db, pipelined), 'objects/s', 0);
      await db.close();
    }
    const db = await openDb();
    report('ZEO: commits/s touching 1 object', await commitRate(db, COMMITS_OF_1, 1), 'commits/s', 0);
    report('ZEO: commits/s touching 100 objects', await commitRate(db, COMMITS_OF_100, 100), 'commits/s', 0);
    await db.close();
  } finally {
    await server.close();
    await storage.close();
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-bench-objects-'));
try {
  console.log(`object layer, ${ITEMS} objects (Node ${process.version})`);
  await benchLocal('MappingStorage', async () => new MappingStorage());
  await benchLocal('FileStorage (fsync off)', () => FileStorage.open(path.join(dir, 'nofsync.fs'), { fsync: false }));
  await benchLocal('FileStorage (fsync on)', () => FileStorage.open(path.join(dir, 'fsync.fs')));
  await benchZeo();
} finally {
  await rm(dir, { recursive: true, force: true });
}
