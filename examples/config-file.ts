// A ZODB configuration with a <zkzeoclient> section, as zc.zkzeo reads it.
// Run: npx tsx examples/config-file.ts   (or set ZOOKEEPER and ZKZEO_PATH)
import { zkzeo } from '../src/index.js';
import { setUp } from './embedded.js';

const { zookeeper, path, stop } = await setUp();
const db = await zkzeo.databaseFromString(`
%import zc.zkzeo

<zodb>
  cache-size 5000
  <zkzeoclient>
    zookeeper ${zookeeper}
    server ${path}
    cache-size 20MB
  </zkzeoclient>
</zodb>
`);
await db.transaction(async (conn) => {
  (await conn.root()).set('configured', true);
});
console.log('configured:', await db.transaction(async (conn) => (await conn.root()).get('configured')));
await db.close();
await stop();
