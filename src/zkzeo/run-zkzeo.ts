/**
 * `zkrunzeo`: a ZEO server started from a `zeo-server` configuration whose
 * `<zookeeper>` section makes it register in ZooKeeper. The server binds
 * its address first (a missing port or port 0 lets the system choose), then
 * registers `host:port` with the bound port under the section's `path`,
 * with `pid` and, when the monitor server listens on TCP, `monitor`.
 *
 * Unlike zc.zkzeo, which fails at once on an unreachable ZooKeeper when the
 * port is dynamic, the server always serves first and registers as soon as
 * ZooKeeper answers, whatever the port.
 */
import type { ServerConfig, ZookeeperRegistrationConfig } from '../config/server-schema.js';
import { loadServerConfigFile } from '../config/server-schema.js';
import { parseSocketAddress, SocketAddressRole, type SocketAddress } from '../config/socket-address.js';
import type { SourceLocation } from '../config/config-tree.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Registration, RegistrationProperties } from '../registry/registration.js';
import { formatServerAddress } from '../registry/server-address.js';
import { ListenError } from '../server/errors.js';
import type { BoundAddress } from '../server/listen.js';
import { startZeoServer, type RunningZeoServer, type ZeoServerRunOptions } from '../server/run-server.js';
import { parseConnectionString } from '../zk/connection-string.js';
import { RegistrationConfigError } from './errors.js';
import { RegisteredServers, serversCommand, statusCommand } from './monitor-commands.js';
import { MonitorServer } from './monitor-server.js';
import { pythonStrRepr } from './python-text.js';
import { ServerRegistration } from './server-registration.js';

/** What `zkrunzeo` takes: the `zeo-server` options, plus registration tuning. */
export interface RegisteredZeoServerOptions extends ZeoServerRunOptions {
  /** How long each ZooKeeper connection attempt waits before it is logged as failed and retried. @defaultValue `15000` */
  readonly zookeeperConnectTimeoutMs?: number;
  /** How long closing waits for the registration to be withdrawn. @defaultValue `5000` */
  readonly withdrawTimeoutMs?: number;
}

/** A running server and, when its configuration says so, its registration and monitor. */
export interface RegisteredZeoServer extends RunningZeoServer {
  /** The registration; `undefined` without a `<zookeeper>` section or without a `path` in it. */
  readonly registration: ServerRegistration | undefined;
  /** The node name registered (`127.0.0.1:8100`; `:8100` stands for every non-loopback IPv4 address). */
  readonly registeredAddress: string | undefined;
  /** The monitor server, when `monitor-server` is set and its address could be bound. */
  readonly monitor: MonitorServer | undefined;
  /**
   * Resolves once registered (at once, with `undefined`, when the server
   * does not register); rejects with `RegistrationPathError` when the path
   * does not exist, or `RegistrationClosedError` when closed first.
   */
  readonly registered: Promise<Registration | undefined>;
  /**
   * Withdraws the registration, closes the ZooKeeper session and the
   * monitor, then shuts the server down gracefully. Idempotent.
   */
  close(): Promise<void>;
}

function at(location: SourceLocation): string {
  return `${location.file}:${location.line}`;
}

/** Where the server will listen, and who said so, for refusing a Unix socket. */
function plannedAddress(options: RegisteredZeoServerOptions, config: ServerConfig): { address: SocketAddress; where: string } {
  if (options.address !== undefined) {
    return { address: parseSocketAddress(options.address, SocketAddressRole.binding), where: `-a ${options.address}` };
  }
  return { address: config.zeo.address, where: at(config.zeo.addressLocation) };
}

/** zc.monitor's way of showing an address in its warning: `('127.0.0.1', 8100)` or the socket path. */
function monitorAddressText(address: SocketAddress): string {
  return address.family === 'unix' ? address.path : `(${pythonStrRepr(address.host)}, ${address.port ?? 0})`;
}

