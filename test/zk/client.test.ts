import { expect } from 'chai';
import { ZkClient } from '../../src/zk/client.js';
import {
  BadVersionError,
  ClientClosedError,
  InvalidPathError,
  NodeExistsError,
  NoChildrenForEphemeralsError,
  NoNodeError,
  NotEmptyError,
} from '../../src/zk/errors.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { Perms, READ_ACL_UNSAFE } from '../../src/zk/types.js';
import { clearTree, ClientBag, isolatedConnectionString, splitConnectionString } from '../support/zookeeper.js';
import { Inbox } from '../support/events.js';

describe('ZkClient CRUD (real ZooKeeper)', function () {
  let connection: string;
  const clients = new ClientBag();
  let zk: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('crud');
  });
  beforeEach(async () => {
    zk = await clients.open(connection);
    await clearTree(zk);
  });
  afterEach(() => clients.closeAll());

  it('creates, reads, sets and deletes nodes', async () => {
    expect(await zk.create('/a', 'hello')).to.equal('/a');
    const { data, stat } = await zk.get('/a');
    expect(data.toString()).to.equal('hello');
    expect(stat.version).to.equal(0);
    expect(stat.dataLength).to.equal(5);
    expect(stat.ephemeralOwner).to.equal(0n);
    const after = await zk.set('/a', Buffer.from([1, 2, 3]));
    expect(after.version).to.equal(1);
    expect((await zk.get('/a')).data).to.deep.equal(Buffer.from([1, 2, 3]));
    await zk.delete('/a');
    expect(await zk.exists('/a')).to.equal(null);
  });

  it('reads empty data as an empty buffer', async () => {
    await zk.create('/empty');
    expect((await zk.get('/empty')).data).to.deep.equal(Buffer.alloc(0));
  });

  it('reports typed errors carrying the path', async () => {
    const missing = await zk.get('/nope').catch((error: unknown) => error);
    expect(missing).to.be.instanceOf(NoNodeError).with.property('path', '/nope');
    expect(missing).to.have.property('code', 'ZK_NO_NODE');
    await zk.create('/x');
    const exists = await zk.create('/x').catch((error: unknown) => error);
    expect(exists).to.be.instanceOf(NodeExistsError).with.property('path', '/x');
    const badVersion = await zk.set('/x', 'v', { version: 7 }).catch((error: unknown) => error);
    expect(badVersion).to.be.instanceOf(BadVersionError);
    await zk.create('/x/child');
    expect(await zk.delete('/x').catch((error: unknown) => error)).to.be.instanceOf(NotEmptyError);
    await zk.create('/eph', '', { ephemeral: true });
    expect(await zk.create('/eph/child').catch((error: unknown) => error)).to.be.instanceOf(NoChildrenForEphemeralsError);
    expect(await zk.create('/no/parent').catch((error: unknown) => error)).to.be.instanceOf(NoNodeError);
  });

  it('rejects bad paths and data before sending anything', async () => {
    for (const path of ['relative', '/a//b', '/trailing/']) {
      const error = await zk.get(path).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InvalidPathError);
      expect((error as Error).message).to.include(JSON.stringify(path));
    }
    const tooBig = await zk.create('/big', Buffer.alloc(1024 * 1024 + 1)).catch((e: unknown) => e);
    expect(tooBig).to.be.instanceOf(InvalidArgumentError).with.property('message').that.includes('/big');
  });

  it('creates parents with makepath and paths with ensurePath', async () => {
    expect(await zk.create('/m/a/b', 'leaf', { makepath: true })).to.equal('/m/a/b');
    expect((await zk.get('/m/a/b')).data.toString()).to.equal('leaf');
    await zk.ensurePath('/e/f/g');
    await zk.ensurePath('/e/f/g');
    expect(await zk.getChildren('/e/f')).to.deep.equal(['g']);
  });

  it('creates sequential nodes', async () => {
    await zk.create('/q');
    const first = await zk.create('/q/item-', 'a', { sequence: true });
    const second = await zk.create('/q/item-', 'b', { sequence: true });
    expect(first).to.match(/^\/q\/item-\d{10}$/);
    expect(second > first).to.equal(true);
  });

  it('deletes whole subtrees depth first', async () => {
    await zk.create('/r/a/b/c', '', { makepath: true });
    await zk.create('/r/x');
    await zk.create('/r/a/y');
    await zk.delete('/r', { recursive: true });
    expect(await zk.exists('/r')).to.equal(null);
  });

  it('applies an ACL', async () => {
    await zk.create('/ro', 'x', { acl: READ_ACL_UNSAFE });
    const { acl } = await zk.getAcl('/ro');
    expect(acl).to.deep.equal([{ perms: Perms.READ, scheme: 'world', id: 'anyone' }]);
  });

  it('commits transactions atomically', async () => {
    await zk.create('/t', 'v0');
    const results = await zk.transaction().create('/t/new', 'n').set('/t', 'v1', 0).check('/t', 1).commit();
    expect(results.map((r) => r.type)).to.deep.equal(['create', 'set', 'check']);
    expect(results[1]).to.have.nested.property('stat.version', 1);
    // Version 0 must mean version 0 (node-zookeeper-client would send -1).
    const failure = await zk
      .transaction()
      .create('/t/never')
      .check('/t', 0)
      .commit()
      .catch((e: unknown) => e);
    expect(failure).to.be.instanceOf(BadVersionError).with.property('operationIndex', 1);
    expect(await zk.exists('/t/never')).to.equal(null);
  });

  it('fires one-shot watches for changes made by another client', async () => {
    const other = await clients.open(connection);
    await zk.create('/w', 'a');
    const events = new Inbox<string>();
    await zk.get('/w', (event) => events.push(`data:${event.type}:${event.path}`));
    await zk.getChildren('/w', (event) => events.push(`children:${event.type}:${event.path}`));
    await zk.exists('/w/later', (event) => events.push(`exists:${event.type}:${event.path}`));
    await other.set('/w', 'b');
    expect(await events.next()).to.equal('data:changed:/w');
    await other.create('/w/later');
    const two = [await events.next(), await events.next()].sort();
    expect(two).to.deep.equal(['children:child:/w', 'exists:created:/w/later']);
    await other.set('/w', 'c');
    await other.create('/w/again');
    // One-shot: nothing more arrives for those watches. A sync round trip
    // through the same server proves the notifications would have arrived.
    await zk.exists('/w');
    expect(events.pending).to.deep.equal([]);
  });

  it('calls a watcher given twice for one path and kind once, and not at all once forgotten', async () => {
    const other = await clients.open(connection);
    await zk.create('/w', 'a');
    const events = new Inbox<string>();
    const onData = (event: { type: string }): void => events.push(`data:${event.type}`);
    const onChildren = (event: { type: string }): void => events.push(`children:${event.type}`);
    // Read twice before anything changed, as a watch does after a reconnection.
    await zk.get('/w', onData);
    await zk.get('/w', onData);
    await zk.getChildren('/w', onChildren);
    zk.forgetWatcher('/w', onChildren);
    await other.set('/w', 'b');
    await other.create('/w/child');
    expect(await events.next()).to.equal('data:changed');
    // The notifications would have arrived before this round trip's answer.
    await zk.exists('/w');
    expect(events.pending).to.deep.equal([]);
  });

  it('removes ephemeral nodes when their session closes', async () => {
    const owner = await clients.open(connection);
    await owner.create('/eph-owner', 'x', { ephemeral: true });
    expect((await zk.exists('/eph-owner'))?.ephemeralOwner).to.equal(owner.sessionId);
    const gone = new Inbox<string>();
    await zk.exists('/eph-owner', (event) => gone.push(event.type));
    await owner.close();
    expect(await gone.next()).to.equal('deleted');
    expect(await zk.exists('/eph-owner')).to.equal(null);
  });

  it('works under a chroot', async () => {
    const { host, port, chroot } = splitConnectionString(connection);
    await zk.create('/inside', 'x');
    const root = await clients.open(`${host}:${port}`);
    expect(await root.getChildren(chroot)).to.include('inside');
  });

  it('lets state listeners call ZooKeeper', async () => {
    const client = new ZkClient(connection);
    clients.add(client);
    const seen = new Inbox<string[]>();
    client.on('state', (state) => {
      if (state === 'CONNECTED') void client.getChildren('/').then(seen.push);
    });
    await client.start();
    expect(await seen.next()).to.be.an('array');
  });

  it('refuses work after close, and close is idempotent', async () => {
    const client = await clients.open(connection);
    await client.close();
    await client.close();
    expect(await client.get('/').catch((e: unknown) => e)).to.be.instanceOf(ClientClosedError);
    expect(await client.start().catch((e: unknown) => e)).to.be.instanceOf(ClientClosedError);
    expect(client.state).to.equal('LOST');
  });
});
