/**
 * ZConfig's address datatypes: `socket-address`, `socket-binding-address`
 * and `socket-connection-address` (and the `inet-*` forms they use). No DNS
 * lookups are made; hosts are only lower-cased.
 */
import type { Datatype } from './datatypes.js';
import { portNumber, quote } from './datatypes.js';
import { ConfigValueError } from './errors.js';

/** A Unix-domain socket: any value containing `/`. */
export interface UnixSocketAddress {
  /** Discriminant. */
  readonly family: 'unix';
  /** The socket path, exactly as written (relative paths allowed). */
  readonly path: string;
}

/** A TCP address, parsed without DNS lookup. */
export interface InetSocketAddress {
  /** `ipv6` when the host contains `:` (an IPv6 literal), otherwise `ipv4` (which includes host names). */
  readonly family: 'ipv4' | 'ipv6';
  /** The host, lower-cased and without IPv6 brackets; `''` means all interfaces (binding addresses only). */
  readonly host: string;
  /** The port, or `undefined` when none was given (for a binding address: let the OS choose). */
  readonly port: number | undefined;
}

/** What the socket-address datatypes produce. */
export type SocketAddress = UnixSocketAddress | InetSocketAddress;

/** Which default host an empty host becomes. */
export const SocketAddressRole = Object.freeze({
  /** `socket-address`: an empty host stays empty. */
  plain: 'plain',
  /** `socket-binding-address`: an empty host stays empty (all interfaces). */
  binding: 'binding',
  /** `socket-connection-address`: an empty host becomes `127.0.0.1`. */
  connection: 'connection',
} as const);

/** One of the {@link SocketAddressRole} values. */
export type SocketAddressRole = (typeof SocketAddressRole)[keyof typeof SocketAddressRole];

/** The parts of an Internet address as ZConfig's `InetAddress` splits them. */
function parseInet(text: string, defaultHost: string): { host: string; port: number | undefined } {
  let host = '';
  let port: number | undefined;
  const colon = text.lastIndexOf(':');
  if (colon >= 0) {
    host = text.slice(0, colon);
    let portText: string | undefined = text.slice(colon + 1);
    if (host.startsWith('[') && host.endsWith(']')) {
      host = host.slice(1, -1);
    } else if (host.includes(':')) {
      // An unbracketed IPv6 address: the last group is not a port.
      host = text;
      portText = undefined;
    }
    if (portText) port = portNumber(portText);
    host = host.toLowerCase();
  } else {
    try {
      port = portNumber(text);
    } catch {
      if (text.split(/\s+/).filter((part) => part !== '').length !== 1) {
        throw new ConfigValueError(`not a valid host name: ${quote(text)}`);
      }
      host = text.toLowerCase();
    }
  }
  return { host: host === '' ? defaultHost : host, port };
}

/**
 * Parses a socket address the way ZConfig does: a value containing `/` is a
 * Unix socket path; otherwise `host:port`, `[v6]:port`, `:port`, a bare port,
 * a bare host (no port) or an unbracketed IPv6 address (no port).
 *
 * @param role - decides what an empty host becomes
 */
export function parseSocketAddress(text: string, role: SocketAddressRole = SocketAddressRole.plain): SocketAddress {
  if (text.includes('/')) return { family: 'unix', path: text };
  const { host, port } = parseInet(text, role === SocketAddressRole.connection ? '127.0.0.1' : '');
  return { family: host.includes(':') ? 'ipv6' : 'ipv4', host, port };
}

/** `socket-address`: an empty host stays empty. */
export const socketAddress: Datatype<SocketAddress> = (text) => parseSocketAddress(text, SocketAddressRole.plain);

/** `socket-binding-address`: where a server listens; an empty host means all interfaces. */
export const socketBindingAddress: Datatype<SocketAddress> = (text) => parseSocketAddress(text, SocketAddressRole.binding);

/** `socket-connection-address`: where a client connects; an empty host means `127.0.0.1`. */
export const socketConnectionAddress: Datatype<SocketAddress> = (text) =>
  parseSocketAddress(text, SocketAddressRole.connection);

/** `inet-address`: `(host, port)` without the Unix-socket case. */
export const inetAddress: Datatype<{ host: string; port: number | undefined }> = (text) => parseInet(text, '');

/**
 * Renders an address back to configuration syntax: the Unix path, or
 * `host:port` with IPv6 hosts in brackets, or the bare host when there is no
 * port (so that parsing the result gives the same address).
 */
export function formatSocketAddress(address: SocketAddress): string {
  if (address.family === 'unix') return address.path;
  if (address.port === undefined) return address.host;
  const host = address.family === 'ipv6' ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