async function startMonitor(
  zookeeper: ZookeeperRegistrationConfig,
  running: RunningZeoServer,
  servers: RegisteredServers,
  logger: Logger,
): Promise<MonitorServer | undefined> {
  const address = zookeeper.monitorServer;
  if (address === undefined) return undefined;
  try {
    return await MonitorServer.start(address, {
      commands: { servers: serversCommand(servers), status: statusCommand(running.server) },
      logger,
    });
  } catch (error) {
    if (error instanceof ListenError && (error.cause as { code?: unknown } | undefined)?.code === 'EADDRINUSE') {
      // As zc.monitor: someone else's monitor is no reason not to serve.
      logger.warn(`unable to start zc.monitor server because the address ${monitorAddressText(address)} is in use.`);
      return undefined;
    }
    throw error;
  }
}

function monitorProperty(address: BoundAddress): RegistrationProperties {
  return address.family === 'unix' ? {} : { monitor: formatServerAddress(address) };
}

/**
 * Starts a ZEO server as {@link startZeoServer} does and, when the
 * configuration file has a `<zookeeper>` section with a `path`, starts its
 * monitor server (if `monitor-server` is set) and registers it in
 * ZooKeeper in the background. Resolves once the server accepts
 * connections; see {@link RegisteredZeoServer.registered} for the
 * registration.
 *
 * @throws RegistrationConfigError (naming the file and line) for a Unix
 *   socket address to register, or a malformed ZooKeeper connection string;
 *   whatever {@link startZeoServer} throws
 */
export async function startRegisteredZeoServer(options: RegisteredZeoServerOptions): Promise<RegisteredZeoServer> {
  const logger = options.logger ?? silentLogger;
  const config = options.configFile === undefined ? undefined : await loadServerConfigFile(options.configFile);
  const zookeeper = config?.zookeeper;
  if (config === undefined || zookeeper === undefined || zookeeper.path === undefined) {
    const running = await startZeoServer(options);
    return { ...running, registration: undefined, registeredAddress: undefined, monitor: undefined, registered: Promise.resolve(undefined) };
  }
  const path = zookeeper.path;
  const planned = plannedAddress(options, config);
  if (planned.address.family === 'unix') {
    throw new RegistrationConfigError(
      `${planned.where}: the Unix socket ${planned.address.path} cannot be registered in ZooKeeper ` +
        `(<zookeeper> with path ${path} at ${at(zookeeper.location)}); use a TCP address`,
    );
  }
  try {
    parseConnectionString(zookeeper.connection);
  } catch (error) {
    throw new RegistrationConfigError(`${at(zookeeper.location)}: ${(error as Error).message}`);
  }

  const running = await startZeoServer(options);
  const bound = running.address;
  if (bound.family === 'unix') {
    // Unreachable: the planned address was checked; this narrows the type.
    await running.close();
    throw new RegistrationConfigError(`${planned.where}: a Unix socket cannot be registered in ZooKeeper`);
  }
  const servers = new RegisteredServers();
  let monitor: MonitorServer | undefined;
  try {
    monitor = await startMonitor(zookeeper, running, servers, logger);
  } catch (error) {
    await running.close();
    throw error;
  }
  const registeredAddress = formatServerAddress({ host: planned.address.host, port: bound.port });
  const registration = ServerRegistration.begin({
    connection: zookeeper.connection,
    path,
    address: { host: planned.address.host, port: bound.port },
    properties: monitor === undefined ? {} : monitorProperty(monitor.address),
    sessionTimeoutMs: zookeeper.sessionTimeoutMs,
    connectTimeoutMs: options.zookeeperConnectTimeoutMs,
    withdrawTimeoutMs: options.withdrawTimeoutMs,
    onRegistering: servers.record,
    where: at(zookeeper.location),
    logger,
  });
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await registration.close();
    await monitor?.close();
    await running.close();
  };
  return {
    ...running,
    registration,
    registeredAddress,
    monitor,
    registered: registration.registered,
    close: () => (closing ??= close()),
  };
}
