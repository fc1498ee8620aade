// One ZooKeeper server per test run, started on first use and shared by
// every suite that needs it; each suite works under its own chroot path.
import { randomBytes } from 'node:crypto';
import { TestingServer } from '../../src/testing/testing-server.js';
import { ZkClient } from '../../src/zk/client.js';

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
