// A registered server on a 3-member ZooKeeper ensemble stays registered,
// on the same session, when the leader is killed, and can still be found
// and checked through the remaining members.
import { expect } from 'chai';
import { TestingEnsemble } from '../../src/testing/testing-ensemble.js';
import type { ZkClient } from '../../src/zk/client.js';
import { checkRegisteredServer } from '../../src/zkzeo/nagios.js';
import { NagiosStatus } from '../../src/zkzeo/nagios-check.js';
import { ClientBag } from '../support/zookeeper.js';
import { cleanUp, serverConfig, startFromConfig } from './zkzeo-fixture.js';

const PATH = '/databases/demo';

describe('zkzeo: a registered server on an ensemble', function () {
  this.timeout(90_000);
  let ensemble: TestingEnsemble;
  const clients = new ClientBag();

  before(async () => {
    ensemble = await TestingEnsemble.start();
  });
  after(async () => {
    await cleanUp();
    await clients.closeAll();
    await ensemble.close();
  });

  it('keeps its node and session when the leader is killed', async () => {
    const observer = await clients.open(ensemble.connectionString, { sessionTimeoutMs: 10_000 });
    await observer.create(PATH, undefined, { makepath: true });
    const running = await startFromConfig(
      serverConfig({ zookeeper: [`connection ${ensemble.connectionString}`, `path ${PATH}`, 'session-timeout 10000'] }),
    );
    const registration = await running.registered;
    const nodePath = registration?.nodePaths[0] as string;
    const client = running.registration?.zookeeper.client as ZkClient;
    const session = client.sessionId;

    const leader = await ensemble.leader();
    await leader.kill();
    const stat = await observer.retry(() => observer.exists(nodePath), { maxTries: -1, delayMs: 50, deadlineMs: 30_000 });
    expect(stat?.ephemeralOwner).to.equal(session);
    expect(client.sessionId).to.equal(session);
    expect(await checkRegisteredServer(ensemble.connectionString, PATH)).to.deep.equal({
      status: NagiosStatus.warning,
      output: "Empty storage '1'\n",
    });
    await leader.restart();
    await ensemble.waitServing();
    await running.close();
    expect(await observer.retry(() => observer.getChildren(PATH), { maxTries: -1, delayMs: 50 })).to.deep.equal([]);
  });
});
