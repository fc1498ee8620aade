// zkzeo.connection(): one open connection; closing it closes everything.
// Run: npx tsx examples/connection.ts   (or set ZOOKEEPER and ZKZEO_PATH)
import { zkzeo } from '../src/index.js';
import { setUp } from './embedded.js';

const { zookeeper, path, stop } = await setUp();
const conn = await zkzeo.connection(zookeeper, path);
conn.begin();
const root = await conn.root();
root.set('greeting', 'hello from Node');
await conn.commit();
console.log('root keys:', [...root.keys()]);
await conn.close();
await stop();
