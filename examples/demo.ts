// The zkzeo demo, on embedded defaults: a private ZooKeeper, a service
// that registers itself as an ephemeral node, and a client that watches
// the registry and sees it come and go. Run: bash scripts/demo.sh
import { ChildrenWatch, ZkClient } from '../src/index.js';
import { TestingServer } from '../src/testing/index.js';

const say = (message: string): void => console.log(`[demo] ${message}`);

say('starting a private ZooKeeper (Debian libzookeeper-java) on loopback…');
const zookeeper = await TestingServer.start();
say(`ZooKeeper is serving at ${zookeeper.connectionString}`);

const watcher = new ZkClient(zookeeper.connectionString);
const service = new ZkClient(zookeeper.connectionString);
try {
  await Promise.all([watcher.start(), service.start()]);
  await watcher.ensurePath('/databases/demo');

  let changes = 0;
  const seen = new Map<number, () => void>();
  const watch = new ChildrenWatch(watcher, '/databases/demo', (children) => {
    say(`watcher: servers at /databases/demo are now [${children.join(', ')}]`);
    changes += 1;
    seen.get(changes)?.();
  });
  const nthChange = (n: number): Promise<void> =>
    changes >= n ? Promise.resolve() : new Promise((resolve) => seen.set(n, resolve));
  await watch.ready;

  say('service: registering 127.0.0.1:8100 as an ephemeral node with {"pid": …}');
  await service.create('/databases/demo/127.0.0.1:8100', JSON.stringify({ pid: process.pid }), { ephemeral: true });
  await nthChange(2);
  const { data } = await watcher.get('/databases/demo/127.0.0.1:8100');
  say(`watcher: the node's data is ${data.toString()}`);

  say('service: closing its session; ZooKeeper removes the ephemeral node');
  await service.close();
  await nthChange(3);
  watch.cancel();
  say('done: the registry followed the service as it came and went');
} finally {
  await service.close();
  await watcher.close();
  await zookeeper.close();
}
