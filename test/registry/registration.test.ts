import { expect } from 'chai';
import sinon from 'sinon';
import { expireSession } from '../../src/testing/expire-session.js';
import { NodeExistsError, NoNodeError } from '../../src/zk/errors.js';
import { ZkClient } from '../../src/zk/client.js';
import { ZkState } from '../../src/zk/states.js';
import { READ_ACL_UNSAFE } from '../../src/zk/types.js';
import { hostIPv4Addresses } from '../../src/registry/host-addresses.js';
import { Registrar, Registration } from '../../src/registry/registration.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import { FailedConnectError } from '../../src/registry/errors.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { freePorts } from '../../src/testing/free-port.js';
import { eventually, Inbox } from '../support/events.js';
import { clearTree, ClientBag, isolatedConnectionString, proxyInFrontOf } from '../support/zookeeper.js';
import type { TcpProxy } from '../support/tcp-proxy.js';
import { quietLogger } from '../support/logger.js';
import { collected } from '../support/gc.js';

describe('ZooKeeper.register (real ZooKeeper)', function () {
  const clients = new ClientBag();
  const helpers: ZooKeeper[] = [];
  const proxies: TcpProxy[] = [];
  let connection: string;
  let observer: ZkClient;

  const open = async (options = {}): Promise<ZooKeeper> => {
    const zk = await ZooKeeper.connect(connection, { sessionTimeoutMs: 4000, ...options });
    helpers.push(zk);
    return zk;
  };
  const data = async (path: string): Promise<Record<string, unknown>> =>
    JSON.parse((await observer.get(path)).data.toString()) as Record<string, unknown>;

  before(async () => {
    connection = await isolatedConnectionString('register');
  });
  beforeEach(async () => {
    observer = await clients.open(connection);
    await clearTree(observer);
    await observer.create('/fooservice');
  });
  afterEach(async () => {
    await Promise.all(helpers.splice(0).map((zk) => zk.close()));
    await clients.closeAll();
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
  });

  it('creates an ephemeral host:port node with JSON properties and pid, read-only to the world', async () => {
    const zk = await open();
    const registration = await zk.register('/fooservice', ['192.168.0.42', 8080], { threads: 3 });
    expect(registration.nodePaths).to.deep.equal(['/fooservice/192.168.0.42:8080']);
    expect(await data('/fooservice/192.168.0.42:8080')).to.deep.equal({ threads: 3, pid: process.pid });
    const stat = await observer.exists('/fooservice/192.168.0.42:8080');
    expect(stat?.ephemeralOwner).to.equal(zk.client.sessionId);
    expect((await observer.getAcl('/fooservice/192.168.0.42:8080')).acl).to.deep.equal([...READ_ACL_UNSAFE]);
  });

  it('accepts {host, port}, "host:port" and bracketed IPv6 addresses', async () => {
    const zk = await open();
    await zk.register('/fooservice', { host: 'h1', port: 1 });
    await zk.register('/fooservice', 'h2:2');
    await zk.register('/fooservice', '[::1]:3');
    expect((await observer.getChildren('/fooservice')).sort()).to.deep.equal(['[::1]:3', 'h1:1', 'h2:2']);
    for (const bad of ['nope', 'h:99999', ['h', 'x']] as const) {
      const error = await zk.register('/fooservice', bad as never).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InvalidArgumentError);
    }
  });

  it('registers every non-loopback IPv4 address for an empty host', async () => {
    const zk = await open();
    await zk.register('/fooservice', ':9000');
    const expected = hostIPv4Addresses().map((ip) => `${ip}:9000`).sort();
    expect((await observer.getChildren('/fooservice')).sort()).to.deep.equal(expected);
  });

  it("lets 'registering' listeners add properties before the node is created", async () => {
    const zk = await open();
    const events: string[] = [];
    zk.on('registering', (event) => {
      events.push(`${event.name} ${event.path}`);
      event.properties.monitor = '127.0.0.1:11976';
    });
    await zk.register('/fooservice', '127.0.0.1:8100');
    expect(events).to.deep.equal(['127.0.0.1:8100 /fooservice']);
    expect(await data('/fooservice/127.0.0.1:8100')).to.deep.equal({ monitor: '127.0.0.1:11976', pid: process.pid });
  });

  it('resolves the service path through links', async () => {
    const zk = await open();
    await observer.create('/real');
    await zk.ln('/real', '/fooservice/alias');
    const registration = await zk.register('/fooservice/alias', 'h:1');
    expect(registration.path).to.equal('/real');
    expect(await observer.getChildren('/real')).to.deep.equal(['h:1']);
    expect(await zk.register('/nowhere', 'h:1').catch((e: unknown) => e)).to.be.instanceOf(NoNodeError);
  });

  it('creates the node with one request when the path is a real node', async () => {
    const zk = await open();
    const exists = sinon.spy(zk.client, 'exists');
    const get = sinon.spy(zk.client, 'get');
    const create = sinon.spy(zk.client, 'create');
    try {
      await zk.register('/fooservice', 'h:1');
    } finally {
      sinon.restore();
    }
    expect(create.callCount).to.equal(1);
    expect(exists.callCount + get.callCount, 'reads before the create').to.equal(0);
  });

  it("tells 'registering' listeners the resolved path, once, and nothing for a path that does not resolve", async () => {
    const zk = await open();
    await observer.create('/real');
    await zk.ln('/real', '/fooservice/alias');
    const paths: string[] = [];
    zk.on('registering', (event) => paths.push(event.path));
    const registration = await zk.register('/fooservice/alias', 'h:1');
    expect(registration.path).to.equal('/real');
    expect(await zk.register('/nowhere', 'h:2').catch((e: unknown) => e)).to.be.instanceOf(NoNodeError);
    expect(paths).to.deep.equal(['/real']);
  });

  it('refuses the same address twice at one path, as zc.zk does, and keeps the first', async () => {
    const zk = await open();
    const first = await zk.register('/fooservice', 'h:1', { a: 1 });
    expect(await zk.register('/fooservice', 'h:1', { a: 2 }).catch((e: unknown) => e)).to.be.instanceOf(NodeExistsError);
    expect(zk.registrations).to.deep.equal([first]);
    expect(await data('/fooservice/h:1')).to.deep.equal({ a: 1, pid: process.pid });
  });

  it('takes back the nodes it made when a later one of the same registration is refused', async () => {
    const zk = await open();
    const squatter = await clients.open(connection);
    await squatter.create('/fooservice/10.0.0.2:1', '{}', { ephemeral: true });
    const registrar = new Registrar(zk.client, quietLogger());
    const registration = new Registration(registrar, {
      path: '/fooservice',
      name: ':1',
      nodePaths: ['/fooservice/10.0.0.1:1', '/fooservice/10.0.0.2:1'],
      acl: READ_ACL_UNSAFE,
      properties: {},
    });
    try {
      expect(await registrar.add(registration).catch((e: unknown) => e)).to.be.instanceOf(NodeExistsError);
      expect(await observer.getChildren('/fooservice')).to.deep.equal(['10.0.0.2:1']);
      expect([...registrar.registrations]).to.deep.equal([]);
    } finally {
      registrar.close();
    }
  });

  it('refuses a name another live session holds', async () => {
    const first = await open();
    const second = await open();
    await first.register('/fooservice', 'h:1');
    expect(await second.register('/fooservice', 'h:1').catch((e: unknown) => e)).to.be.instanceOf(NodeExistsError);
  });

  it('re-creates registrations on the new session after expiry, with updated properties', async () => {
    const zk = await open();
    const registration = await zk.register('/fooservice', 'h:1', { a: 1 });
    await registration.update({ b: 2 });
    const oldSession = zk.client.sessionId;
    await expireSession(zk.client);
    await zk.client.waitForState(ZkState.CONNECTED, 10_000);
    const stat = await eventually('the node to belong to the new session', async () => {
      const current = await observer.exists('/fooservice/h:1');
      return current !== null && current.ephemeralOwner === zk.client.sessionId ? current : undefined;
    });
    expect(stat.ephemeralOwner).to.not.equal(oldSession);
    expect(await data('/fooservice/h:1')).to.deep.equal({ a: 1, b: 2, pid: process.pid });
  });

  it('remembers data set through set() for re-registration', async () => {
    const zk = await open();
    await zk.register('/fooservice', 'h:1');
    await zk.set('/fooservice/h:1', '{"weight":5}');
    await expireSession(zk.client);
    await eventually('re-registration', async () => {
      const current = await observer.exists('/fooservice/h:1');
      return current?.ephemeralOwner === zk.client.sessionId;
    });
    expect(await data('/fooservice/h:1')).to.deep.equal({ weight: 5 });
  });

  async function cutOffHelper(logger = quietLogger()): Promise<{ zk: ZooKeeper; proxy: TcpProxy }> {
    const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
    proxies.push(proxy);
    const zk = await ZooKeeper.connect(viaProxy, {
      sessionTimeoutMs: 2000,
      logger,
    });
    helpers.push(zk);
    return { zk, proxy };
  }

  it('replaces a node its own expired session left behind, without waiting for the server to delete it', async () => {
    const logger = quietLogger();
    const { zk, proxy } = await cutOffHelper(logger);
    await zk.register('/fooservice', 'h:1');
    const oldSession = zk.client.sessionId;
    const lost = zk.client.waitForState(ZkState.LOST, 10_000);
    proxy.setMode('refuse');
    expect(await lost).to.equal(true);
    proxy.setMode('pass');
    await eventually('the node to belong to the new session', async () => {
      const current = await observer.exists('/fooservice/h:1');
      return current !== null && current.ephemeralOwner !== oldSession && current.ephemeralOwner === zk.client.sessionId;
    });
    expect(logger.errors).to.deep.equal([]);
  });

  it('waits for a node held by a foreign session to go, then takes it over', async () => {
    const logger = quietLogger();
    const { zk, proxy } = await cutOffHelper(logger);
    await zk.register('/fooservice', 'h:1');
    const gone = new Inbox<string>();
    await observer.exists('/fooservice/h:1', (event) => gone.push(event.type));
    proxy.setMode('refuse');
    expect(await gone.next()).to.equal('deleted'); // the server expired the old session
    const squatter = await clients.open(connection);
    await squatter.create('/fooservice/h:1', '{}', { ephemeral: true });
    const connected = zk.client.waitForState(ZkState.CONNECTED, 10_000);
    proxy.setMode('pass');
    expect(await connected).to.equal(true);
    await eventually('the warning about the foreign holder', () =>
      logger.warnings.some((line) => line.includes('/fooservice/h:1 is held by another session')),
    );
    expect((await observer.exists('/fooservice/h:1'))?.ephemeralOwner).to.equal(squatter.sessionId);
    await squatter.close();
    await eventually('our session to hold the node', async () => {
      const current = await observer.exists('/fooservice/h:1');
      return current?.ephemeralOwner === zk.client.sessionId;
    });
  });

  it('completes a registration whose create reply was lost, though the node is read-only to us', async () => {
    const logger = quietLogger();
    const { zk, proxy } = await cutOffHelper(logger);
    const events = new Inbox<string>();
    await observer.exists('/fooservice/h:1', (event) => events.push(event.type));
    // The create reaches ZooKeeper, its reply does not reach us.
    proxy.holdReplies();
    const registering = zk.register('/fooservice', 'h:1', { a: 1 });
    expect(await events.next()).to.equal('created');
    const suspended = zk.client.waitForState(ZkState.SUSPENDED, 5000);
    proxy.setMode('refuse');
    proxy.releaseReplies(); // to the closed connection: dropped
    expect(await suspended).to.equal(true);
    const sessionId = zk.client.sessionId;
    proxy.setMode('pass');
    const registration = await registering;
    expect(zk.client.sessionId, 'the same session').to.equal(sessionId);
    expect(registration.nodePaths).to.deep.equal(['/fooservice/h:1']);
    const stat = await observer.exists('/fooservice/h:1');
    expect(stat?.ephemeralOwner).to.equal(sessionId);
    expect(await data('/fooservice/h:1')).to.deep.equal({ a: 1, pid: process.pid });
    expect(logger.errors).to.deep.equal([]);
  });

  it('does not re-register on a flapping connection that keeps its session', async () => {
    const logger = quietLogger();
    const { zk, proxy } = await cutOffHelper(logger);
    await zk.register('/fooservice', 'h:1');
    const created = (await observer.exists('/fooservice/h:1'))!.czxid;
    for (let flap = 0; flap < 5; flap += 1) {
      const suspended = zk.client.waitForState(ZkState.SUSPENDED, 5000);
      proxy.setMode('refuse');
      expect(await suspended).to.equal(true);
      const back = zk.client.waitForState(ZkState.CONNECTED, 5000);
      proxy.setMode('pass');
      expect(await back).to.equal(true);
    }
    const stat = await observer.exists('/fooservice/h:1');
    expect(stat?.czxid).to.equal(created);
    expect(logger.infos.filter((line) => line.startsWith('restoring ephemeral'))).to.deep.equal([]);
  });

  it('never resurrects a withdrawn registration', async () => {
    const zk = await open();
    const registration = await zk.register('/fooservice', 'h:1');
    await registration.withdraw();
    expect(await observer.exists('/fooservice/h:1')).to.equal(null);
    await expireSession(zk.client);
    await zk.client.waitForState(ZkState.CONNECTED, 10_000);
    // A round trip after the new session's re-registration would have run.
    await zk.register('/fooservice', 'h:2');
    expect(await observer.getChildren('/fooservice')).to.deep.equal(['h:2']);
    expect(zk.registrations.map((r) => r.name)).to.deep.equal(['h:2']);
  });

  it('lets go of withdrawn registrations and of closed, one-off and failed views', async () => {
    // A long-running process registers and watches again and again.
    const zk = await open();
    // In a function of its own: a suspended async function can keep its locals.
    const useAndDrop = async (): Promise<Map<string, WeakRef<object>>> => {
      const refs = new Map<string, WeakRef<object>>();
      const registration = await zk.register('/fooservice', ['h', 1]);
      await registration.withdraw();
      refs.set('withdrawn registration', new WeakRef(registration));
      const children = zk.children('/fooservice');
      await children.ready;
      children.close();
      refs.set('closed children view', new WeakRef(children));
      const properties = zk.properties('/fooservice');
      await properties.ready;
      properties.close();
      refs.set('closed properties view', new WeakRef(properties));
      const once = zk.properties('/fooservice', { watch: false });
      await once.ready;
      refs.set('one-off properties view', new WeakRef(once));
      const missing = zk.properties('/nothing');
      await missing.ready.catch(() => undefined);
      refs.set('properties view of a missing node', new WeakRef(missing));
      return refs;
    };
    const refs = await useAndDrop();
    expect(zk.registrations).to.deep.equal([]);
    const kept: string[] = [];
    for (const [what, ref] of refs) if (!(await collected(ref))) kept.push(what);
    expect(kept).to.deep.equal([]);
  });

  it('fails to connect with FailedConnectError, logging zc.zk\'s message', async () => {
    const [port] = await freePorts(1);
    const logger = quietLogger();
    const error = await ZooKeeper.connect(`127.0.0.1:${port}`, { connectTimeoutMs: 200, logger }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(FailedConnectError);
    expect(logger.errors).to.deep.equal([`Can't connect to ZooKeeper at '127.0.0.1:${port}'`]);
  });
});
