import { ConnectionStringError } from './errors.js';
import { validatePath } from './paths.js';

/** One ZooKeeper server address. IPv6 hosts are kept without brackets. */
export interface ServerAddress {
  /** Host name or IP address. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/** What a connection string or `zookeeper:` URL says. */
export interface ParsedConnectionString {
  /** The servers, in the order given. */
  readonly servers: readonly ServerAddress[];
  /** For `host:port/chroot` strings: the chroot every path is relative to. */
  readonly chroot: string | undefined;
  /** For `zookeeper:` URLs: the node path the URL names (absolute). */
  readonly path: string | undefined;
  /** The servers (and chroot) written back as a plain connection string. */
  readonly connectionString: string;
}

/** Where missing parts of a connection string come from. */
export interface ConnectionStringOptions {
  /**
   * Servers for `zookeeper:///path` URLs and for an empty string; before
   * the `ZOOKEEPER_SERVERS` environment variable.
   */
  readonly servers?: string;
  /** The base path that `zookeeper:./relative/path` URLs are relative to. @defaultValue `'/'` */
  readonly basePath?: string;
  /** The environment to read variables from. @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The server zc.zk and kazoo use when nothing else is said. */
export const DEFAULT_CONNECTION_STRING = '127.0.0.1:2181';
const DEFAULT_PORT = 2181;

/**
 * Parses a ZooKeeper connection string or URL:
 *
 * - `host:port,host:port/chroot` (port defaults to 2181; IPv6 hosts in
 *   brackets, `[::1]:2181`; whitespace around hosts ignored);
 * - `zookeeper://h1:2181,h2:2181/path`: servers and a node path;
 * - `zookeeper:///path`: servers from `options.servers`, else the
 *   `ZOOKEEPER_SERVERS` environment variable, else 127.0.0.1:2181;
 * - `zookeeper:./relative/path`: the same servers, the path relative to
 *   `options.basePath`;
 * - empty or undefined: zc.zk's `ZC_ZK_CONNECTION_STRING` environment
 *   variable, else `options.servers`, else 127.0.0.1:2181.
 *
 * @throws ConnectionStringError quoting the input when it is malformed
 */
export function parseConnectionString(
  input: string | undefined,
  options: ConnectionStringOptions = {},
): ParsedConnectionString {
  const env = options.env ?? process.env;
  const text = input?.trim() ?? '';
  if (text === '') {
    const fallback = env.ZC_ZK_CONNECTION_STRING?.trim() || options.servers || DEFAULT_CONNECTION_STRING;
    // Parsed again without the variable, so a URL in it still finds ZOOKEEPER_SERVERS.
    return parseConnectionString(fallback, { ...options, env: { ...env, ZC_ZK_CONNECTION_STRING: undefined } });
  }
  if (text.toLowerCase().startsWith('zookeeper:')) return parseUrl(text, options, env);
  const slash = text.indexOf('/');
  const hosts = slash === -1 ? text : text.slice(0, slash);
  let chroot = slash === -1 ? undefined : text.slice(slash);
  if (chroot === '/') chroot = undefined;
  if (chroot !== undefined) checkPath(input ?? '', chroot);
  const servers = parseHosts(input ?? '', hosts);
  return build(servers, chroot, undefined);
}

function parseUrl(
  url: string,
  options: ConnectionStringOptions,
  env: Readonly<Record<string, string | undefined>>,
): ParsedConnectionString {
  const rest = url.slice('zookeeper:'.length);
  const defaultServers = (): ServerAddress[] =>
    parseHosts(url, options.servers ?? (env.ZOOKEEPER_SERVERS?.trim() || DEFAULT_CONNECTION_STRING));
  if (rest.startsWith('//')) {
    const authorityEnd = rest.indexOf('/', 2);
    const authority = authorityEnd === -1 ? rest.slice(2) : rest.slice(2, authorityEnd);
    const path = authorityEnd === -1 ? '/' : rest.slice(authorityEnd);
    checkPath(url, path);
    return build(authority.trim() === '' ? defaultServers() : parseHosts(url, authority), undefined, path);
  }
  if (rest.startsWith('.')) {
    const base = options.basePath ?? '/';
    checkPath(url, base);
    return build(defaultServers(), undefined, resolveRelative(url, base, rest));
  }
  if (rest.startsWith('/')) {
    checkPath(url, rest);
    return build(defaultServers(), undefined, rest);
  }
  throw new ConnectionStringError(url, 'expected zookeeper://servers/path, zookeeper:///path or zookeeper:./path');
}

function resolveRelative(url: string, base: string, relative: string): string {
  const names = base === '/' ? [] : base.slice(1).split('/');
  for (const name of relative.split('/')) {
    if (name === '' || name === '.') continue;
    if (name === '..') {
      if (names.length === 0) throw new ConnectionStringError(url, 'the relative path goes above /');
      names.pop();
    } else {
      names.push(name);
    }
  }
  return `/${names.join('/')}`;
}

function parseHosts(input: string, hosts: string): ServerAddress[] {
  const servers: ServerAddress[] = [];
  for (const raw of hosts.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const match = /^(?:\[([0-9a-fA-F:.%\w]+)\]|([^\s:[\]/]+))(?::(\d+))?$/u.exec(item);
    if (match === null) throw new ConnectionStringError(input, `cannot read the server address ${JSON.stringify(item)}`);
    const host = match[1] ?? match[2] ?? '';
    const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConnectionStringError(input, `port out of range in ${JSON.stringify(item)}`);
    }
    servers.push({ host, port });
  }
  if (servers.length === 0) throw new ConnectionStringError(input, 'no servers');
  return servers;
}

function checkPath(input: string, path: string): void {
  try {
    validatePath(path);
  } catch (error) {
    throw new ConnectionStringError(input, (error as Error).message);
  }
}

function formatHost({ host, port }: ServerAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function build(
  servers: readonly ServerAddress[],
  chroot: string | undefined,
  path: string | undefined,
): ParsedConnectionString {
  const connectionString = servers.map(formatHost).join(',') + (chroot ?? '');
  return { servers, chroot, path, connectionString };
}
