// zkrunzeo in process: a ZEO server started from a configuration file with
// a <zookeeper> section registers itself in a real ZooKeeper, keeps its
// registration across session expiry, waits for an unreachable ZooKeeper
// while serving, and withdraws when it stops.
import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { hostIPv4Addresses } from '../../src/registry/host-addresses.js';
import { expireSession } from '../../src/testing/expire-session.js';
import type { ZkClient } from '../../src/zk/client.js';
import { RegistrationConfigError, RegistrationPathError } from '../../src/zkzeo/errors.js';
import { exchange } from '../../src/zkzeo/nagios-check.js';
import { eventually } from '../support/events.js';
import { quietLogger } from '../support/logger.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { ClientBag, isolatedConnectionString, sharedZooKeeper } from '../support/zookeeper.js';
import { childrenWhen, cleanUp, commitOne, configFile, nodeProperties, rawClient, serverConfig, startFromConfig, tempDir } from './zkzeo-fixture.js';
import { startRegisteredZeoServer } from '../../src/zkzeo/run-zkzeo.js';

const PATH = '/databases/demo';

function tcpPort(address: { family: string; port?: number }): number {
  if (address.port === undefined) throw new Error(`expected a TCP address, got ${JSON.stringify(address)}`);
  return address.port;
}

