import { DB, type DBOptions } from '../db/db.js';
import type { Connection } from '../db/connection.js';
import { silentLogger, type Logger } from '../logger.js';
import type { ChildrenView } from '../registry/children-view.js';
import { ZooKeeper } from '../registry/zookeeper.js';
import { ClientStorage } from '../zeo/client/client-storage.js';
import type { ClientStorageOptions } from '../zeo/client/options.js';
import type { ZeoAddressInput } from '../zeo/client/server-address.js';
import { AddressTracker, type RegisteredAddress } from './address-tracker.js';

/** Options for {@link client}: the ClientStorage options (but the addresses), plus ZooKeeper's. */
export interface ZkZeoClientOptions extends Omit<ClientStorageOptions, 'addresses'> {
  /**
   * Wait for a registered server, then for a connection to it (ZEO's
   * `wait`, up to `waitTimeout`); with `false`, return at once and connect
   * when a server appears. @defaultValue `true`
   */
  readonly wait?: boolean;
  /** ZooKeeper session timeout in milliseconds. @defaultValue `10000` */
  readonly zookeeperSessionTimeoutMs?: number;
  /** How long to try to reach ZooKeeper at start, in milliseconds. @defaultValue `15000` */
  readonly zookeeperConnectTimeoutMs?: number;
  /** Where zc.zkzeo's messages (and the client's) go. @defaultValue silent */
  readonly logger?: Logger;
}

/** Options for {@link DB} on a ZooKeeper path: the client's, plus `database` options for the DB. */
export interface ZkZeoDBOptions extends ZkZeoClientOptions {
  /** Options of the database itself (pool, cache, class registry, …). */
  readonly database?: Omit<DBOptions, 'closeStorage'>;
}

// zc.zkzeo passes an empty host on, and ZEO connects to it as 127.0.0.1.
const connectHost = (address: RegisteredAddress): string => (address.host === '' ? '127.0.0.1' : address.host);

function zeoAddress(address: RegisteredAddress): ZeoAddressInput {
  return { host: connectHost(address), port: address.port };
}

/**
 * A ZEO ClientStorage whose servers come from the children of a ZooKeeper
 * path and follow them (zc.zkzeo's `client()` result). Closing it also
 * closes its ZooKeeper session.
 */
export class ZkZeoClientStorage extends ClientStorage {
  readonly #zookeeper: ZooKeeper;
  readonly #tracker: AddressTracker;
  #closing: Promise<void> | undefined;

  /** @internal */
  constructor(options: ClientStorageOptions, zookeeper: ZooKeeper, tracker: AddressTracker) {
    super(options);
    this.#zookeeper = zookeeper;
    this.#tracker = tracker;
  }

  /** The live children of the registry path (zc.zkzeo's `zookeeper_addresses`). */
  get zookeeperAddresses(): ChildrenView {
    return this.#tracker.view;
  }

  /** The server addresses the client follows now. */
  get addresses(): readonly RegisteredAddress[] {
    return this.#tracker.addresses;
  }

  /** The ZooKeeper helper the addresses come from. */
  get zookeeper(): ZooKeeper {
    return this.#zookeeper;
  }

  /**
   * The connection manager as zc.zkzeo shows it:
   * `<ConnectionManager for [('127.0.0.1', 8100)]>`, `<ConnectionManager for []>` when empty.
   */
  describeConnectionManager(): string {
    const addresses = this.#tracker.addresses.map((a) => `('${connectHost(a)}', ${a.port})`);
    return `<ConnectionManager for [${addresses.join(', ')}]>`;
  }

  /** Stops following the registry, closes the ZooKeeper session and the storage. Idempotent. */
  override close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#tracker.stop();
      await this.#zookeeper.close();
      await super.close();
    })();
    return this.#closing;
  }
}

/**
 * zc.zkzeo's `client()`: a ZEO ClientStorage whose server addresses are the
 * children of `path` in ZooKeeper and follow them as servers come and go.
 *
 * With `wait` (the default) it waits for a registered server (warning
 * `No addresses from <zookeeper/path>` at once and every five minutes) and
 * then for a connection; without, it returns at once and connects when a
 * server appears. If ZooKeeper becomes unreachable later, the client keeps
 * its last addresses and keeps serving.
 *
 * @param zookeeper - ZooKeeper connection string
 * @param path - the registry path (links are followed)
 * @throws FailedConnectError when ZooKeeper cannot be reached at start
 * @throws NoNodeError when `path` does not resolve
 * @throws WaitTimeoutError when no connection is made within `waitTimeout`
 */
export async function client(zookeeper: string, path: string, options: ZkZeoClientOptions = {}): Promise<ZkZeoClientStorage> {
  const { zookeeperSessionTimeoutMs, zookeeperConnectTimeoutMs, wait = true, ...storageOptions } = options;
  const logger = options.logger ?? silentLogger;
  const zk = await ZooKeeper.connect(zookeeper, {
    sessionTimeoutMs: zookeeperSessionTimeoutMs ?? 10_000,
    connectTimeoutMs: zookeeperConnectTimeoutMs ?? 15_000,
    logger,
  });
  let storage: ZkZeoClientStorage | undefined;
  try {
    // The registry path holds only server nodes: a persistent watch tells
    // of a new server without another round trip to ZooKeeper.
    const view = zk.children(path, { persistent: true });
    const tracker = new AddressTracker(view, (addresses) => storage?.setAddresses(addresses.map(zeoAddress)), {
      logger,
      label: `<${zookeeper}${path}>`,
    });
    const initial = await tracker.waitForAddresses(wait);
    storage = new ZkZeoClientStorage({ ...storageOptions, wait, addresses: initial.map(zeoAddress) }, zk, tracker);
    // Follow the registry before waiting: if the first server is dead and a
    // replacement registers meanwhile, the client must see it.
    tracker.start();
    if (wait) await storage.waitUntilConnected();
    return storage;
  } catch (error) {
    if (storage !== undefined) await storage.close();
    else await zk.close();
    throw error;
  }
}

/**
 * zc.zkzeo's `DB()`: a database on {@link client}. Closing the database
 * closes the storage and its ZooKeeper session.
 */
export async function zkzeoDatabase(zookeeper: string, path: string, options: ZkZeoDBOptions = {}): Promise<DB> {
  const { database, ...clientOptions } = options;
  const storage = await client(zookeeper, path, clientOptions);
  try {
    const db = new DB(storage.asStorage(), { ...database, closeStorage: true });
    await db.ready();
    return db;
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/**
 * zc.zkzeo's `connection()`: an open connection of a new {@link zkzeoDatabase | DB};
 * closing the connection closes the database, the storage and the
 * ZooKeeper session.
 */
export async function connection(zookeeper: string, path: string, options: ZkZeoDBOptions = {}): Promise<Connection> {
  const db = await zkzeoDatabase(zookeeper, path, options);
  try {
    const conn = await db.open();
    const close = conn.close.bind(conn);
    // Closing the connection closes what was opened for it.
    Object.defineProperty(conn, 'close', {
      configurable: true,
      value: async (): Promise<void> => {
        await close();
        await db.close();
      },
    });
    return conn;
  } catch (error) {
    await db.close();
    throw error;
  }
}
