// Shared by the examples: where to find ZooKeeper and a registered ZEO
// server. With ZOOKEEPER and ZKZEO_PATH set, the examples use them;
// otherwise this starts a private ZooKeeper and a registered server on a
// temporary FileStorage, and `stop()` removes them again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStorage, StorageServer, ZooKeeper } from '../src/index.js';
import { TestingServer } from '../src/testing/index.js';

export interface Setup {
  readonly zookeeper: string;
  readonly path: string;
  stop(): Promise<void>;
}

export async function setUp(): Promise<Setup> {
  const { ZOOKEEPER, ZKZEO_PATH } = process.env;
  if (ZOOKEEPER !== undefined && ZKZEO_PATH !== undefined) {
    return { zookeeper: ZOOKEEPER, path: ZKZEO_PATH, stop: async () => undefined };
  }
  const dir = mkdtempSync(join(tmpdir(), 'zkzeo-example-'));
  const zookeeper = await TestingServer.start();
  const registry = await ZooKeeper.connect(zookeeper.connectionString);
  const path = '/databases/example';
  await registry.client.create(path, undefined, { makepath: true });
  const server = await StorageServer.create({ storages: { '1': await FileStorage.open(join(dir, 'Data.fs')) } });
  const bound = await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
  await registry.register(path, ['127.0.0.1', bound.family === 'unix' ? 0 : bound.port]);
  return {
    zookeeper: zookeeper.connectionString,
    path,
    async stop() {
      await registry.close();
      await server.close();
      await zookeeper.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
