/**
 * Binding a listening socket: TCP over IPv4 or IPv6 (port 0 or no port
 * lets the system choose, and the bound port is reported) or a Unix-domain
 * socket (a stale socket file left by a crashed server is removed first,
 * as `runzeo` does; a live one is refused).
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import type { SocketAddress } from '../config/socket-address.js';
import { ListenError } from './errors.js';

/** Where a server listens: the configuration's socket address (`port` undefined = any free port). */
export type ListenAddress = SocketAddress;

/** An address a server is actually listening on. */
export type BoundAddress =
  | {
      /** Discriminant. */
      readonly family: 'unix';
      /** The socket path. */
      readonly path: string;
    }
  | {
      /** Discriminant. */
      readonly family: 'ipv4' | 'ipv6';
      /** The bound host (`::` or `0.0.0.0` for all interfaces). */
      readonly host: string;
      /** The bound port (the chosen one when 0 was asked for). */
      readonly port: number;
    };

/** `host:port` (IPv6 in brackets) or the socket path. */
export function formatBoundAddress(address: BoundAddress): string {
  if (address.family === 'unix') return address.path;
  return address.family === 'ipv6' ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function describe(address: ListenAddress): string {
  if (address.family === 'unix') return address.path;
  const host = address.host === '' ? '*' : address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${host}:${address.port ?? 0}`;
}

/** Whether something accepts connections on the Unix socket `path`. */
function someoneListens(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

async function clearStaleSocket(path: string): Promise<void> {
  const stat = await lstat(path).catch(() => undefined);
  if (stat === undefined || !stat.isSocket()) return;
  if (await someoneListens(path)) return; // listen() then fails with EADDRINUSE, naming the path
  await unlink(path).catch(() => undefined);
}

/**
 * Makes `server` listen on `address` and resolves with where it listens.
 * @throws ListenError naming the address and the system's reason.
 */
export async function listenOn(server: net.Server, address: ListenAddress): Promise<BoundAddress> {
  if (address.family === 'unix') await clearStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(new ListenError(describe(address), error));
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if (address.family === 'unix') server.listen(address.path, done);
    else server.listen({ port: address.port ?? 0, host: address.host === '' ? undefined : address.host }, done);
  });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') return { family: 'unix', path: address.family === 'unix' ? address.path : String(bound) };
  return { family: bound.family === 'IPv6' ? 'ipv6' : 'ipv4', host: bound.address, port: bound.port };
}
