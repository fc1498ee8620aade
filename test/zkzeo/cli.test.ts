// zkrunzeo and zkzeo-nagios run as child processes: registration with the
// child's pid, withdrawal on SIGTERM and SIGINT, start-up errors, and the
// plugin's output and exit codes.
import { expect } from 'chai';
import type { ZkClient } from '../../src/zk/client.js';
import { cliScript, killCliProcesses, runCli } from '../support/cli-process.js';
import { ClientBag, isolatedConnectionString } from '../support/zookeeper.js';
import { childrenWhen, cleanUp, configFile, nodeProperties, serverConfig, tempDir } from './zkzeo-fixture.js';

const ZKRUNZEO = cliScript('zkrunzeo');
const NAGIOS = cliScript('zkzeo-nagios');
const PATH = '/databases/demo';

describe('zkzeo: the zkrunzeo and zkzeo-nagios commands', function () {
  this.timeout(60_000);
  const clients = new ClientBag();
  let connection: string;
  let observer: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('zkzeo-cli');
  });
  beforeEach(async () => {
    observer = await clients.open(connection);
    await observer.delete('/databases', { recursive: true }).catch(() => undefined);
    await observer.create(PATH, undefined, { makepath: true });
  });
  afterEach(async () => {
    killCliProcesses();
    await clients.closeAll();
    await cleanUp();
  });

  it('registers with the child pid and a monitor, is checked by zkzeo-nagios, and withdraws on SIGTERM', async () => {
    const config = await configFile(serverConfig({ zookeeper: [`connection ${connection}`, `path ${PATH}`, 'monitor-server 127.0.0.1'] }));
    const server = runCli(ZKRUNZEO, ['-C', config]);
    const [, port] = await server.printed(/listening on 127\.0\.0\.1:(\d+)\n/);
    const name = `127.0.0.1:${port}`;
    await server.printed(/registered .*\n/);
    expect(server.stdout()).to.contain(`registered ${PATH}/${name}\n`);
    const properties = await nodeProperties(observer, `${PATH}/${name}`);
    expect(properties.pid).to.equal(server.child.pid);
    expect(properties.monitor).to.match(/^127\.0\.0\.1:\d+$/);

    const check = runCli(NAGIOS, ['-m', connection, PATH]);
    expect(await check.exited).to.equal(1);
    expect(check.stdout()).to.equal("Empty storage '1'|active_txns=0\n| connections=0\n waiting=0\n");
    const viaMonitor = runCli(NAGIOS, ['-M', properties.monitor as string, connection, PATH]);
    expect(await viaMonitor.exited).to.equal(1);
    expect(viaMonitor.stdout()).to.equal("Empty storage '1'\n");

    const gone = childrenWhen(observer, PATH, (names) => names.length === 0);
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
    await gone;
    expect(server.stderr()).to.contain(`withdrawing ${PATH}/${name}`);
  });

  it('withdraws on SIGINT too', async () => {
    const config = await configFile(serverConfig({ zookeeper: [`connection ${connection}`, `path ${PATH}`] }));
    const server = runCli(ZKRUNZEO, ['-C', config]);
    await server.printed(/registered .*\n/);
    expect(await observer.getChildren(PATH)).to.have.length(1);
    server.child.kill('SIGINT');
    expect(await server.exited).to.equal(0);
    expect(await observer.getChildren(PATH)).to.deep.equal([]);
  });

  it('exits 1 naming the file and line when the path does not exist or the address is a Unix socket', async () => {
    const missing = await configFile(serverConfig({ zookeeper: [`connection ${connection}`, 'path /no/such'] }));
    const noPath = runCli(ZKRUNZEO, ['-C', missing]);
    expect(await noPath.exited).to.equal(1);
    expect(noPath.stderr()).to.contain(`zkrunzeo: ${missing}:4: cannot register under /no/such: no such node`);
    const dir = await tempDir();
    const unix = await configFile(serverConfig({ address: `${dir}/zeo.sock`, zookeeper: [`connection ${connection}`, `path ${PATH}`] }));
    const socket = runCli(ZKRUNZEO, ['-C', unix]);
    expect(await socket.exited).to.equal(1);
    expect(socket.stderr()).to.contain(`zkrunzeo: ${unix}:2: the Unix socket ${dir}/zeo.sock cannot be registered`);
  });

  it("zkzeo-nagios: critical when no server is registered, usage errors exit 2", async () => {
    const none = runCli(NAGIOS, [connection, PATH]);
    expect(await none.exited).to.equal(2);
    expect(none.stdout()).to.equal("Couldn't find server in ZooKeeper\n");
    const missingArgument = runCli(NAGIOS, [connection]);
    expect(await missingArgument.exited).to.equal(2);
    expect(missingArgument.stderr()).to.contain("missing required argument 'path'");
    const badUnit = runCli(NAGIOS, ['-u', 'weeks', connection, PATH]);
    expect(await badUnit.exited).to.equal(2);
    expect(badUnit.stderr()).to.contain('weeks');
    const noNode = runCli(NAGIOS, [connection, '/no/such']);
    expect(await noNode.exited).to.equal(3);
    expect(noNode.stdout()).to.equal('No such node in ZooKeeper: /no/such\n');
  });
});
