// Our own ZEO server on loopback, for the connection and end-to-end tests.
import { MappingStorage } from '../../../src/storage/mapping-storage.js';
import type { Storage } from '../../../src/storage/storage.js';
import { StorageServer } from '../../../src/server/storage-server.js';

/** A running server and the address a client uses for it. */
export interface RunningServer {
  readonly server: StorageServer;
  readonly storage: Storage;
  /** `127.0.0.1:port` or the socket path. */
  readonly address: string;
  /** Stops the server (the storage stays open, so it can be served again). */
  stop(): Promise<void>;
}

const running = new Set<RunningServer>();

/**
 * Starts a server for `storage` (a new MappingStorage by default) on
 * `port` (0: any free port) or on the Unix socket `unixPath`.
 */
export async function startServer(
  options: { storage?: Storage; readOnly?: boolean; port?: number; unixPath?: string; msgpack?: boolean } = {},
): Promise<RunningServer> {
  const storage = options.storage ?? new MappingStorage();
  const server = await StorageServer.create({
    storages: { '1': storage },
    readOnly: options.readOnly ?? false,
    msgpack: options.msgpack ?? false,
    closeStorages: false,
  });
  const bound = await server.listen(
    options.unixPath !== undefined ? { family: 'unix', path: options.unixPath } : { family: 'ipv4', host: '127.0.0.1', port: options.port ?? 0 },
  );
  const address = bound.family === 'unix' ? bound.path : `127.0.0.1:${bound.port}`;
  let stopped = false;
  const handle: RunningServer = {
    server,
    storage,
    address,
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(handle);
      await server.close();
    },
  };
  running.add(handle);
  return handle;
}

/** Stops every server still running (for afterEach). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/** The port of a `127.0.0.1:port` address. */
export function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}
