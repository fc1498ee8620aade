// Starts a StorageServer on a free port for a test and cleans it up.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BoundAddress } from '../../src/server/listen.js';
import { StorageServer, type StorageServerOptions } from '../../src/server/storage-server.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import type { Storage } from '../../src/storage/storage.js';

export interface TestServer {
  readonly server: StorageServer;
  readonly address: BoundAddress;
  readonly storage: Storage;
}

const running: StorageServer[] = [];
const dirs: string[] = [];

/** A server for one MappingStorage named '1' on 127.0.0.1, port 0. */
export async function startServer(options: Partial<StorageServerOptions> = {}): Promise<TestServer> {
  const storage = new MappingStorage();
  const server = await StorageServer.create({ storages: { '1': storage }, ...options });
  running.push(server);
  const address = await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
  return { server, address, storage: options.storages === undefined ? storage : server.storage('1') };
}

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zeo-server-test-'));
  dirs.push(dir);
  return dir;
}

/** Closes every server and removes every directory the test made. */
export async function cleanUp(): Promise<void> {
  await Promise.all(running.splice(0).map((server) => server.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Resolves when the server has closed `count` more connections. */
export function connectionsClosed(server: StorageServer, count = 1): Promise<void> {
  return new Promise((resolve) => {
    let left = count;
    const listener = (): void => {
      left -= 1;
      if (left === 0) {
        server.off('connectionClosed', listener);
        resolve();
      }
    };
    server.on('connectionClosed', listener);
  });
}
