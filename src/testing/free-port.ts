import { createServer } from 'node:net';

/**
 * Finds free TCP ports on 127.0.0.1 by binding port 0 and closing again.
 * All sockets are held open together, so the ports returned are distinct.
 * Another process could take a port before it is used; callers that spawn
 * servers retry on "address in use".
 *
 * @param count - how many ports to find
 * @returns the port numbers
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
