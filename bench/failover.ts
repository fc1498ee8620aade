// How fast a zkzeo client moves to a replacement ZEO server:
//  A. from a replacement server's registration to the client's first good
//     load, after the old server has gone (a new server, another address);
//  B. the same when only the port changes;
//  C. the whole outage, from kill -9 of a registered server process to the
//     first good load through a replacement started at once.
// Private ZooKeeper and servers on loopback. Run: npx tsx bench/failover.ts
import { spawn } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZooKeeper } from '../src/registry/zookeeper.js';
import { StorageServer } from '../src/server/storage-server.js';
import { FileStorage } from '../src/storage/file-storage/file-storage.js';
import { p64, z64 } from '../src/storage/oid.js';
import { TestingServer } from '../src/testing/testing-server.js';
import { READ_ACL_UNSAFE } from '../src/zk/types.js';
import { client } from '../src/zkzeo/client.js';
import { msSince, report, summarize } from './stats.js';

// 400 rounds per case (the issue asks for at least 50): a p99 over 50 is just the maximum.
const ROUNDS = Number(process.env.ROUNDS ?? 400);
const WARMUP = Number(process.env.WARMUP ?? 40);
const KILL_ROUNDS = Number(process.env.KILL_ROUNDS ?? 10);
const PATH = '/databases/bench';
const OID = p64(1n);

const dir = mkdtempSync(join(tmpdir(), 'zkzeo-failover-'));
const file = join(dir, 'Data.fs');
// A standalone ZooKeeper, as one server runs in production: the harness's
// default one-member quorum (chosen for tests that restart it) sometimes
// holds a write until a client sends again (see ZkClient's nudge).
const zookeeper = await TestingServer.start({ mode: 'standalone' });

// When bytes last reached each ZooKeeper connection opened from here on:
// the registry's (its answers) and then the client's (its notifications).
// They split ZooKeeper's share of the wait (the server, scheduling) from
// the client's. A prepended listener runs before the library reads them.
const zookeeperPort = Number(zookeeper.connectionString.split(':').at(-1));
const bytesAt: bigint[] = [];
subscribe('net.client.socket', (message) => {
  const { socket } = message as { socket: Socket };
  socket.once('connect', () => {
    if (socket.remotePort !== zookeeperPort) return;
    const index = bytesAt.push(0n) - 1;
    socket.prependListener('data', () => (bytesAt[index] = process.hrtime.bigint()));
  });
});
const registry = await ZooKeeper.connect(zookeeper.connectionString);
await registry.client.create(PATH, undefined, { makepath: true });

// One object to load.
{
  const storage = await FileStorage.open(file, { create: true, fsync: false });
  const txn = { user: Buffer.alloc(0), description: Buffer.from('bench'), extension: Buffer.alloc(0) };
  await storage.tpcBegin(txn);
  await storage.store(OID, z64, Buffer.from('record'), txn);
  await storage.tpcVote(txn);
  await storage.tpcFinish(txn);
  await storage.close();
}

async function serve(storage: FileStorage, host: string): Promise<{ server: StorageServer; port: number }> {
  const server = await StorageServer.create({ storages: { '1': storage }, closeStorages: false });
  const bound = await server.listen({ family: 'ipv4', host, port: 0 });
  return { server, port: bound.family === 'unix' ? 0 : bound.port };
}

