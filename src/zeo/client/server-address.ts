/**
 * The addresses a ZEO client can connect to: TCP `host:port` and Unix
 * socket paths, as ZEO's `server` setting and zc.zkzeo's ZooKeeper
 * children name them.
 */
import { InvalidArgumentError } from '../../errors.js';

/**
 * A server address as callers give it: a string (`host:port`, `[v6]:port`,
 * `:port` or a bare port for 127.0.0.1, or a path containing `/` for a Unix
 * socket), `{ host, port }`, or `{ path }`.
 */
export type ZeoAddressInput =
  | string
  | {
      /** Host name or IP literal; empty means 127.0.0.1. */
      readonly host: string;
      /** TCP port. */
      readonly port: number;
    }
  | {
      /** Unix socket path. */
      readonly path: string;
    };

/** A TCP address. */
export interface ZeoTcpAddress {
  /** Discriminant. */
  readonly kind: 'tcp';
  /** Host name or IP literal (without brackets); an empty host became `127.0.0.1`. */
  readonly host: string;
  /** The port, 1–65535. */
  readonly port: number;
  /** `host:port` (`[v6]:port` for IPv6): unique per address, used in logs and events. */
  readonly label: string;
}

/** A Unix-domain socket address. */
export interface ZeoUnixAddress {
  /** Discriminant. */
  readonly kind: 'unix';
  /** The socket path. */
  readonly path: string;
  /** The path: unique per address, used in logs and events. */
  readonly label: string;
}

/** A checked, normalized server address. */
export type ZeoServerAddress = ZeoTcpAddress | ZeoUnixAddress;

function tcp(host: string, port: number, where: string): ZeoTcpAddress {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`${where}: port must be an integer from 1 to 65535, got ${String(port)}`);
  }
  const h = host === '' ? '127.0.0.1' : host;
  return { kind: 'tcp', host: h, port, label: h.includes(':') ? `[${h}]:${port}` : `${h}:${port}` };
}

function parsePort(text: string, where: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new InvalidArgumentError(`${where}: ${JSON.stringify(text)} is not a port number`);
  return Number(text);
}

/**
 * Checks and normalizes one address.
 * @param where - names the option in error messages, e.g. `addresses[2]`
 * @throws InvalidArgumentError naming `where` for anything else.
 */
export function parseZeoAddress(input: ZeoAddressInput, where = 'address'): ZeoServerAddress {
  if (typeof input === 'string') {
    const text = input.trim();
    if (text === '') throw new InvalidArgumentError(`${where}: empty server address`);
    if (text.includes('/')) return { kind: 'unix', path: text, label: text };
    const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
    if (bracketed !== null) return tcp(bracketed[1] as string, parsePort(bracketed[2] as string, where), where);
    const colon = text.lastIndexOf(':');
    if (colon < 0) return tcp('', parsePort(text, where), where);
    const host = text.slice(0, colon);
    if (host.includes(':')) throw new InvalidArgumentError(`${where}: write an IPv6 address as [host]:port, got ${JSON.stringify(text)}`);
    return tcp(host, parsePort(text.slice(colon + 1), where), where);
  }
  if (typeof input === 'object' && input !== null) {
    if ('path' in input && typeof input.path === 'string' && input.path !== '') {
      return { kind: 'unix', path: input.path, label: input.path };
    }
    if ('host' in input && typeof input.host === 'string' && 'port' in input) return tcp(input.host, input.port, where);
  }
  throw new InvalidArgumentError(`${where}: expected "host:port", a socket path or { host, port } / { path }, got ${typeof input}`);
}

/**
 * Checks and normalizes an address list; duplicates (same label) are
 * dropped, order is kept.
 * @throws InvalidArgumentError naming `option` and the index of a bad entry.
 */
export function parseZeoAddresses(inputs: readonly ZeoAddressInput[], option: string): ZeoServerAddress[] {
  if (!Array.isArray(inputs)) throw new InvalidArgumentError(`${option} must be an array of server addresses`);
  const seen = new Set<string>();
  const result: ZeoServerAddress[] = [];
  inputs.forEach((input, i) => {
    const address = parseZeoAddress(input, `${option}[${i}]`);
    if (!seen.has(address.label)) {
      seen.add(address.label);
      result.push(address);
    }
  });
  return result;
}
