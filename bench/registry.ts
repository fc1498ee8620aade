// Service registry figures against a private ZooKeeper on loopback:
// registrations per second, and how long a children view of a node with
// 10,000 children takes to show one more. Run: npx tsx bench/registry.ts
import { ZooKeeper } from '../src/registry/zookeeper.js';
import { TestingServer } from '../src/testing/testing-server.js';
import { msSince, report, summarize } from './stats.js';

const REGISTRATIONS = Number(process.env.REGISTRATIONS ?? 2000);
const CHILDREN = Number(process.env.CHILDREN ?? 10_000);
const ROUNDS = Number(process.env.ROUNDS ?? 50);

const server = await TestingServer.start();
const zk = await ZooKeeper.connect(server.connectionString);
const writer = await ZooKeeper.connect(server.connectionString);
try {
  await zk.client.create('/services');
  // 1. registrations, one after another and 100 in flight.
  let start = process.hrtime.bigint();
  for (let i = 0; i < REGISTRATIONS / 2; i += 1) await zk.register('/services', ['10.0.0.1', 10_000 + i]);
  const sequentialMs = msSince(start);
  start = process.hrtime.bigint();
  for (let i = REGISTRATIONS / 2; i < REGISTRATIONS; i += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, j) => zk.register('/services', ['10.0.0.1', 10_000 + i + j])));
  }
  const pipelinedMs = msSince(start);
  console.log(`register() of ${REGISTRATIONS} ephemeral nodes`);
  report('  one at a time', ((REGISTRATIONS / 2) / sequentialMs) * 1000, 'registrations/s', 0);
  report('  100 in flight', ((REGISTRATIONS / 2) / pipelinedMs) * 1000, 'registrations/s', 0);

  // 2. a children view of 10,000 children reflecting one added child.
  await writer.client.create('/big');
  for (let i = 0; i < CHILDREN; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, CHILDREN - i) }, (_, j) => writer.client.create(`/big/n${i + j}`)),
    );
  }
  for (const persistent of [false, true]) {
  start = process.hrtime.bigint();
  const view = zk.children('/big', { persistent });
  await view.ready;
  const readyMs = msSince(start);
  const latencies: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    let resolveSeen!: () => void;
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    const name = `extra-${persistent ? 'p' : 'o'}-${round}`;
    const unsubscribe = view.subscribe((_children, change) => {
      if (change.added.includes(name)) resolveSeen();
    });
    const changedAt = process.hrtime.bigint();
    await writer.client.create(`/big/${name}`);
    await seen;
    latencies.push(msSince(changedAt));
    unsubscribe();
  }
  const latency = summarize(latencies);
  console.log(`children view of /big (${CHILDREN} children), ${persistent ? 'persistent watch' : 'one-shot watches'}`);
  report('  view ready (first list)', readyMs, 'ms', 1);
  report(`  one child added → callback, median of ${ROUNDS}`, latency.median, 'ms', 2);
  report(`  one child added → callback, p99 of ${ROUNDS}`, latency.p99, 'ms', 2);
  view.close();
  }
} finally {
  await zk.close();
  await writer.close();
  await server.close();
}
