// Registered ZEO servers for the zkzeo tests: configuration files in a
// temp dir, servers started through the library, a ZooKeeper observer
// client, and clean-up after each test.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../src/logger.js';
import type { BoundAddress } from '../../src/server/listen.js';
import { z64 } from '../../src/storage/oid.js';
import type { ZkClient } from '../../src/zk/client.js';
import { startRegisteredZeoServer, type RegisteredZeoServer, type RegisteredZeoServerOptions } from '../../src/zkzeo/run-zkzeo.js';
import { RawClient } from '../server/raw-client.js';

const servers: RegisteredZeoServer[] = [];
const dirs: string[] = [];
const rawClients: RawClient[] = [];

/** A fresh temporary directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-test-'));
  dirs.push(dir);
  return dir;
}

/** The text of a server configuration: `<zeo>`, a `<zookeeper>` section (lines given) and a storage. */
export function serverConfig(options: {
  address?: string;
  zookeeper?: readonly string[];
  storages?: string;
}): string {
  const zookeeper = options.zookeeper === undefined ? '' : `<zookeeper>\n${options.zookeeper.map((line) => `  ${line}\n`).join('')}</zookeeper>\n`;
  return `<zeo>\n  address ${options.address ?? '127.0.0.1'}\n</zeo>\n${zookeeper}${options.storages ?? '<mappingstorage>\n</mappingstorage>\n'}`;
}

/** Writes `text` to a new config file and returns its path. */
export async function configFile(text: string, name = 'zeo.conf'): Promise<string> {
  const file = path.join(await tempDir(), name);
  await writeFile(file, text);
  return file;
}

/** Starts a registered server from `text` (closed after the test). */
export async function startFromConfig(
  text: string,
  logger?: Logger,
  options: Partial<RegisteredZeoServerOptions> = {},
): Promise<RegisteredZeoServer> {
  const running = await startRegisteredZeoServer({ configFile: await configFile(text), logger, ...options });
  servers.push(running);
  return running;
}

/** Remembers a server started elsewhere, for clean-up. */
export function track(server: RegisteredZeoServer): RegisteredZeoServer {
  servers.push(server);
  return server;
}

/** Closes every server and raw client, removes every temp dir. */
export async function cleanUp(): Promise<void> {
  await Promise.all(rawClients.splice(0).map((client) => client.close().catch(() => undefined)));
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** The JSON properties of a node. */
export async function nodeProperties(client: ZkClient, nodePath: string): Promise<Record<string, unknown>> {
  return JSON.parse((await client.get(nodePath)).data.toString('utf8')) as Record<string, unknown>;
}

/** Resolves with `path`'s children once `predicate` holds for them (watch driven). */
export function childrenWhen(client: ZkClient, nodePath: string, predicate: (children: string[]) => boolean, timeoutMs = 15_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      reject(new Error(`children of ${nodePath} never matched`));
    }, timeoutMs);
    const check = (): void => {
      if (settled) return;
      client.getChildren(nodePath, () => check()).then(
        (children) => {
          if (settled || !predicate(children)) return;
          settled = true;
          clearTimeout(timer);
          resolve(children.sort());
        },
        (error: unknown) => {
          settled = true;
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    };
    check();
  });
}

/** Opens a raw ZEO connection registered for storage `storage` (closed after the test). */
export async function rawClient(address: BoundAddress, storage = '1'): Promise<RawClient> {
  const { client } = await RawClient.registered(address, 'pickle', storage);
  rawClients.push(client);
  return client;
}

/** Commits one new object through a raw client; returns its oid. */
export async function commitOne(client: RawClient, data = 'data'): Promise<Buffer> {
  const [oid] = (await client.call('new_oids', [1])) as Buffer[];
  await client.commit(1, [[oid as Buffer, z64, Buffer.from(data)]]);
  return oid as Buffer;
}
