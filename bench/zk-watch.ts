// How quickly a ChildrenWatch sees another client's change, and how long
// creating and then watching a node with 10,000 children takes, against a
// private ZooKeeper on loopback. Run: npx tsx bench/zk-watch.ts
import { TestingServer } from '../src/testing/testing-server.js';
import { ChildrenWatch } from '../src/zk/children-watch.js';
import { ZkClient } from '../src/zk/client.js';
import { msSince, report, summarize } from './stats.js';

const CHANGES = Number(process.env.CHANGES ?? 1000);
const CHILDREN = Number(process.env.CHILDREN ?? 10_000);

const server = await TestingServer.start();
const writer = new ZkClient(server.connectionString);
const watcher = new ZkClient(server.connectionString);
try {
  await Promise.all([writer.start(), watcher.start()]);
  // 1. change → callback latency, one change at a time, with a one-shot
  //    and with a persistent watch; next to it, the create's own round
  //    trip: ZooKeeper alone, the floor under any watch.
  for (const persistent of [false, true]) {
    const path = persistent ? '/bench-persistent' : '/bench';
    await writer.create(path);
    let expected = -1;
    let changedAt = 0n;
    let resolveSeen: (() => void) | undefined;
    const latencies: number[] = [];
    const roundTrips: number[] = [];
    const watch = new ChildrenWatch(
      watcher,
      path,
      (children) => {
        if (children.length === expected && resolveSeen !== undefined) {
          latencies.push(msSince(changedAt));
          resolveSeen();
        }
      },
      { persistent },
    );
    await watch.ready;
    for (let i = 0; i < CHANGES; i += 1) {
      expected = i + 1;
      const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
      changedAt = process.hrtime.bigint();
      await writer.create(`${path}/c${i}`);
      roundTrips.push(msSince(changedAt));
      await seen;
    }
    watch.cancel();
    const latency = summarize(latencies);
    const roundTrip = summarize(roundTrips);
    console.log(`ChildrenWatch${persistent ? ' (persistent)' : ''} latency over ${latency.n} changes (create by one client → callback in another)`);
    report('  median', latency.median, 'ms', 3);
    report('  p99', latency.p99, 'ms', 3);
    report("  the create's own round trip (ZooKeeper alone), median", roundTrip.median, 'ms', 3);
    report("  the create's own round trip (ZooKeeper alone), p99", roundTrip.p99, 'ms', 3);
  }

  // 2. create 10,000 children (pipelined), then watch them.
  await writer.create('/many');
  const createStart = process.hrtime.bigint();
  const batch = 500;
  for (let i = 0; i < CHILDREN; i += batch) {
    const creates = [];
    for (let j = i; j < Math.min(CHILDREN, i + batch); j += 1) creates.push(writer.create(`/many/n${j}`));
    await Promise.all(creates);
  }
  const createMs = msSince(createStart);
  const watchStart = process.hrtime.bigint();
  let count = 0;
  const big = new ChildrenWatch(watcher, '/many', (children) => {
    count = children.length;
  });
  await big.ready;
  const watchMs = msSince(watchStart);
  const initial = count;
  const changeStart = process.hrtime.bigint();
  const oneMore = new Promise<void>((resolve) => {
    const probe = new ChildrenWatch(watcher, '/many', (children) => {
      if (children.length === CHILDREN + 1) {
        resolve();
        return false;
      }
      return undefined;
    });
    void probe.ready.then(() => writer.create('/many/extra'));
  });
  await oneMore;
  const oneMoreMs = msSince(changeStart);
  big.cancel();
  console.log(`${CHILDREN} children (pipelined creates, ${batch} in flight)`);
  report('  create all', createMs, 'ms', 1);
  report('  creates per second', (CHILDREN / createMs) * 1000, '/s', 0);
  report(`  ChildrenWatch first callback (${initial} children)`, watchMs, 'ms', 1);
  report('  second watch: list + add one child + callback', oneMoreMs, 'ms', 1);
} finally {
  await writer.close();
  await watcher.close();
  await server.close();
}