describe('zkzeo: zkrunzeo registers the server it starts (in process)', function () {
  this.timeout(30_000);
  const clients = new ClientBag();
  const proxies: TcpProxy[] = [];
  const blockers: Server[] = [];
  let connection: string;
  let chroot: string;
  let observer: ZkClient;

  const zookeeperLines = (...extra: string[]): string[] => [`connection ${connection}`, `path ${PATH}`, ...extra];

  before(async () => {
    connection = await isolatedConnectionString('zkrunzeo');
    chroot = connection.slice(connection.indexOf('/'));
  });
  beforeEach(async () => {
    observer = await clients.open(connection);
    await observer.delete('/databases', { recursive: true }).catch(() => undefined);
    await observer.create(PATH, undefined, { makepath: true });
  });
  afterEach(async () => {
    await cleanUp();
    await clients.closeAll();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    await Promise.all(blockers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('binds port 0, registers host:port with the bound port and the pid, and withdraws on close', async () => {
    const running = await startFromConfig(serverConfig({ zookeeper: zookeeperLines() }));
    const port = tcpPort(running.address);
    expect(port).to.be.greaterThan(0);
    const name = `127.0.0.1:${port}`;
    expect(running.registeredAddress).to.equal(name);
    const registration = await running.registered;
    expect(registration?.nodePaths).to.deep.equal([`${PATH}/${name}`]);
    expect(await observer.getChildren(PATH)).to.deep.equal([name]);
    expect(await nodeProperties(observer, `${PATH}/${name}`)).to.deep.equal({ pid: process.pid });
    const stat = await observer.exists(`${PATH}/${name}`);
    expect(stat?.ephemeralOwner).to.equal(running.registration?.zookeeper.client.sessionId);
    // It serves: a commit goes through.
    await commitOne(await rawClient(running.address));

    await running.close();
    expect(await observer.getChildren(PATH)).to.deep.equal([]);
  });

  it('publishes a TCP monitor as the monitor property; the monitor reports the registration', async () => {
    const running = await startFromConfig(serverConfig({ zookeeper: zookeeperLines('monitor-server 127.0.0.1') }));
    await running.registered;
    const monitor = running.monitor?.address;
    expect(monitor?.family).to.equal('ipv4');
    const monitorAddress = `127.0.0.1:${tcpPort(monitor as { family: string; port: number })}`;
    const name = `127.0.0.1:${tcpPort(running.address)}`;
    expect(await nodeProperties(observer, `${PATH}/${name}`)).to.deep.equal({ monitor: monitorAddress, pid: process.pid });
    expect((await exchange(monitorAddress, `servers ${PATH}\n`, 5000)).toString()).to.equal(`${name}\n`);
    expect((await exchange(monitorAddress, 'servers\n', 5000)).toString()).to.equal(
      `[{"address": "${name}", "path": "${PATH}", "monitor": "${monitorAddress}", "pid": ${process.pid}}]\n`,
    );
    const status = (await exchange(monitorAddress, 'status\n', 5000)).toString();
    expect(status).to.match(/^ZEO monitor server\n/).and.to.contain('\nStorage: 1\n').and.to.contain('\nClients: 0\n');
  });

  it('adds no monitor property for a Unix socket monitor, which still answers', async () => {
    const socketPath = `${await tempDir()}/monitor.sock`;
    const running = await startFromConfig(serverConfig({ zookeeper: zookeeperLines(`monitor-server ${socketPath}`) }));
    await running.registered;
    const name = `127.0.0.1:${tcpPort(running.address)}`;
    expect(await nodeProperties(observer, `${PATH}/${name}`)).to.deep.equal({ pid: process.pid });
    expect((await exchange(socketPath, `servers ${PATH}\n`, 5000)).toString()).to.equal(`${name}\n`);
  });

  it('registers without a monitor, warning as zc.monitor does, when the monitor address is taken', async () => {
    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = tcpPort(blocker.address() as { family: string; port: number });
    const logger = quietLogger();
    const running = await startFromConfig(serverConfig({ zookeeper: zookeeperLines(`monitor-server 127.0.0.1:${taken}`) }), logger);
    await running.registered;
    expect(running.monitor).to.equal(undefined);
    expect(logger.warnings).to.include(`unable to start zc.monitor server because the address ('127.0.0.1', ${taken}) is in use.`);
    expect(await nodeProperties(observer, `${PATH}/127.0.0.1:${tcpPort(running.address)}`)).to.deep.equal({ pid: process.pid });
  });

  it('registers every non-loopback IPv4 address for an empty host', async () => {
    const running = await startFromConfig(serverConfig({ address: ':0', zookeeper: zookeeperLines() }));
    const port = tcpPort(running.address);
    expect(running.registeredAddress).to.equal(`:${port}`);
    await running.registered;
    const expected = hostIPv4Addresses().map((host) => `${host}:${port}`).sort();
    expect((await observer.getChildren(PATH)).sort()).to.deep.equal(expected);
  });

  it('keeps a static port and registers it as configured', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = tcpPort(probe.address() as { family: string; port: number });
    await new Promise((resolve) => probe.close(resolve));
    const running = await startFromConfig(serverConfig({ address: `127.0.0.1:${port}`, zookeeper: zookeeperLines() }));
    expect(tcpPort(running.address)).to.equal(port);
    await running.registered;
    expect(await observer.getChildren(PATH)).to.deep.equal([`127.0.0.1:${port}`]);
  });

  it('passes session-timeout on as milliseconds', async () => {
    const running = await startFromConfig(serverConfig({ zookeeper: zookeeperLines('session-timeout 4242') }));
    await running.registered;
    expect(running.registration?.zookeeper.client.sessionTimeoutMs).to.equal(4242);
  });

  it('does not touch ZooKeeper without a path', async () => {
    const logger = quietLogger();
    const running = await startFromConfig(serverConfig({ zookeeper: ['connection 127.0.0.1:1'] }), logger);
    expect(running.registration).to.equal(undefined);
    expect(await running.registered).to.equal(undefined);
    await commitOne(await rawClient(running.address));
    expect(logger.errors).to.deep.equal([]);
  });

  it('refuses a Unix socket ZEO address with a <zookeeper> path, naming the file and line', async () => {
    const dir = await tempDir();
    const file = await configFile(serverConfig({ address: `${dir}/zeo.sock`, zookeeper: zookeeperLines() }));
    const error = await startRegisteredZeoServer({ configFile: file }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RegistrationConfigError);
    expect((error as Error).message).to.contain(`${file}:2:`).and.to.contain(`${file}:4`).and.to.contain('Unix socket');
    const viaFlag = await startRegisteredZeoServer({ configFile: file, address: `${dir}/other.sock` }).catch((e: unknown) => e);
    expect((viaFlag as Error).message).to.contain(`-a ${dir}/other.sock`);
  });

  it('reports a registration path that does not exist, with the file and line of the section', async () => {
    const logger = quietLogger();
    const running = await startFromConfig(serverConfig({ zookeeper: [`connection ${connection}`, 'path /no/such/path'] }), logger);
    const error = await running.registered.catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RegistrationPathError);
    expect((error as RegistrationPathError).path).to.equal('/no/such/path');
    expect((error as Error).message).to.match(/zeo\.conf:4: cannot register under \/no\/such\/path: no such node/);
    expect(logger.errors).to.include((error as Error).message);
  });

  it('serves while ZooKeeper is unreachable, logs it, and registers as soon as ZooKeeper answers', async () => {
    const zookeeper = await sharedZooKeeper();
    const proxy = await TcpProxy.start('127.0.0.1', zookeeper.port);
    proxies.push(proxy);
    proxy.setMode('refuse');
    const viaProxy = `${proxy.address}${chroot}`;
    const logger = quietLogger();
    const running = await startFromConfig(
      serverConfig({ zookeeper: [`connection ${viaProxy}`, `path ${PATH}`] }),
      logger,
      { zookeeperConnectTimeoutMs: 300 },
    );
    // Serving already.
    await commitOne(await rawClient(running.address));
    await eventually('the connection failure to be logged', () =>
      logger.errors.some((line) => line === `Can't connect to ZooKeeper at '${viaProxy}'`),
    );
    expect(await observer.getChildren(PATH)).to.deep.equal([]);

    proxy.setMode('pass');
    await running.registered;
    expect(await observer.getChildren(PATH)).to.deep.equal([`127.0.0.1:${tcpPort(running.address)}`]);
  });

  it('is registered again, by a new session, after its session expires', async () => {
    const running = await startFromConfig(serverConfig({ zookeeper: zookeeperLines('session-timeout 2000') }));
    await running.registered;
    const client = running.registration?.zookeeper.client as ZkClient;
    const nodePath = `${PATH}/127.0.0.1:${tcpPort(running.address)}`;
    const oldSession = client.sessionId;
    await expireSession(client);
    const stat = await eventually('the node to be re-created by the new session', async () => {
      const now = await observer.exists(nodePath);
      return now !== null && now.ephemeralOwner !== oldSession ? now : undefined;
    });
    expect(stat.ephemeralOwner).to.equal(client.sessionId);
    expect(await nodeProperties(observer, nodePath)).to.deep.equal({ pid: process.pid });
    // Closing still withdraws the re-created node.
    await running.close();
    await childrenWhen(observer, PATH, (children) => children.length === 0);
  });

  it("waits for a crashed predecessor's node to go instead of failing on it", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = tcpPort(probe.address() as { family: string; port: number });
    await new Promise((resolve) => probe.close(resolve));
    const predecessor = await clients.open(connection);
    const nodePath = `${PATH}/127.0.0.1:${port}`;
    await predecessor.create(nodePath, '{"pid":1}', { ephemeral: true });
    const logger = quietLogger();
    const running = await startFromConfig(serverConfig({ address: `127.0.0.1:${port}`, zookeeper: zookeeperLines() }), logger);
    await eventually('the wait to be logged', () => logger.warnings.some((line) => line.startsWith(`${nodePath} is held by another session`)));
    expect((await observer.exists(nodePath))?.ephemeralOwner).to.equal(predecessor.sessionId);

    await predecessor.close();
    await running.registered;
    expect((await observer.exists(nodePath))?.ephemeralOwner).to.equal(running.registration?.zookeeper.client.sessionId);
    expect(await nodeProperties(observer, nodePath)).to.deep.equal({ pid: process.pid });
  });

  it('closes while still waiting for ZooKeeper without registering later', async () => {
    const zookeeper = await sharedZooKeeper();
    const proxy = await TcpProxy.start('127.0.0.1', zookeeper.port);
    proxies.push(proxy);
    proxy.setMode('refuse');
    const running = await startFromConfig(serverConfig({ zookeeper: [`connection ${proxy.address}${chroot}`, `path ${PATH}`] }), undefined, {
      zookeeperConnectTimeoutMs: 300,
    });
    await running.close();
    const error = await running.registered.catch((e: unknown) => e);
    expect((error as Error).name).to.equal('RegistrationClosedError');
    proxy.setMode('pass');
    expect(await observer.getChildren(PATH)).to.deep.equal([]);
  });
});
