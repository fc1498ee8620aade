import { expect } from 'chai';
import { TestingEnsemble } from '../../src/testing/testing-ensemble.js';
import { ChildrenWatch } from '../../src/zk/children-watch.js';
import { ZkState } from '../../src/zk/states.js';
import { Inbox } from '../support/events.js';
import { ClientBag } from '../support/zookeeper.js';

describe('ZkClient against a 3-member ensemble', function () {
  this.timeout(60_000);
  let ensemble: TestingEnsemble;
  const clients = new ClientBag();

  before(async () => {
    ensemble = await TestingEnsemble.start();
  });
  after(async () => {
    await clients.closeAll();
    await ensemble.close();
  });

  it('carries on when the leader is killed: retried writes succeed, watches fire, ephemerals survive', async () => {
    const writer = await clients.open(ensemble.connectionString, { sessionTimeoutMs: 10_000 });
    const watcher = await clients.open(ensemble.connectionString, { sessionTimeoutMs: 10_000 });
    await writer.create('/cluster');
    await writer.create('/cluster/eph', '', { ephemeral: true });
    const session = writer.sessionId;
    const seen = new Inbox<string[]>();
    const watch = new ChildrenWatch(watcher, '/cluster', (children) => seen.push([...children].sort()));
    expect(await seen.next()).to.deep.equal(['eph']);

    const leader = await ensemble.leader();
    await leader.kill();
    const created = await writer.retry(() => writer.create('/cluster/after-failover'), {
      maxTries: -1,
      delayMs: 50,
      deadlineMs: 30_000,
    });
    expect(created).to.equal('/cluster/after-failover');
    expect(await seen.until((children) => children.includes('after-failover'))).to.deep.equal([
      'after-failover',
      'eph',
    ]);
    expect(writer.sessionId).to.equal(session);
    expect(await writer.retry(() => writer.exists('/cluster/eph'), { maxTries: -1, delayMs: 50 })).to.not.equal(null);

    const newLeader = await ensemble.leader();
    expect(newLeader.id).to.not.equal(leader.id);
    await leader.restart();
    await ensemble.waitServing();
    watch.cancel();
  });

  it('keeps a client connected through a paused follower', async () => {
    const client = await clients.open(ensemble.connectionString, { sessionTimeoutMs: 4000 });
    const leader = await ensemble.leader();
    const follower = ensemble.members.find((member) => member.id !== leader.id)!;
    follower.pause();
    try {
      // Whichever member the client used, it ends up connected and working.
      const value = await client.retry(
        async () => {
          await client.set('/cluster', 'paused-follower');
          return (await client.get('/cluster')).data.toString();
        },
        { maxTries: -1, delayMs: 100, deadlineMs: 20_000 },
      );
      expect(value).to.equal('paused-follower');
      expect(client.state).to.equal(ZkState.CONNECTED);
    } finally {
      follower.resume();
    }
  });
});