try {
  const storage = await FileStorage.open(file, { fsync: false });
  let current = await serve(storage, '127.0.0.1');
  let registration = await registry.register(PATH, ['127.0.0.1', current.port]);
  const zeo = await client(zookeeper.connectionString, PATH, { cacheSize: 0, minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05 });
  const [REGISTRY, CLIENT] = [0, 1];
  if (bytesAt.length !== 2) throw new Error(`expected two ZooKeeper connections, saw ${bytesAt.length}`);
  await zeo.load(OID);

  // When the client's address list took in the new server (its ChildrenView
  // subscribers run after the one that starts connecting), and when the
  // notification that told it arrived.
  let seenAt = 0n;
  let arrivedAt = 0n;
  zeo.zookeeperAddresses.subscribe((children) => {
    if (children.length === 0) return;
    seenAt = process.hrtime.bigint();
    arrivedAt = bytesAt[CLIENT] ?? 0n;
  });
  for (const [label, replacementHost, rounds] of [
    ['warm-up (not reported)', '127.0.0.1', WARMUP],
    ['A. new server on another address: registration → first good load', '127.0.0.2', ROUNDS],
    ['B. same host, new port: registration → first good load', '127.0.0.1', ROUNDS],
  ] as const) {
    const samples: number[] = [];
    const registering: number[] = [];
    const arrived: number[] = [];
    const answered: number[] = [];
    const notified: number[] = [];
    const connecting: number[] = [];
    const clientShare: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const gone = new Promise((resolve) => zeo.once('disconnected', resolve));
      await registration.withdraw();
      await current.server.close();
      await gone;
      // A alternates between two addresses, so every round is a different server address.
      const host = round % 2 === 0 ? replacementHost : '127.0.0.1';
      current = await serve(storage, host);
      // Alternate rounds time register() as a whole and the node's
      // creation alone, split into its parts.
      // The application is already waiting for its data: the load is
      // asked for first, and waits for a connection.
      const loading = zeo.load(OID);
      if (round % 4 < 2) {
        const start = process.hrtime.bigint();
        const registered = registry.register(PATH, [host, current.port]);
        await loading;
        registering.push(msSince(start));
        registration = await registered;
      } else {
        const node = `${PATH}/${host}:${current.port}`;
        const start = process.hrtime.bigint();
        const created = registry.client.create(node, JSON.stringify({ pid: process.pid }), { ephemeral: true, acl: READ_ACL_UNSAFE });
        // ZooKeeper notifies watchers as it answers the create: the answer
        // reaching the registry times ZooKeeper with no client code in it.
        void created.then(() => answered.push(Number((bytesAt[REGISTRY] ?? 0n) - start) / 1e6));
        await loading;
        samples.push(msSince(start));
        arrived.push(Number(arrivedAt - start) / 1e6);
        notified.push(Number(seenAt - arrivedAt) / 1e6);
        connecting.push(msSince(seenAt));
        clientShare.push(msSince(arrivedAt));
        await created;
        registration = { withdraw: () => registry.client.delete(node) } as unknown as typeof registration;
      }
    }
    if (label.startsWith('warm-up')) continue;
    const figures = summarize(samples);
    console.log(`${label} (${figures.n} + ${registering.length} rounds)`);
    report("  counted from the node's creation, median", figures.median, 'ms', 2);
    report("  counted from the node's creation, p99", figures.p99, 'ms', 2);
    const viaRegister = summarize(registering);
    report('  counted from register(), median', viaRegister.median, 'ms', 2);
    report('  counted from register(), p99', viaRegister.p99, 'ms', 2);
    // Where the time goes: ZooKeeper's notification reaching the client,
    // the client reading it, then the ZEO connection and the load.
    for (const [name, part] of [
      ['node created → answer at the registry (ZooKeeper alone)', answered],
      ['node created → notification at the client (ZooKeeper)', arrived],
      ['notification → client has the address', notified],
      ['address → first good load (connect, load)', connecting],
      ["client's share: notification → first good load", clientShare],
    ] as const) {
      const figures = summarize(part);
      report(`  ${name}, median`, figures.median, 'ms', 2);
      report(`  ${name}, p99`, figures.p99, 'ms', 2);
    }
  }

  // C. kill -9 of a registered server process, replacement started at once.
  await registration.withdraw();
  await current.server.close();
  await storage.close();
  const outages: number[] = [];
  const child = fileURLToPath(new URL('./failover-child.ts', import.meta.url));
  for (let round = 0; round < KILL_ROUNDS; round += 1) {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, file, zookeeper.connectionString, PATH], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => proc.stdout.once('data', () => resolve()));
    await zeo.load(OID); // connected to the child
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    const start = process.hrtime.bigint();
    proc.kill('SIGKILL');
    const disconnected = new Promise((resolve) => zeo.once('disconnected', resolve));
    await exited; // its lock file is now stale and may be taken over
    await disconnected;
    const loading = zeo.load(OID); // waits for the replacement
    const replacementStorage = await FileStorage.open(file, { fsync: false });
    const replacement = await serve(replacementStorage, '127.0.0.1');
    const replacementRegistration = await registry.register(PATH, ['127.0.0.1', replacement.port]);
    await loading;
    outages.push(msSince(start));
    await replacementRegistration.withdraw();
    await replacement.server.close();
    await replacementStorage.close();
  }
  const outage = summarize(outages);
  console.log(`C. whole outage: kill -9 → first good load via a replacement started at once (${KILL_ROUNDS} rounds)`);
  report('  median', outage.median, 'ms', 1);
  report('  p99 (max)', outage.p99, 'ms', 1);
  await zeo.close();
} finally {
  await registry.close();
  await zookeeper.close();
  rmSync(dir, { recursive: true, force: true });
}
