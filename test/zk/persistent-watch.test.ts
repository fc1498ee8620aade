import { expect } from 'chai';
import { fourLetterWord } from '../../src/testing/four-letter-word.js';
import { expireSession } from '../../src/testing/expire-session.js';
import type { ZkClient } from '../../src/zk/client.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import { ChildrenWatch } from '../../src/zk/children-watch.js';
import { ServerError, UnimplementedError } from '../../src/zk/errors.js';
import { ZkState } from '../../src/zk/states.js';
import type { WatchEvent } from '../../src/zk/types.js';
import { createRawClient, destroyRawClient, rawRemoveWatches, toZooKeeperError } from '../../src/zk/underlying.js';
import { eventually, Inbox } from '../support/events.js';
import { OldZooKeeperProxy } from '../support/old-zookeeper-proxy.js';
import { clearTree, ClientBag, isolatedConnectionString, proxyInFrontOf, sharedZooKeeper, splitConnectionString } from '../support/zookeeper.js';

const describeEvent = (event: WatchEvent): string => `${event.type} ${event.path}`;

/** The server's count of watches (all sessions), from `mntr`. */
async function watchCount(): Promise<number> {
  const server = await sharedZooKeeper();
  const port = Number(server.connectionString.split(':')[1]);
  const answer = await fourLetterWord(port, 'mntr', 2000);
  const match = /zk_watch_count\s+(\d+)/.exec(answer ?? '');
  if (match === null) throw new Error(`no zk_watch_count in mntr: ${answer}`);
  return Number(match[1]);
}

describe('ZkClient persistent watches (real ZooKeeper)', function () {
  const clients = new ClientBag();
  let connection: string;
  let watcher: ZkClient;
  let writer: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('pwatch');
  });
  beforeEach(async () => {
    watcher = await clients.open(connection);
    writer = await clients.open(connection);
    await clearTree(writer);
    await writer.create('/p');
  });
  afterEach(() => clients.closeAll());

  it('recursive: reports every change at and below the path, naming the node, and stays armed', async () => {
    const events = new Inbox<string>();
    await watcher.addWatch('/p', (event) => events.push(describeEvent(event)), { recursive: true });
    await writer.create('/p/a');
    expect(await events.next()).to.equal('created /p/a');
    await writer.create('/p/a/deep');
    expect(await events.next()).to.equal('created /p/a/deep');
    await writer.set('/p', 'data');
    expect(await events.next()).to.equal('changed /p');
    await writer.delete('/p/a', { recursive: true });
    expect([await events.next(), await events.next()]).to.have.members(['deleted /p/a/deep', 'deleted /p/a']);
    await writer.create('/elsewhere');
    await writer.create('/p/b');
    expect(await events.next()).to.equal('created /p/b');
  });

  it('non-recursive: reports the node itself only, children as one "child" event', async () => {
    const events = new Inbox<string>();
    await watcher.addWatch('/p', (event) => events.push(describeEvent(event)));
    await writer.create('/p/a');
    expect(await events.next()).to.equal('child /p');
    await writer.create('/p/a/deep');
    await writer.set('/p', 'data');
    expect(await events.next()).to.equal('changed /p');
  });

  it('removeWatch stops the listener and takes the watch off the server with its last listener', async () => {
    const before = await watchCount();
    const first = new Inbox<string>();
    const second = new Inbox<string>();
    const one = (event: WatchEvent): void => first.push(describeEvent(event));
    const two = (event: WatchEvent): void => second.push(describeEvent(event));
    await watcher.addWatch('/p', one, { recursive: true });
    await watcher.addWatch('/p', two, { recursive: true });
    expect(await watchCount()).to.be.greaterThan(before);
    await watcher.removeWatch('/p', one, { recursive: true });
    expect(await watchCount()).to.be.greaterThan(before);
    await writer.create('/p/a');
    expect(await second.next()).to.equal('created /p/a');
    expect(first.pending).to.deep.equal([]);
    await watcher.removeWatch('/p', two, { recursive: true });
    expect(await watchCount()).to.equal(before);
  });

  it('is added again after a reconnection in the same session', async () => {
    const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
    try {
      const cut = await clients.open(viaProxy, { sessionTimeoutMs: 10_000 });
      const session = cut.sessionId;
      const events = new Inbox<string>();
      await cut.addWatch('/p', (event) => events.push(describeEvent(event)), { recursive: true });
      const suspended = cut.waitForState(ZkState.SUSPENDED, 5000);
      proxy.setMode('refuse');
      expect(await suspended).to.equal(true);
      const connected = cut.waitForState(ZkState.CONNECTED, 5000);
      proxy.setMode('pass');
      expect(await connected).to.equal(true);
      expect(cut.sessionId).to.equal(session);
      await cut.exists('/p'); // the watch is added before anything sent after CONNECTED
      await writer.create('/p/after');
      expect(await events.next()).to.equal('created /p/after');
    } finally {
      await proxy.close();
    }
  });

  it('is added again on the new session after session expiry', async () => {
    const events = new Inbox<string>();
    await watcher.addWatch('/p', (event) => events.push(describeEvent(event)), { recursive: true });
    const oldSession = watcher.sessionId;
    await expireSession(watcher);
    if (!watcher.connected) expect(await watcher.waitForState(ZkState.CONNECTED, 10_000)).to.equal(true);
    expect(watcher.sessionId).to.not.equal(oldSession);
    await watcher.exists('/p');
    await writer.create('/p/new-session');
    expect(await events.next()).to.equal('created /p/new-session');
  });

  it('one path has one kind of persistent watch: the other kind is refused', async () => {
    const listener = (): void => undefined;
    await watcher.addWatch('/p', listener, { recursive: true });
    const error = await watcher.addWatch('/p', listener).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as Error).message).to.contain('/p has a recursive persistent watch');
    // The recursive one still works.
    const events = new Inbox<string>();
    await watcher.addWatch('/p', (event) => events.push(describeEvent(event)), { recursive: true });
    await writer.create('/p/a');
    expect(await events.next()).to.equal('created /p/a');
  });

  it('a listener that throws does not stop the others', async () => {
    const events = new Inbox<string>();
    await watcher.addWatch('/p', () => {
      throw new Error('listener bug');
    }, { recursive: true });
    await watcher.addWatch('/p', (event) => events.push(describeEvent(event)), { recursive: true });
    await writer.create('/p/x');
    expect(await events.next()).to.equal('created /p/x');
  });
});

