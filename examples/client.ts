// zkzeo.client(): a ZEO ClientStorage whose servers come from ZooKeeper.
// Run: npx tsx examples/client.ts   (or set ZOOKEEPER and ZKZEO_PATH)
import { zkzeo } from '../src/index.js';
import { setUp } from './embedded.js';

const { zookeeper, path, stop } = await setUp();
const storage = await zkzeo.client(zookeeper, path, { cacheSize: 10 * 1024 * 1024 });
console.log('servers from ZooKeeper:', storage.addresses.map((address) => address.name));
console.log('connected to', storage.serverAddress, '- last transaction', storage.lastTransaction().toString('hex'));
await storage.close();
await stop();
