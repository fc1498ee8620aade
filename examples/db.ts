// zkzeo.DB(): a database on such a client; transactions retry on conflicts.
// Run: npx tsx examples/db.ts   (or set ZOOKEEPER and ZKZEO_PATH)
import { zkzeo, PersistentMapping } from '../src/index.js';
import { setUp } from './embedded.js';

const { zookeeper, path, stop } = await setUp();
const db = await zkzeo.DB(zookeeper, path, { database: { poolSize: 4 } });
await db.transaction(async (conn) => {
  const root = await conn.root();
  if (!root.has('visits')) root.set('visits', new PersistentMapping());
  const visits = root.get('visits') as PersistentMapping<string, number>;
  visits.set('example', (visits.get('example') ?? 0) + 1);
});
const count = await db.transaction(async (conn) => {
  const visits = (await conn.root()).get('visits') as PersistentMapping<string, number>;
  await conn.activate(visits);
  return visits.get('example');
});
console.log('visits:', count);
await db.close();
await stop();