describe('persistent ChildrenWatch and ChildrenView: the hard cases (real ZooKeeper)', function () {
  const clients = new ClientBag();
  let connection: string;
  let writer: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('pchildren');
  });
  beforeEach(async () => {
    writer = await clients.open(connection);
    await clearTree(writer);
    await writer.create('/svc');
  });
  afterEach(() => clients.closeAll());

  it('misses no child created right after its read, when the reply and the event arrive in one socket read', async () => {
    const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
    try {
      const cut = await clients.open(viaProxy);
      const frames = (): number => {
        let count = 0;
        for (let at = 0, held = proxy.held; at + 4 <= held.length; at += 4 + held.readInt32BE(at)) count += 1;
        return count;
      };
      proxy.holdReplies();
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(cut, '/svc', (children) => seen.push([...children].sort()), { persistent: true });
      // The addWatch and getChildren replies are held; the child is created after the read.
      await eventually('both replies held', () => frames() >= 2);
      await writer.create('/svc/late');
      await eventually('the notification held too', () => frames() >= 3);
      proxy.releaseReplies();
      expect(await seen.until((children) => children.includes('late'))).to.deep.equal(['late']);
      await writer.create('/svc/later');
      expect(await seen.next()).to.deep.equal(['late', 'later']);
      watch.cancel();
    } finally {
      await proxy.close();
    }
  });

  it('a persistent view keeps following children after the node\'s data changes (no one-shot watch on it)', async () => {
    const zk = await ZooKeeper.connect(connection, { sessionTimeoutMs: 4000 });
    try {
      const view = zk.children('/svc', { persistent: true });
      await view.ready;
      const calls = new Inbox<readonly string[]>();
      view.subscribe((children) => calls.push([...children].sort()));
      expect(await calls.next()).to.deep.equal([]);
      await writer.set('/svc', '{"note": "changed"}');
      await writer.create('/svc/a');
      expect(await calls.next()).to.deep.equal(['a']);
      await writer.set('/svc', '{"note": "again"}');
      await writer.create('/svc/b');
      expect(await calls.next()).to.deep.equal(['a', 'b']);
    } finally {
      await zk.close();
    }
  });

  it('a view closed while attaching leaves no watch on the server', async () => {
    const zk = await ZooKeeper.connect(connection, { sessionTimeoutMs: 4000 });
    try {
      await zk.client.exists('/svc');
      const before = await watchCount();
      const view = zk.children('/svc', { persistent: true });
      await Promise.resolve();
      view.close();
      await eventually('the watch count back where it was', async () => (await watchCount()) === before);
      // And a cancelled watch takes its server watch along.
      const watch = new ChildrenWatch(zk.client, '/svc', () => undefined, { persistent: true });
      await watch.ready;
      expect(await watchCount()).to.be.greaterThan(before);
      watch.cancel();
      await eventually('the watch count back after cancel', async () => (await watchCount()) === before);
    } finally {
      await zk.close();
    }
  });

  it('falls back to one-shot watches on a server before 3.6 (UNIMPLEMENTED, then the connection closes)', async () => {
    const { host, port, chroot } = splitConnectionString(connection);
    const old = await OldZooKeeperProxy.start(host, port);
    try {
      const client = await clients.open(`${old.address}${chroot}`, { sessionTimeoutMs: 10_000 });
      const session = client.sessionId;
      await writer.create('/svc/first');
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(client, '/svc', (children) => seen.push([...children].sort()), { persistent: true });
      expect(await seen.next()).to.deep.equal(['first']);
      expect(old.addWatchRequests).to.equal(1);
      await writer.create('/svc/second');
      expect(await seen.next()).to.deep.equal(['first', 'second']);
      await writer.delete('/svc/first');
      expect(await seen.next()).to.deep.equal(['second']);
      expect(client.sessionId).to.equal(session);
      // The client remembers: later persistent watches are refused without asking.
      expect(await client.addWatch('/svc', () => undefined).catch((e: unknown) => e)).to.be.instanceOf(UnimplementedError);
      expect(old.addWatchRequests).to.equal(1);
      watch.cancel();
      // A view on such a server still reports its node's deletion.
      const zk = await ZooKeeper.connect(`${old.address}${chroot}`, { sessionTimeoutMs: 10_000 });
      try {
        const view = zk.children('/svc', { persistent: true });
        await view.ready;
        const changes = new Inbox<boolean>();
        view.subscribe((_children, change) => changes.push(change.deleted));
        expect(await changes.next()).to.equal(false);
        await writer.delete('/svc', { recursive: true });
        expect(await changes.until((deleted) => deleted)).to.equal(true);
      } finally {
        await zk.close();
      }
    } finally {
      await old.close();
    }
  });
});

describe('node-zookeeper-client and error codes it does not know', () => {
  it('a reply with a newer code (NO_WATCHER, -121) becomes a typed error instead of a crash', async () => {
    const server = await sharedZooKeeper();
    const [host, port] = server.connectionString.split(':');
    const raw = createRawClient([{ host: host!, port: Number(port) }], undefined, 4000, 200);
    try {
      await new Promise<void>((resolve) => {
        raw.once('connected', () => resolve());
        raw.connect();
      });
      const error = await new Promise<unknown>((resolve) => rawRemoveWatches(raw, '/never-watched', resolve));
      const typed = toZooKeeperError(error, '/never-watched');
      expect(typed).to.be.instanceOf(ServerError);
      expect((typed as ServerError).zkCode).to.equal(-121);
      expect(typed.message).to.include('NO_WATCHER');
      // The connection is still usable.
      const children = await new Promise<string[]>((resolve, reject) =>
        raw.getChildren('/', (e, names) => (e ? reject(e) : resolve(names))),
      );
      expect(children).to.include('zookeeper');
    } finally {
      destroyRawClient(raw);
    }
  });
});
