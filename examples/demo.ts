// The zkzeo demo, on embedded defaults: a private ZooKeeper, a ZEO server
// on a temporary FileStorage that registers itself there (zkrunzeo), and
// clients that find it through ZooKeeper and follow it when it moves.
// Run: bash scripts/demo.sh
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zkzeo, ZooKeeper, type Logger } from '../src/index.js';
import { TestingServer } from '../src/testing/index.js';

const say = (message: string): void => console.log(`[demo] ${message}`);
// zc.zkzeo's log messages, shown as they happen.
const clientLog: Logger = {
  debug: () => undefined,
  info: (first: string | Record<string, unknown>, message?: string) => console.log(`  [zc.zkzeo] INFO ${message ?? first}`),
  warn: (first: string | Record<string, unknown>, message?: string) => console.log(`  [zc.zkzeo] WARNING ${message ?? first}`),
  error: (first: string | Record<string, unknown>, message?: string) => console.log(`  [zc.zkzeo] ERROR ${message ?? first}`),
};

const dir = mkdtempSync(join(tmpdir(), 'zkzeo-demo-'));
say('starting a private ZooKeeper (Debian libzookeeper-java) on loopback…');
const zookeeper = await TestingServer.start();
say(`ZooKeeper serves at ${zookeeper.connectionString}`);
const registry = await ZooKeeper.connect(zookeeper.connectionString);
await registry.client.create('/databases/demo', undefined, { makepath: true });

// A zkrunzeo configuration: a FileStorage, an OS-chosen port, and where to register.
const config = join(dir, 'zeo.conf');
writeFileSync(
  config,
  `<zeo>
  address 127.0.0.1:0
</zeo>
<filestorage>
  path ${join(dir, 'Data.fs')}
</filestorage>
<zookeeper>
  connection ${zookeeper.connectionString}
  path /databases/demo
  monitor-server 127.0.0.1:0
</zookeeper>
`,
);

async function startServer(): Promise<zkzeo.RegisteredZeoServer> {
  const server = await zkzeo.startRegisteredZeoServer({ configFile: config, fsync: false });
  await server.registered;
  say(`server: serving ${join(dir, 'Data.fs')}, registered as /databases/demo/${server.registeredAddress}`);
  return server;
}

let server = await startServer();
const conn = await zkzeo.connection(zookeeper.connectionString, '/databases/demo', { logger: clientLog });
const db = conn.db;
try {
  say('client: writing x = 1');
  await db.transaction(async (c) => {
    (await c.root()).set('x', 1);
  });
  say(`client: x is ${String(await db.transaction(async (c) => (await c.root()).get('x')))}`);

  const nagios = await zkzeo.checkRegisteredServer(zookeeper.connectionString, '/databases/demo');
  say(`nagios: ${nagios.output.trim()} (exit ${nagios.status})`);

  say('server: stopping (it withdraws its registration first)');
  const storage = db.storage as unknown as zkzeo.ZkZeoClientStorage;
  const disconnected = new Promise((resolve) => storage.once('disconnected', resolve));
  await server.close();
  await disconnected;
  say(`client: disconnected; its connection manager is ${storage.describeConnectionManager()}`);

  say('server: starting again; the OS picks a new port');
  const reconnected = new Promise((resolve) => storage.once('connected', resolve));
  server = await startServer();
  await reconnected;
  say(`client: reconnected; ${storage.describeConnectionManager()}`);
  await db.transaction(async (c) => {
    const root = await c.root();
    root.set('x', (root.get('x') as number) + 1);
  });
  say(`client: x is now ${String(await db.transaction(async (c) => (await c.root()).get('x')))}`);
  say('done: the client followed the server through ZooKeeper, and nothing committed was lost');
} finally {
  await conn.close();
  await server.close();
  await registry.close();
  await zookeeper.close();
  rmSync(dir, { recursive: true, force: true });
}
