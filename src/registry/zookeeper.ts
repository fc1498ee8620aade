import { EventEmitter } from 'eventemitter3';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger, type Logger } from '../logger.js';
import { ZkClient, type ZkClientOptions } from '../zk/client.js';
import type { NodeDataInput } from '../zk/node-data.js';
import { ConnectTimeoutError, NoNodeError } from '../zk/errors.js';
import { READ_ACL_UNSAFE, type Acl, type Stat } from '../zk/types.js';
import { ChildrenView, type ChildrenViewOptions } from './children-view.js';
import { FailedConnectError } from './errors.js';
import { hostIPv4Addresses } from './host-addresses.js';
import { childPath, normalizeLinkPath } from './link-path.js';
import { decodeNodeData, type DecodedNodeData } from './node-data.js';
import { PropertiesView, type PropertiesViewOptions } from './properties-view.js';
import { Registrar, Registration, type RegistrationProperties } from './registration.js';
import { makeLink, resolvePath } from './resolver.js';
import { formatServerAddress, parseServerAddress, type AddressInput } from './server-address.js';
import {
  deleteRecursive,
  exportTree,
  importTree,
  isEphemeral,
  walk,
  type DeleteRecursiveOptions,
  type ExportTreeOptions,
  type ImportTreeOptions,
  type WalkOptions,
} from './tree-sync.js';

/** What a `registering` listener receives; it may add to `properties`. */
export interface RegisteringEvent {
  /** The address as given (`":8100"` for all interfaces). */
  readonly name: string;
  /** The resolved service path. */
  readonly path: string;
  /** The properties about to be stored; listeners may add entries. */
  readonly properties: RegistrationProperties;
}

/** The events a {@link ZooKeeper} emits. */
export interface ZooKeeperEvents {
  /** Before a server's nodes are created (zc.zk's `RegisteringServer`). */
  registering: [event: RegisteringEvent];
}

/** Options for {@link ZooKeeper}. */
export interface ZooKeeperOptions extends ZkClientOptions {
  /**
   * Keep trying to connect (logging `Can't connect to ZooKeeper at '…'`
   * every second) instead of failing with {@link FailedConnectError}.
   * @defaultValue `false`
   */
  readonly wait?: boolean;
}

/** Options for {@link ZooKeeper.register}. */
export interface RegisterOptions {
  /** ACL of the registered nodes. @defaultValue {@link READ_ACL_UNSAFE} */
  readonly acl?: readonly Acl[];
}

/**
 * What zc.zk gives Python: service registration, live views of children
 * and properties, symbolic links, and the tree text format, over a
 * {@link ZkClient}. Registrations survive session expiry.
 *
 * @example
 * ```ts
 * const zk = await ZooKeeper.connect('127.0.0.1:2181');
 * await zk.register('/databases/demo', ['127.0.0.1', 8100]);
 * const servers = zk.children('/databases/demo');
 * await servers.ready;
 * console.log([...servers]);
 * await zk.close();
 * ```
 */
export class ZooKeeper extends EventEmitter<ZooKeeperEvents> {
  readonly #client: ZkClient;
  readonly #ownsClient: boolean;
  readonly #logger: Logger;
  readonly #wait: boolean;
  readonly #registrar: Registrar;
  // Open views, closed with the helper; a view leaves when it closes.
  readonly #views = new Set<{ close(): void }>();

  /**
   * @param connection - a connection string or URL, or a {@link ZkClient} to share (not closed by {@link close})
   * @param options - client options, plus `wait`
   */
  constructor(connection?: string | ZkClient, options: ZooKeeperOptions = {}) {
    super();
    this.#logger = options.logger ?? silentLogger;
    this.#wait = options.wait ?? false;
    this.#ownsClient = !(connection instanceof ZkClient);
    this.#client = connection instanceof ZkClient ? connection : new ZkClient(connection, options);
    this.#registrar = new Registrar(this.#client, this.#logger);
  }

  /** Creates a helper and waits for its first connection (see {@link ZooKeeper.start}). */
  static async connect(connection?: string | ZkClient, options: ZooKeeperOptions = {}): Promise<ZooKeeper> {
    const zk = new ZooKeeper(connection, options);
    await zk.start();
    return zk;
  }

  /** The underlying client, for plain ZooKeeper operations. */
  get client(): ZkClient {
    return this.#client;
  }

