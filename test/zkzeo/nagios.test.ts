// zkzeo-nagios as a library: finding the registered server (with and
// without a monitor), and checking it the way ZEO's Nagios plugin does,
// against our server registered in a real ZooKeeper, and against a socket
// that answers ruok with a Python server's exact bytes.
import { expect } from 'chai';
import sinon from 'sinon';
import { utimes, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { hostIPv4Addresses } from '../../src/registry/host-addresses.js';
import { formatBoundAddress } from '../../src/server/listen.js';
import { maxTid } from '../../src/storage/oid.js';
import type { ZkClient } from '../../src/zk/client.js';
import { RegisteredServers, serversCommand } from '../../src/zkzeo/monitor-commands.js';
import { MonitorServer } from '../../src/zkzeo/monitor-server.js';
import { checkRegisteredServer, findServer } from '../../src/zkzeo/nagios.js';
import { checkZeoServer, NagiosStatus } from '../../src/zkzeo/nagios-check.js';
import { quietLogger } from '../support/logger.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { ClientBag, isolatedConnectionString, sharedZooKeeper } from '../support/zookeeper.js';
import { cleanUp, commitOne, rawClient, serverConfig, startFromConfig, tempDir } from './zkzeo-fixture.js';

const PATH = '/databases/demo';

/** A socket server that sends each client `frames` as sized messages, then closes. */
async function fakeServer(frames: readonly string[]): Promise<{ address: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      for (const text of frames) {
        const body = Buffer.from(text, 'latin1');
        const header = Buffer.alloc(4);
        header.writeUInt32BE(body.length, 0);
        socket.write(header);
        socket.write(body);
      }
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { address: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('zkzeo: the Nagios check (zkzeo-nagios)', function () {
  this.timeout(30_000);
  const clients = new ClientBag();
  const monitors: MonitorServer[] = [];
  const closers: Array<() => Promise<void>> = [];
  let connection: string;
  let observer: ZkClient;

  const registered = async (text = serverConfig({ zookeeper: [`connection ${connection}`, `path ${PATH}`, 'monitor-server 127.0.0.1'] })) => {
    const running = await startFromConfig(text);
    await running.registered;
    return running;
  };
  const monitorWith = async (servers: RegisteredServers | undefined): Promise<string> => {
    const monitor = await MonitorServer.start(
      { family: 'ipv4', host: '127.0.0.1', port: 0 },
      { commands: servers === undefined ? {} : { servers: serversCommand(servers) } },
    );
    monitors.push(monitor);
    return formatBoundAddress(monitor.address);
  };

  before(async () => {
    connection = await isolatedConnectionString('nagios');
  });
  beforeEach(async () => {
    observer = await clients.open(connection);
    await observer.delete('/databases', { recursive: true }).catch(() => undefined);
    await observer.create(PATH, undefined, { makepath: true });
  });
  afterEach(async () => {
    await cleanUp();
    await clients.closeAll();
    await Promise.all(monitors.splice(0).map((monitor) => monitor.close()));
    await Promise.all(closers.splice(0).map((close) => close()));
  });

  it('warns about an empty storage, with performance data under -m', async () => {
    await registered();
    expect(await checkRegisteredServer(connection, PATH)).to.deep.equal({ status: NagiosStatus.warning, output: "Empty storage '1'\n" });
    expect(await checkRegisteredServer(connection, PATH, { outputMetrics: true })).to.deep.equal({
      status: NagiosStatus.warning,
      output: "Empty storage '1'|active_txns=0\n| connections=0\n waiting=0\n",
    });
  });

  it('says OK once the storage has a transaction, counting connected clients', async () => {
    const running = await registered();
    await commitOne(await rawClient(running.address));
    expect(await checkRegisteredServer(connection, PATH)).to.deep.equal({ status: NagiosStatus.ok, output: 'OK\n' });
    expect((await checkRegisteredServer(connection, PATH, { outputMetrics: true })).output).to.equal(
      'OK|active_txns=0\n| connections=1\n waiting=0\n',
    );
  });

  it('keeps a status file (-s) and reports rates per time unit (-u) from the second run on', async () => {
    const running = await registered();
    const client = await rawClient(running.address);
    const oid = await commitOne(client);
    const statusPath = path.join(await tempDir(), 'status');
    const first = await checkRegisteredServer(connection, PATH, { outputMetrics: true, statusPath });
    expect(first.output).to.equal('OK|active_txns=0\n| connections=1\n waiting=0\n');
    const saved = await readFile(statusPath, 'utf8');
    expect(saved).to.match(/^\{"1": \{"connections": 1, "loads": 0, "stores": 1, "commits": 1, "aborts": 0, "active_txns": 0, "lock_time": null, /);

    for (let i = 0; i < 3; i++) await client.call('loadBefore', [oid, maxTid]);
    // As if the previous run was a minute ago, exactly: the wall clock stands still during the run.
    const clock = sinon.useFakeTimers({ now: Date.now(), toFake: ['Date'] });
    const minuteAgo = new Date(Date.now() - 60_000);
    let second: Awaited<ReturnType<typeof checkRegisteredServer>>;
    try {
      await utimes(statusPath, minuteAgo, minuteAgo);
      second = await checkRegisteredServer(connection, PATH, { outputMetrics: true, statusPath, timeUnits: 'minutes' });
    } finally {
      clock.restore();
    }
    const lines = second.output.split('\n');
    expect(lines.slice(0, 3)).to.deep.equal(['OK|active_txns=0', '| connections=1', ' waiting=0']);
    expect(lines.slice(3, 7)).to.deep.equal([' aborts=0.0', ' commits=0.0', ' conflicts=0.0', ' conflicts_resolved=0.0']);
    const loads = /^ loads=(\d+\.\d+(?:e-\d+)?)$/.exec(lines[7] ?? '');
    expect(loads, lines[7]).to.not.equal(null);
    expect(Number(loads?.[1])).to.be.closeTo(3, 0.0001);
    expect(lines.slice(8)).to.deep.equal([' stores=0.0', '']);
    expect(await readFile(statusPath, 'utf8')).to.match(/"sameple-time": \d+\.\d+\}\}$/);

    await utimes(statusPath, minuteAgo, minuteAgo);
    const perSecond = await checkRegisteredServer(connection, PATH, { outputMetrics: true, statusPath, timeUnits: 'seconds' });
    expect(perSecond.output).to.contain('\n loads=0.0\n');
  });

  it('labels the metrics of several storages with their names, as the Python plugin does', async () => {
    await registered(
      serverConfig({
        zookeeper: [`connection ${connection}`, `path ${PATH}`],
        storages: '<mappingstorage first>\n</mappingstorage>\n<mappingstorage second>\n</mappingstorage>\n',
      }),
    );
    const statusPath = path.join(await tempDir(), 'status');
    expect(await checkRegisteredServer(connection, PATH, { outputMetrics: true, statusPath })).to.deep.equal({
      status: NagiosStatus.warning,
      output:
        "Empty storage 'first'|first:active_txns=0\n" +
        "Empty storage 'second'\n" +
        '| first:connections=0\n first:waiting=0\n second:active_txns=0\n second:connections=0\n second:waiting=0\n',
    });
  });

  it("says Couldn't find server in ZooKeeper when none or several are registered", async () => {
    const none = await checkRegisteredServer(connection, PATH);
    expect(none).to.deep.equal({ status: NagiosStatus.critical, output: "Couldn't find server in ZooKeeper\n" });
    await registered();
    await registered();
    expect(await checkRegisteredServer(connection, PATH)).to.deep.equal(none);
  });

  it('picks, with -M, the server the monitor registered among several', async () => {
    const empty = await registered();
    const used = await registered();
    await commitOne(await rawClient(used.address));
    const usedMonitor = formatBoundAddress((used.monitor as MonitorServer).address);
    const emptyMonitor = formatBoundAddress((empty.monitor as MonitorServer).address);
    expect(await findServer(connection, PATH, usedMonitor)).to.deep.equal({ address: used.registeredAddress });
    expect(await checkRegisteredServer(connection, PATH, { monitor: usedMonitor })).to.deep.equal({ status: NagiosStatus.ok, output: 'OK\n' });
    expect(await checkRegisteredServer(connection, PATH, { monitor: emptyMonitor })).to.deep.equal({
      status: NagiosStatus.warning,
      output: "Empty storage '1'\n",
    });
  });

  it('matches an empty-host registration by port', async () => {
    const running = await registered(serverConfig({ address: ':0', zookeeper: [`connection ${connection}`, `path ${PATH}`, 'monitor-server 127.0.0.1'] }));
    const monitor = formatBoundAddress((running.monitor as MonitorServer).address);
    const found = await findServer(connection, PATH, monitor);
    const nodes = await observer.getChildren(PATH);
    // One node per non-loopback IPv4 address: a single one is found, several are ambiguous.
    if (hostIPv4Addresses().length === 1) expect(found).to.deep.equal({ address: nodes[0] });
    else expect(found).to.deep.equal({ message: "Couldn't find server in ZooKeeper" });
  });

  it("gives zc.zkzeo's messages when the monitor cannot say", async () => {
    const two = new RegisteredServers();
    two.record({ name: 'foo.com:1', path: PATH, properties: { pid: 1 } });
    two.record({ name: ':54568', path: PATH, properties: { pid: 1 } });
    const tooMany = await monitorWith(two);
    expect(await checkRegisteredServer(connection, PATH, { monitor: tooMany })).to.deep.equal({
      status: NagiosStatus.critical,
      output: `Too many servers, [':54568', 'foo.com:1'], at: '${tooMany}'\n`,
    });
    const nothing = await monitorWith(new RegisteredServers());
    expect((await findServer(connection, PATH, nothing)).message).to.equal(`No servers at: '${nothing}'`);
    const plain = await monitorWith(undefined);
    expect((await findServer(connection, PATH, plain)).message).to.equal(`Invalid command 'servers'\nTry "help". at '${plain}'`);
    const missing = path.join(await tempDir(), 'sock');
    expect((await findServer(connection, PATH, missing)).message).to.equal("Can't connect [Errno 2] No such file or directory");
  });

  it("is critical with Python's words when the registered server does not answer", async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    await observer.create(`${PATH}/127.0.0.1:${port}`, '{"pid":1}', { ephemeral: true });
    expect(await checkRegisteredServer(connection, PATH)).to.deep.equal({
      status: NagiosStatus.critical,
      output: "Can't connect [Errno 111] Connection refused\n",
    });
  });

  it('is unknown when ZooKeeper is unreachable or the path does not exist', async () => {
    const zookeeper = await sharedZooKeeper();
    const proxy = await TcpProxy.start('127.0.0.1', zookeeper.port);
    closers.push(() => proxy.close());
    proxy.setMode('refuse');
    const logger = quietLogger();
    const unreachable = await checkRegisteredServer(proxy.address, PATH, { connectTimeoutMs: 300, logger });
    expect(unreachable).to.deep.equal({ status: NagiosStatus.unknown, output: `Can't connect to ZooKeeper at '${proxy.address}'\n` });
    expect(await checkRegisteredServer(connection, '/no/such')).to.deep.equal({
      status: NagiosStatus.unknown,
      output: 'No such node in ZooKeeper: /no/such\n',
    });
  });

  it("reads a Python server's ruok answer byte for byte, and warns about no storages", async () => {
    const python = await fakeServer([
      'Z5',
      '{"1": {"connections": 0, "loads": 3, "stores": 3, "commits": 4, "aborts": 0, "active_txns": 0, "lock_time": null, ' +
        '"conflicts": 0, "conflicts_resolved": 0, "start": "Sat Nov 21 07:46:18 2026", "waiting": 0, ' +
        '"timeout-thread-is-alive": "stub", "last-transaction": "040d291323c850ee"}}',
    ]);
    closers.push(python.close);
    expect(await checkZeoServer(python.address, { outputMetrics: true })).to.deep.equal({
      status: NagiosStatus.ok,
      output: 'OK|active_txns=0\n| connections=0\n waiting=0\n',
    });
    const empty = await fakeServer(['Z5', '{}']);
    closers.push(empty.close);
    expect(await checkZeoServer(empty.address)).to.deep.equal({ status: NagiosStatus.warning, output: 'No storages\n' });
    const garbage = await fakeServer(['Z5', 'not json']);
    closers.push(garbage.close);
    expect((await checkZeoServer(garbage.address)).status).to.equal(NagiosStatus.unknown);
    const mute = await fakeServer(['Z5']);
    closers.push(mute.close);
    expect(await checkZeoServer(mute.address)).to.deep.equal({
      status: NagiosStatus.critical,
      output: `No status from ${mute.address}: the server closed the connection before sending its status\n`,
    });
  });
});
