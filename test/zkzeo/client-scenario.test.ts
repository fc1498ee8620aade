// zc.zkzeo's README scenario against a real ZooKeeper: a registered
// server; a client, a DB, a connection and a DB from a configuration
// string all following it; the server stops and comes back on a new port.
import { expect } from 'chai';
import type { Connection } from '../../src/db/connection.js';
import { DB } from '../../src/db/db.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import type { Registration } from '../../src/registry/registration.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { NoNodeError } from '../../src/zk/errors.js';
import { FailedConnectError } from '../../src/registry/errors.js';
import { freePorts } from '../../src/testing/free-port.js';
import { client, connection, zkzeoDatabase, type ZkZeoClientStorage } from '../../src/zkzeo/client.js';
import { databaseFromString } from '../../src/zkzeo/database-config.js';
import { startServer, stopAllServers, portOf, type RunningServer } from '../zeo/client/server-harness.js';
import { eventually } from '../support/events.js';
import { quietLogger } from '../support/logger.js';
import { isolatedConnectionString } from '../support/zookeeper.js';

const PATH = '/databases/demo';

describe('zkzeo clients follow registered servers (zc.zkzeo README scenario)', function () {
  this.timeout(60_000);
  let zookeeper: string;
  let registry: ZooKeeper;
  const storage = new MappingStorage();

  async function startRegistered(): Promise<{ server: RunningServer; registration: Registration }> {
    const server = await startServer({ storage });
    const registration = await registry.register(PATH, ['127.0.0.1', portOf(server.address)]);
    return { server, registration };
  }

  before(async () => {
    zookeeper = await isolatedConnectionString('zkzeo');
    registry = await ZooKeeper.connect(zookeeper);
    await registry.client.create(PATH, undefined, { makepath: true });
  });
  after(async () => {
    await stopAllServers();
    await registry.close();
  });

  it('writes through one and reads through all, across a server restart on a new port', async () => {
    const logger = quietLogger();
    let { server, registration } = await startRegistered();

    const storageClient = await client(zookeeper, PATH, { logger });
    const db = await zkzeoDatabase(zookeeper, PATH, { logger });
    const conn = await connection(zookeeper, PATH, { logger });
    const configDb = await databaseFromString(
      `%import zc.zkzeo\n<zodb>\n  <zkzeoclient>\n    zookeeper ${zookeeper}\n    server ${PATH}\n  </zkzeoclient>\n</zodb>\n`,
      { logger },
    );
    const clientDb = new DB(storageClient.asStorage(), { closeStorage: false });
    const clients = [
      storageClient,
      db.storage as unknown as ClientStorage,
      conn.db.storage as unknown as ClientStorage,
      configDb.storage as unknown as ClientStorage,
    ];
    const port1 = portOf(server.address);
    expect(logger.infos.filter((line) => line === `Addresses from <${zookeeper}${PATH}>: ['127.0.0.1:${port1}']`)).to.have.length(4);
    expect(storageClient.addresses.map((a) => a.name)).to.deep.equal([`127.0.0.1:${port1}`]);
    expect(storageClient.describeConnectionManager()).to.equal(`<ConnectionManager for [('127.0.0.1', ${port1})]>`);
    expect(storageClient.zookeeperAddresses.children).to.deep.equal([`127.0.0.1:${port1}`]);

    const readX = async (database: DB): Promise<unknown> =>
      database.transaction(async (c: Connection) => (await c.root()).get('x'));
    await db.transaction(async (c) => {
      (await c.root()).set('x', 1);
    });
    for (const database of [db, conn.db, configDb, clientDb]) {
      await (database.storage as unknown as ClientStorage).ping();
      expect(await readX(database)).to.equal(1);
    }

    // The server goes away: every client disconnects and says so.
    const disconnected = clients.map((c) => new Promise((resolve) => c.once('disconnected', resolve)));
    await registration.withdraw();
    await server.stop();
    await Promise.all(disconnected);
    await eventually('four No addresses warnings', () =>
      logger.warnings.filter((line) => line === `No addresses from <${zookeeper}${PATH}>`).length === 4,
    );
    expect(storageClient.addresses).to.deep.equal([]);
    expect(storageClient.describeConnectionManager()).to.equal('<ConnectionManager for []>');

    // It comes back on a new port: every client reconnects and says so.
    const connected = clients.map((c) => new Promise((resolve) => c.once('connected', resolve)));
    ({ server, registration } = await startRegistered());
    const port2 = portOf(server.address);
    expect(port2).to.not.equal(port1);
    await Promise.all(connected);
    expect(logger.warnings.filter((line) => line === `OK: Addresses from <${zookeeper}${PATH}>`)).to.have.length(4);
    expect(logger.infos.filter((line) => line === `Addresses from <${zookeeper}${PATH}>: ['127.0.0.1:${port2}']`)).to.have.length(4);

    await conn.db.transaction(async (c) => {
      (await c.root()).set('x', 2);
    });
    for (const database of [db, conn.db, configDb, clientDb]) {
      await (database.storage as unknown as ClientStorage).ping();
      expect(await readX(database)).to.equal(2);
    }

    await clientDb.close();
    await Promise.all([storageClient.close(), db.close(), conn.close(), configDb.close()]);
    expect(storageClient.zookeeper.client.closed).to.equal(true);
    await registration.withdraw();
    await server.stop();
  });

  it('with wait: false returns at once and connects when a server registers', async () => {
    const logger = quietLogger();
    const storageClient: ZkZeoClientStorage = await client(zookeeper, PATH, { logger, wait: false });
    try {
      expect(storageClient.isConnected()).to.equal(false);
      expect(logger.warnings).to.deep.equal([`No addresses from <${zookeeper}${PATH}>`]);
      const connected = new Promise((resolve) => storageClient.once('connected', resolve));
      const { server, registration } = await startRegistered();
      await connected;
      expect(logger.warnings.at(-1)).to.equal(`OK: Addresses from <${zookeeper}${PATH}>`);
      await registration.withdraw();
      await server.stop();
    } finally {
      await storageClient.close();
    }
  });

  it('waits for a server at start-up, logging zc.zkzeo\'s words', async () => {
    const logger = quietLogger();
    const opening = client(zookeeper, PATH, { logger });
    await eventually('the first warning', () => logger.warnings.length > 0);
    expect(logger.warnings).to.deep.equal([`No addresses from <${zookeeper}${PATH}>`]);
    const { server, registration } = await startRegistered();
    const storageClient = await opening;
    try {
      expect(storageClient.isConnected()).to.equal(true);
      expect(logger.warnings.at(-1)).to.equal(`OK: Got addresses from <${zookeeper}${PATH}>`);
    } finally {
      await storageClient.close();
      await registration.withdraw();
      await server.stop();
    }
  });

  it('follows the registry while waiting for its first connection', async () => {
    // A registered address nobody listens on, replaced by a live server a moment later.
    const [deadPort] = await freePorts(1);
    const dead = await registry.register(PATH, ['127.0.0.1', deadPort!]);
    const opening = client(zookeeper, PATH, { waitTimeout: 20, minDisconnectPoll: 0.05, maxDisconnectPoll: 0.2 });
    const { server, registration } = await startRegistered();
    await dead.withdraw();
    const storageClient = await opening;
    try {
      expect(storageClient.serverAddress).to.equal(server.address);
    } finally {
      await storageClient.close();
      await registration.withdraw();
      await server.stop();
    }
  });

  it('fails clearly for an unreachable ZooKeeper and for a path that does not exist', async () => {
    const [port] = await freePorts(1);
    const unreachable = await client(`127.0.0.1:${port}`, PATH, { zookeeperConnectTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(unreachable).to.be.instanceOf(FailedConnectError);
    const missing = await client(zookeeper, '/no/such/path').catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(NoNodeError);
  });
});
