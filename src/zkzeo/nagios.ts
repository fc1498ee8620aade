/**
 * zc.zkzeo's Nagios plugin (`zkzeo-nagios`): find the ZEO server
 * registered at a ZooKeeper path (with the help of its monitor server when
 * several are registered there), then check it as ZEO's plugin does.
 */
import { silentLogger, type Logger } from '../logger.js';
import { ZooKeeper } from '../registry/zookeeper.js';
import { FailedConnectError } from '../registry/errors.js';
import { NoNodeError, ZooKeeperError } from '../zk/errors.js';
import { checkZeoServer, exchange, NagiosStatus, type NagiosResult, type ZeoCheckOptions } from './nagios-check.js';
import { pythonStrListRepr, pythonStrRepr } from './python-text.js';

/** What {@link findServer} found: the server's node name, or why there is none. */
export type FoundServer =
  | {
      /** The chosen child name, `host:port`. */
      readonly address: string;
      /** Absent when a server was found. */
      readonly message?: undefined;
    }
  | {
      /** Absent when no server was found. */
      readonly address?: undefined;
      /** zc.zkzeo's message saying why (the plugin prints it and exits critical). */
      readonly message: string;
    };

/** Options of {@link findServer}. */
export interface FindServerOptions {
  /** How long to wait for ZooKeeper. @defaultValue `10000` */
  readonly connectTimeoutMs?: number;
  /** How long to wait for the monitor server's answer (zc.zkzeo: one second). @defaultValue `1000` */
  readonly monitorTimeoutMs?: number;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/** Asks a monitor for the address it registered at `path` (zc.zk's `servers PATH`). */
async function serverFromMonitor(monitor: string, path: string, timeoutMs: number): Promise<FoundServer> {
  let reply: string;
  try {
    reply = (await exchange(monitor, `servers ${path}\n`, timeoutMs)).toString('utf8').trim();
  } catch (error) {
    const reason = (error as Error).message;
    return { message: (error as { stage?: string }).stage === 'connect' ? `Can't connect ${reason}` : `No answer from ${pythonStrRepr(monitor)}: ${reason}` };
  }
  if (reply.toLowerCase().startsWith('invalid ')) return { message: `${reply} at ${pythonStrRepr(monitor)}` };
  const servers = [...new Set(reply.split(/\s+/).filter((word) => word !== ''))];
  if (servers.length === 0) return { message: `No servers at: ${pythonStrRepr(monitor)}` };
  if (servers.length > 1) return { message: `Too many servers, ${pythonStrListRepr(servers.sort())}, at: ${pythonStrRepr(monitor)}` };
  return { address: servers[0] as string };
}

/**
 * zc.zkzeo's `find_server`: the one server registered at `path` (the
 * children are read as they are, links not followed). With a `monitor`
 * address (`host:port`, `[v6]:port` or a Unix socket path), the server
 * that monitor's process registered at `path` (`servers PATH`; a
 * registration with an empty host, `:8100`, matches any child on that
 * port). Otherwise there must be exactly one child.
 *
 * Messages when there is none: `Couldn't find server in ZooKeeper`,
 * `Can't connect <reason>`, `No servers at: '<monitor>'`,
 * `Too many servers, ['a', 'b'], at: '<monitor>'`, or the monitor's own
 * `Invalid command …` answer followed by ` at '<monitor>'`.
 *
 * @throws FailedConnectError when ZooKeeper cannot be reached
 * @throws NoNodeError when `path` does not exist
 */
export async function findServer(
  zookeeper: string,
  path: string,
  monitor?: string,
  options: FindServerOptions = {},
): Promise<FoundServer> {
  let wanted: string | undefined;
  if (monitor !== undefined && monitor !== '') {
    const found = await serverFromMonitor(monitor, path, options.monitorTimeoutMs ?? 1000);
    if (found.address === undefined) return found;
    wanted = found.address;
  }
  const zk = await ZooKeeper.connect(zookeeper, { connectTimeoutMs: options.connectTimeoutMs ?? 10_000, logger: options.logger ?? silentLogger });
  let children: string[];
  try {
    children = await zk.client.getChildren(path);
  } finally {
    await zk.close();
  }
  if (wanted !== undefined) {
    const colon = wanted.lastIndexOf(':');
    const host = colon < 0 ? wanted : wanted.slice(0, colon);
    const port = colon < 0 ? '' : wanted.slice(colon + 1);
    children =
      host !== ''
        ? children.filter((child) => child === wanted)
        : children.filter((child) => child.slice(child.lastIndexOf(':') + 1) === port);
  }
  const [only] = children;
  if (children.length !== 1 || only === undefined) return { message: "Couldn't find server in ZooKeeper" };
  return { address: only };
}

/** Options of {@link checkRegisteredServer}: the check's, plus `-M`. */
export interface RegisteredServerCheckOptions extends ZeoCheckOptions, FindServerOptions {
  /** `-M`: the address of the monitor server of the process to check. */
  readonly monitor?: string;
}

/**
 * What `zkzeo-nagios` does: {@link findServer}, then {@link checkZeoServer}.
 * No server found is critical (with find_server's message); ZooKeeper
 * unreachable or the path missing is unknown (zc.zkzeo crashes there).
 */
export async function checkRegisteredServer(
  zookeeper: string,
  path: string,
  options: RegisteredServerCheckOptions = {},
): Promise<NagiosResult> {
  let found: FoundServer;
  try {
    found = await findServer(zookeeper, path, options.monitor, options);
  } catch (error) {
    if (error instanceof FailedConnectError) return { status: NagiosStatus.unknown, output: `${error.message}\n` };
    if (error instanceof NoNodeError) return { status: NagiosStatus.unknown, output: `No such node in ZooKeeper: ${path}\n` };
    if (error instanceof ZooKeeperError) return { status: NagiosStatus.unknown, output: `ZooKeeper failed: ${error.message}\n` };
    throw error;
  }
  if (found.address === undefined) return { status: NagiosStatus.critical, output: `${found.message}\n` };
  return checkZeoServer(found.address, options);
}
