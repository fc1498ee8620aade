import { InvalidArgumentError } from '../errors.js';

/** A server address in any of the forms zc.zk accepts. */
export type AddressInput = readonly [host: string, port: number] | HostPort | string;

/** A parsed `host:port`; `host` is empty for "all interfaces". */
export interface HostPort {
  /** Host name or IP address (IPv6 without brackets); empty for all interfaces. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
}

/**
 * Reads an address given as `[host, port]`, `{host, port}` or
 * `"host:port"` (`"[::1]:8100"` for IPv6, `":8100"` for all interfaces).
 *
 * @throws InvalidArgumentError quoting the address when it is malformed
 */
export function parseServerAddress(address: AddressInput): HostPort {
  let host: unknown;
  let port: unknown;
  if (typeof address === 'string') {
    const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(address.trim());
    if (match === null) throw new InvalidArgumentError(`cannot read the address ${JSON.stringify(address)}: expected host:port`);
    host = match[1] ?? match[2];
    port = Number(match[3]);
  } else if (Array.isArray(address)) {
    [host, port] = address as readonly unknown[];
  } else if (typeof address === 'object' && address !== null) {
    ({ host, port } = address as { host: unknown; port: unknown });
  }
  if (typeof host !== 'string' || typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError(`cannot read the address ${JSON.stringify(address)}: expected a host and a port 0-65535`);
  }
  return { host, port };
}

/** `host:port`, with IPv6 hosts in brackets: the node name zc.zk registers. */
export function formatServerAddress({ host, port }: HostPort): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
