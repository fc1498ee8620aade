// One ZooKeeper server per test run, started on first use and shared by
// every suite that needs it; each suite works under its own chroot path.
import { randomBytes } from 'node:crypto';
import { TestingServer } from '../../src/testing/testing-server.js';
import { ZkClient } from '../../src/zk/client.js';
import { TcpProxy } from './tcp-proxy.js';

let shared: Promise<TestingServer> | undefined;

/** The shared server (started on first call). */
export function sharedZooKeeper(): Promise<TestingServer> {
  shared ??= TestingServer.start();
  return shared;
}

/** Stops the shared server if it was started (root afterAll hook). */
export async function stopSharedZooKeeper(): Promise<void> {
  if (shared === undefined) return;
  const server = await shared.catch(() => undefined);
  shared = undefined;
  await server?.close();
}

/**
 * Creates a fresh `/t-<random>` node on the shared server and returns a
 * connection string chrooted there, so suites cannot see each other.
 */
export async function isolatedConnectionString(prefix = 't'): Promise<string> {
  const server = await sharedZooKeeper();
  const root = `/${prefix}-${randomBytes(4).toString('hex')}`;
  const admin = new ZkClient(server.connectionString);
  await admin.start();
  try {
    await admin.create(root);
  } finally {
    await admin.close();
  }
  return `${server.connectionString}${root}`;
}

/** The server's host and port in `connection` (one server), and its chroot (`''` for none). */
export function splitConnectionString(connection: string): { host: string; port: number; chroot: string } {
  const slash = connection.indexOf('/');
  const server = slash < 0 ? connection : connection.slice(0, slash);
  const colon = server.lastIndexOf(':');
  return { host: server.slice(0, colon), port: Number(server.slice(colon + 1)), chroot: slash < 0 ? '' : connection.slice(slash) };
}

/** A TcpProxy in front of the server `connection` names, and the connection string reaching the same chroot through it. */
export async function proxyInFrontOf(connection: string): Promise<{ proxy: TcpProxy; connection: string }> {
  const { host, port, chroot } = splitConnectionString(connection);
  const proxy = await TcpProxy.start(host, port);
  return { proxy, connection: `${proxy.address}${chroot}` };
}

/** Deletes everything under the client's root (its chroot): a clean slate for each test. */
export async function clearTree(client: ZkClient): Promise<void> {
  for (const child of await client.getChildren('/')) await client.delete(`/${child}`, { recursive: true });
}

/** Clients a test opened, closed in afterEach (before any server is replaced). */
export class ClientBag {
  readonly #clients: ZkClient[] = [];

  /** A new started client for `connection` (options as for ZkClient). */
  async open(connection: string, options: ConstructorParameters<typeof ZkClient>[1] = {}): Promise<ZkClient> {
    const client = new ZkClient(connection, { sessionTimeoutMs: 4000, ...options });
    this.#clients.push(client);
    await client.start();
    return client;
  }

  /** Keeps track of a client made elsewhere. */
  add(client: ZkClient): ZkClient {
    this.#clients.push(client);
    return client;
  }

  /** Closes every client. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((client) => client.close()));
  }
}