  /**
   * Connects. Without `wait`, a failure is a {@link FailedConnectError}
   * (after logging zc.zk's CRITICAL line as an error); with `wait`, it
   * tries again every second until connected.
   */
  async start(): Promise<void> {
    for (;;) {
      try {
        await this.#client.start();
        return;
      } catch (error) {
        if (!(error instanceof ConnectTimeoutError)) throw error;
        this.#logger.error(`Can't connect to ZooKeeper at '${this.#client.connectionString}'`);
        if (!this.#wait) throw new FailedConnectError(this.#client.connectionString, error);
        await sleep(1000);
      }
    }
  }

  /**
   * Registers a server at `path`: an ephemeral child named `host:port`
   * whose data is the JSON `properties` plus `pid`. An empty host (`":8100"`)
   * registers every non-loopback IPv4 address (127.0.0.1 when there is
   * none). `registering` listeners may add properties first. The nodes are
   * re-created when a new session replaces a lost one, with the properties
   * as last updated, until {@link Registration.withdraw}.
   *
   * Unless something listens for `registering` (which is told the
   * resolved path), the nodes are created under `path` straight away. That
   * succeeds only when `path` is a real node, and so resolves to itself:
   * one ZooKeeper round trip instead of two, which is what a replacement
   * server's clients wait for. Only when it fails is `path` resolved.
   *
   * @throws NodeExistsError when another live session holds the name
   * @throws NoNodeError when `path` does not resolve
   */
  async register(
    path: string,
    address: AddressInput,
    properties: RegistrationProperties = {},
    options: RegisterOptions = {},
  ): Promise<Registration> {
    const hostPort = parseServerAddress(address);
    const name = formatServerAddress(hostPort);
    const names =
      hostPort.host === '' ? hostIPv4Addresses().map((host) => formatServerAddress({ host, port: hostPort.port })) : [name];
    const add = async (servicePath: string): Promise<Registration> => {
      const props: RegistrationProperties = { ...properties, pid: process.pid };
      this.emit('registering', { name, path: servicePath, properties: props });
      const registration = new Registration(this.#registrar, {
        path: servicePath,
        name,
        nodePaths: names.map((n) => childPath(servicePath, n)),
        acl: options.acl ?? READ_ACL_UNSAFE,
        properties: props,
      });
      await this.#registrar.add(registration);
      return registration;
    };
    // Listeners are told the resolved path, so with listeners it is resolved first.
    if (this.listenerCount('registering') === 0 && normalizeLinkPath(path) === path) {
      try {
        return await add(path);
      } catch (error) {
        // No such node: `path` may be a link, or missing.
        if (!(error instanceof NoNodeError)) throw error;
      }
    }
    return add(await this.resolve(path));
  }

  /** The registrations made through this helper and not withdrawn. */
  get registrations(): readonly Registration[] {
    return [...this.#registrar.registrations];
  }

  /**
   * Sets a node's data. For a registered node the new data is also what
   * gets re-registered after a session expiry (as in zc.zk).
   */
  async set(path: string, data: NodeDataInput, options: { version?: number } = {}): Promise<Stat> {
    for (const registration of this.#registrar.registrations) {
      if (registration.nodePaths.includes(path)) {
        await registration.set(Object.fromEntries(decodeNodeData(Buffer.from(data)).properties));
        const stat = await this.#client.exists(path);
        if (stat === null) throw new NoNodeError(path);
        return stat;
      }
    }
    return this.#client.set(path, data, options);
  }

  /** A live view of the children of `path` (links followed); `persistent` follows them with a persistent watch. */
  children(path: string, options: ChildrenViewOptions = {}): ChildrenView {
    const view: ChildrenView = new ChildrenView(this.#client, path, this.#logger, options, () => this.#views.delete(view));
    this.#views.add(view);
    return view;
  }

  /** A live (or, with `watch: false`, one-off) view of the properties of `path`. */
  properties(path: string, options: PropertiesViewOptions = {}): PropertiesView {
    if (options.watch === false) return new PropertiesView(this.#client, path, { logger: this.#logger, ...options });
    const view: PropertiesView = new PropertiesView(this.#client, path, { logger: this.#logger, ...options }, undefined, () =>
      this.#views.delete(view),
    );
    this.#views.add(view);
    // A view that cannot start is done with, as a ChildrenView is.
    view.ready.catch(() => view.close());
    return view;
  }

  /** A node's properties, links and property links, read once. @throws NoNodeError */
  async getProperties(path: string): Promise<DecodedNodeData> {
    return decodeNodeData((await this.#client.get(path)).data);
  }

  /** Follows symbolic links; see {@link resolvePath}. */
  resolve(path: string): Promise<string> {
    return resolvePath(this.#client, path);
  }

  /** Makes `link` a symbolic link to `target` (zc.zk's `ln`); see {@link makeLink}. */
  ln(target: string, link: string): Promise<void> {
    return makeLink(this.#client, target, link);
  }

  /** Imports tree text; see {@link importTree}. */
  importTree(text: string, path = '/', options: ImportTreeOptions = {}): Promise<void> {
    return importTree(this.#client, text, path, options);
  }

  /** Exports a tree as text; see {@link exportTree}. */
  exportTree(path = '/', options: ExportTreeOptions = {}): Promise<string> {
    return exportTree(this.#client, path, options);
  }

  /** The tree with ephemeral nodes, as zc.zk's `print_tree` shows it. */
  printTree(path = '/'): Promise<string> {
    return exportTree(this.#client, path, { ephemeral: true });
  }

  /** Walks a tree depth first; see {@link walk}. */
  walk(path = '/', options: WalkOptions = {}): AsyncGenerator<string> {
    return walk(this.#client, path, options);
  }

  /** Whether a node is ephemeral. */
  isEphemeral(path: string): Promise<boolean> {
    return isEphemeral(this.#client, path);
  }

  /** Deletes a tree, keeping ephemeral nodes unless forced; see {@link deleteRecursive}. */
  deleteRecursive(path: string, options: DeleteRecursiveOptions = {}): Promise<boolean> {
    return deleteRecursive(this.#client, path, options);
  }

  /**
   * Stops the views and re-registration, and closes the client if this
   * helper created it (its ephemeral nodes go with the session).
   */
  async close(): Promise<void> {
    for (const view of this.#views) view.close();
    this.#views.clear();
    this.#registrar.close();
    if (this.#ownsClient) await this.#client.close();
  }
}

/** A short alias, as zc.zk's `ZK`. */
export const ZK = ZooKeeper;
