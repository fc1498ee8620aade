import { networkInterfaces } from 'node:os';

/**
 * The machine's non-loopback IPv4 addresses, for registering a server that
 * listens on all interfaces (an empty host); `127.0.0.1` when there is
 * none, as zc.zk falls back to the loopback addresses.
 */
export function hostIPv4Addresses(): string[] {
  const addresses = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family === 'IPv4' && !entry.internal && !entry.address.startsWith('127.')) addresses.add(entry.address);
    }
  }
  return addresses.size > 0 ? [...addresses].sort() : ['127.0.0.1'];
}
