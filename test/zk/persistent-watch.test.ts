import { expect } from 'chai';
import { sharedZooKeeper } from '../support/zookeeper.js';
import { fourLetterWord } from '../../src/testing/four-letter-word.js';
import { expireSession } from '../../src/testing/expire-session.js';
import type { ZkClient } from '../../src/zk/client.js';
import { ServerError } from '../../src/zk/errors.js';
import { ZkState } from '../../src/zk/states.js';
import type { WatchEvent } from '../../src/zk/types.js';
import { createRawClient, destroyRawClient, rawRemoveWatches, toZooKeeperError } from '../../src/zk/underlying.js';
import { Inbox } from '../support/events.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { ClientBag, isolatedConnectionString } from '../support/zookeeper.js';

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
    for (const child of await writer.getChildren('/')) await writer.delete(`/${child}`, { recursive: true });
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
    const [host, port] = connection.slice(0, connection.indexOf('/')).split(':');
    const proxy = await TcpProxy.start(host!, Number(port));
    try {
      const cut = await clients.open(`${proxy.address}${connection.slice(connection.indexOf('/'))}`, { sessionTimeoutMs: 10_000 });
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
