// zkzeo clients when servers fail: replicated servers, a server's own
// ZooKeeper session expiring, and the ZooKeeper ensemble losing its leader.
import { expect } from 'chai';
import { DB } from '../../src/db/db.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { expireSession } from '../../src/testing/expire-session.js';
import { TestingEnsemble } from '../../src/testing/testing-ensemble.js';
import { client } from '../../src/zkzeo/client.js';
import { eventually } from '../support/events.js';
import { quietLogger } from '../support/logger.js';
import { isolatedConnectionString } from '../support/zookeeper.js';
import { portOf, startServer, stopAllServers } from '../zeo/client/server-harness.js';

const PATH = '/databases/replicated';

describe('zkzeo clients when servers fail', function () {
  this.timeout(60_000);
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await stopAllServers();
  });

  async function registry(connection: string): Promise<ZooKeeper> {
    const zk = await ZooKeeper.connect(connection, { sessionTimeoutMs: 4000 });
    closers.push(() => zk.close());
    return zk;
  }

  it('moves to the other of two replicated servers when one dies, without an error reaching a retrying caller', async () => {
    const zookeeper = await isolatedConnectionString('replicated');
    const admin = await registry(zookeeper);
    await admin.client.create(PATH, undefined, { makepath: true });
    const storage = new MappingStorage();
    const servers = [await startServer({ storage }), await startServer({ storage })];
    // Each server registers in its own session, as separate processes would.
    for (const server of servers) await (await registry(zookeeper)).register(PATH, ['127.0.0.1', portOf(server.address)]);
    const zeo = await client(zookeeper, PATH, { minDisconnectPoll: 0.05, maxDisconnectPoll: 0.2 });
    closers.push(() => zeo.close());
    const db = new DB(zeo.asStorage(), { closeStorage: false });
    closers.push(() => db.close());
    const increment = (): Promise<number> =>
      db.transaction(async (conn) => {
        const root = await conn.root();
        const next = ((root.get('n') as number | undefined) ?? 0) + 1;
        root.set('n', next);
        return next;
      }, { retries: 10, minDelayMS: 20 });

    expect(await increment()).to.equal(1);
    const inUse = servers.find((server) => server.address === zeo.serverAddress)!;
    const moved = new Promise((resolve) => zeo.once('connected', resolve));
    await inUse.stop(); // its registration stays until its session expires: a dead address in the list
    const results = await Promise.all([increment(), moved.then(increment)]);
    expect(results.sort()).to.deep.equal([2, 3]);
    expect(zeo.serverAddress).to.not.equal(inUse.address);
  });

  it("keeps serving through a server's ZooKeeper session expiry; the registration comes back at once", async () => {
    const zookeeper = await isolatedConnectionString('expiring');
    const admin = await registry(zookeeper);
    await admin.client.create(PATH, undefined, { makepath: true });
    const server = await startServer();
    const serverZk = await registry(zookeeper);
    await serverZk.register(PATH, ['127.0.0.1', portOf(server.address)]);
    const logger = quietLogger();
    const zeo = await client(zookeeper, PATH, { logger });
    closers.push(() => zeo.close());
    let disconnects = 0;
    zeo.on('disconnected', () => disconnects++);

    await expireSession(serverZk.client);
    // The node goes with the old session and comes back with the new one.
    await eventually('the registration to be back', async () => {
      const stat = await admin.client.exists(`${PATH}/127.0.0.1:${portOf(server.address)}`);
      return stat !== null && stat.ephemeralOwner === serverZk.client.sessionId;
    });
    await eventually('the client to see it', () => zeo.addresses.length === 1);
    await zeo.ping();
    expect(disconnects).to.equal(0);
    // If the client saw the list empty at all, it was only until the new session registered.
    const empty = logger.warnings.filter((line) => line.startsWith('No addresses')).length;
    const back = logger.warnings.filter((line) => line.startsWith('OK: Addresses')).length;
    expect(back).to.equal(empty);
  });

  it('carries on when the ZooKeeper ensemble loses its leader', async () => {
    const ensemble = await TestingEnsemble.start();
    closers.push(() => ensemble.close());
    const admin = await registry(ensemble.connectionString);
    await admin.client.create(PATH, undefined, { makepath: true });
    const server = await startServer();
    await (await registry(ensemble.connectionString)).register(PATH, ['127.0.0.1', portOf(server.address)]);
    const zeo = await client(ensemble.connectionString, PATH, { zookeeperSessionTimeoutMs: 10_000 });
    closers.push(() => zeo.close());
    await (await ensemble.leader()).kill();
    // The database stays reachable throughout: the registry outage does not touch the ZEO connection.
    await zeo.ping();
    expect(zeo.addresses.map((a) => a.name)).to.deep.equal([`127.0.0.1:${portOf(server.address)}`]);
    // And the registry view recovers: a second server registered after the failover is seen.
    const second = await startServer();
    const secondZk = await registry(ensemble.connectionString);
    await secondZk.client.retry(() => secondZk.register(PATH, ['127.0.0.1', portOf(second.address)]), {
      maxTries: -1,
      delayMs: 100,
      deadlineMs: 20_000,
    });
    await eventually('the client to see both servers', () => zeo.addresses.length === 2, 20_000);
  });
});
