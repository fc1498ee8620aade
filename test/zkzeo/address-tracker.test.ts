import { expect } from 'chai';
import sinon from 'sinon';
import { AddressTracker, NO_ADDRESSES_REPEAT_MS, parseNames, type RegisteredAddress } from '../../src/zkzeo/address-tracker.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import type { ZkClient } from '../../src/zk/client.js';
import { Inbox } from '../support/events.js';
import { quietLogger } from '../support/logger.js';
import { clearTree, ClientBag, isolatedConnectionString } from '../support/zookeeper.js';

describe('AddressTracker (zc.zkzeo address following, real ZooKeeper)', function () {
  const clients = new ClientBag();
  let connection: string;
  let zk: ZooKeeper;
  let writer: ZkClient;
  const label = '<zk/databases/demo>';

  before(async () => {
    connection = await isolatedConnectionString('tracker');
  });
  beforeEach(async () => {
    writer = await clients.open(connection);
    await clearTree(writer);
    await writer.create('/demo');
    zk = await ZooKeeper.connect(connection);
  });
  afterEach(async () => {
    sinon.restore();
    await zk.close();
    await clients.closeAll();
  });

  it('logs the zc.zkzeo sequence as servers come and go, and passes every list on', async () => {
    const logger = quietLogger();
    const lists = new Inbox<readonly RegisteredAddress[]>();
    await writer.create('/demo/127.0.0.1:52814', '', { ephemeral: true });
    const tracker = new AddressTracker(zk.children('/demo'), lists.push, { logger, label });
    await tracker.view.ready;
    tracker.start();
    expect((await lists.next()).map((a) => a.name)).to.deep.equal(['127.0.0.1:52814']);
    expect(logger.infos).to.deep.equal([`Addresses from ${label}: ['127.0.0.1:52814']`]);
    await writer.delete('/demo/127.0.0.1:52814');
    expect(await lists.next()).to.deep.equal([]);
    expect(logger.warnings).to.deep.equal([`No addresses from ${label}`]);
    await writer.create('/demo/127.0.0.1:52649', '', { ephemeral: true });
    await writer.create('/demo/10.0.0.2:8100', '', { ephemeral: true });
    const back = await lists.until((list) => list.length === 2);
    expect(back).to.deep.equal([
      { host: '10.0.0.2', port: 8100, name: '10.0.0.2:8100' },
      { host: '127.0.0.1', port: 52649, name: '127.0.0.1:52649' },
    ]);
    expect(logger.warnings).to.deep.equal([`No addresses from ${label}`, `OK: Addresses from ${label}`]);
    expect(logger.infos.at(-1)).to.equal(`Addresses from ${label}: ['10.0.0.2:8100', '127.0.0.1:52649']`);
    expect(tracker.addresses).to.deep.equal(back);
    tracker.stop();
  });

  it('keeps the last addresses when the path itself is deleted', async () => {
    const logger = quietLogger();
    const lists = new Inbox<readonly RegisteredAddress[]>();
    await writer.create('/demo/127.0.0.1:1');
    const tracker = new AddressTracker(zk.children('/demo'), lists.push, { logger, label });
    await tracker.view.ready;
    tracker.start();
    expect(await lists.next()).to.have.length(1);
    const gone = new Inbox<boolean>();
    tracker.view.subscribe((_children, change) => gone.push(change.deleted));
    await gone.next();
    // Child and node go in one step, so no empty child list is seen first.
    await writer.transaction().delete('/demo/127.0.0.1:1').delete('/demo').commit();
    await gone.until((deleted) => deleted);
    expect(tracker.addresses.map((a) => a.name)).to.deep.equal(['127.0.0.1:1']);
    expect(lists.pending.filter((list) => list.length === 0)).to.deep.equal([]);
    expect(logger.warnings).to.include(`${label} no longer resolves; keeping the last addresses`);
  });

  it('waits for addresses at start-up, warning at once and every five minutes', async () => {
    const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const logger = quietLogger();
    const tracker = new AddressTracker(zk.children('/demo'), () => undefined, { logger, label });
    const waiting = tracker.waitForAddresses(true);
    await tracker.view.ready;
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.warnings).to.deep.equal([`No addresses from ${label}`]);
    clock.tick(NO_ADDRESSES_REPEAT_MS - 1);
    expect(logger.warnings).to.have.length(1);
    clock.tick(1);
    expect(logger.warnings).to.have.length(2);
    await writer.create('/demo/127.0.0.1:1', '', { ephemeral: true });
    expect((await waiting).map((a) => a.name)).to.deep.equal(['127.0.0.1:1']);
    expect(logger.warnings.at(-1)).to.equal(`OK: Got addresses from ${label}`);
  });

  it('returns at once without waiting, and says nothing', async () => {
    const logger = quietLogger();
    const tracker = new AddressTracker(zk.children('/demo'), () => undefined, { logger, label });
    expect(await tracker.waitForAddresses(false)).to.deep.equal([]);
    expect(logger.warnings).to.deep.equal([]);
  });

  it('reads IPv6 names and skips names that are not host:port', () => {
    const logger = quietLogger();
    expect(parseNames(['[::1]:8100', 'junk', ':9000'], logger)).to.deep.equal([
      { host: '', port: 9000, name: ':9000' },
      { host: '::1', port: 8100, name: '[::1]:8100' },
    ]);
    expect(logger.warnings).to.deep.equal(['ignoring registry entry "junk": not host:port']);
  });
});
