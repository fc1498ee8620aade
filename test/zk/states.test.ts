import { createServer, type Server } from 'node:net';
import { expect } from 'chai';
import { TestingServer } from '../../src/testing/testing-server.js';
import { expireSession } from '../../src/testing/expire-session.js';
import { ZkClient } from '../../src/zk/client.js';
import {
  ClientClosedError,
  ConnectTimeoutError,
  OperationTimeoutError,
  SessionExpiredError,
} from '../../src/zk/errors.js';
import { ZkState } from '../../src/zk/states.js';
import { eventually, Inbox } from '../support/events.js';
import { ClientBag, isolatedConnectionString, proxyInFrontOf } from '../support/zookeeper.js';
import { freePorts } from '../../src/testing/free-port.js';

function recordStates(client: ZkClient): Inbox<string> {
  const states = new Inbox<string>();
  client.on('state', (state) => states.push(state));
  return states;
}

describe('ZkClient connection states', function () {
  const clients = new ClientBag();
  afterEach(() => clients.closeAll());

  describe('start', () => {
    it('rejects with ConnectTimeoutError when nothing listens, and stops', async () => {
      const [port] = await freePorts(1);
      const client = clients.add(new ZkClient(`127.0.0.1:${port}`));
      const error = await client.start({ timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ConnectTimeoutError);
      expect((error as Error).message).to.include(`'127.0.0.1:${port}'`).and.include('300 ms');
      expect(client.started).to.equal(false);
      expect(client.state).to.equal(ZkState.LOST);
      expect(await client.get('/').catch((e: unknown) => e)).to.be.instanceOf(ClientClosedError);
    });

    it('rejects with ConnectTimeoutError when the server accepts but never answers', async () => {
      const silent: Server = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      try {
        const client = clients.add(new ZkClient(`127.0.0.1:${port}`));
        expect(await client.start({ timeoutMs: 300 }).catch((e: unknown) => e)).to.be.instanceOf(ConnectTimeoutError);
      } finally {
        silent.close();
      }
    });

    it('can be started again after stop, with a new session', async () => {
      const connection = await isolatedConnectionString('restart');
      const client = await clients.open(connection);
      const first = client.sessionId;
      await client.stop();
      await client.stop();
      expect(client.sessionId).to.equal(0n);
      await client.start();
      expect(client.connected).to.equal(true);
      expect(client.sessionId).to.not.equal(first);
    });
  });

  describe('against a server that goes away', function () {
    let server: TestingServer;
    before(async () => {
      server = await TestingServer.start();
    });
    after(() => server.close());

    it('is SUSPENDED while the server restarts, then CONNECTED on the same session; retried work completes', async () => {
      const client = await clients.open(server.connectionString, { sessionTimeoutMs: 20_000 });
      await client.ensurePath('/restart');
      const session = client.sessionId;
      const states = recordStates(client);
      await server.stop();
      expect(await states.next()).to.equal(ZkState.SUSPENDED);
      // Issued while the server is down; retried until it is back.
      const work = client.retry(() => client.create('/restart/while-down', 'x'), { maxTries: -1, delayMs: 50 });
      await server.restart();
      expect(await states.next()).to.equal(ZkState.CONNECTED);
      expect(client.sessionId).to.equal(session);
      expect(await work).to.equal('/restart/while-down');
      expect(states.pending).to.deep.equal([]);
    });

    it('notices a frozen server (read timeout), declares the session LOST after its timeout, and opens a new one', async () => {
      const client = await clients.open(server.connectionString, { sessionTimeoutMs: 2000 });
      const session = client.sessionId;
      const states = recordStates(client);
      server.pause();
      try {
        // The read timeout notices the silence well before the session could expire.
        expect(await states.next(5000)).to.equal(ZkState.SUSPENDED);
        expect(await states.next(5000)).to.equal(ZkState.LOST);
      } finally {
        server.resume();
      }
      expect(await states.next(10_000)).to.equal(ZkState.CONNECTED);
      expect(client.sessionId).to.not.equal(session);
      expect(client.sessionId).to.not.equal(0n);
    });

    it('fails a request that gets no answer with OperationTimeoutError', async () => {
      const client = await clients.open(server.connectionString, { requestTimeoutMs: 300, sessionTimeoutMs: 10_000 });
      server.pause();
      try {
        const error = await client.get('/').catch((e: unknown) => e);
        expect(error).to.be.instanceOf(OperationTimeoutError).with.property('retryable', true);
      } finally {
        server.resume();
      }
    });
  });

  describe('lifecycle', () => {
    it('rejects a pending start with ClientClosedError at once when closed', async () => {
      const [port] = await freePorts(1);
      const client = clients.add(new ZkClient(`127.0.0.1:${port}`));
      const starting = client.start({ timeoutMs: 60_000 }).catch((e: unknown) => e);
      await client.close();
      expect(await starting).to.be.instanceOf(ClientClosedError);
    });

    it('lets start wait for a stop in progress, and reports the states in order', async () => {
      const connection = await isolatedConnectionString('lifecycle');
      const client = await clients.open(connection);
      const first = client.sessionId;
      const states = recordStates(client);
      const stopping = client.stop();
      const starting = client.start();
      await Promise.all([stopping, starting]);
      expect(client.connected).to.equal(true);
      expect(client.sessionId).to.not.equal(first).and.not.equal(0n);
      expect([await states.next(), await states.next()]).to.deep.equal([ZkState.LOST, ZkState.CONNECTED]);
    });

    it('removes once() listeners after their call', async () => {
      const connection = await isolatedConnectionString('once');
      const client = clients.add(new ZkClient(connection));
      let calls = 0;
      client.once('state', () => (calls += 1));
      await client.start();
      await client.stop();
      expect(calls).to.equal(1);
      expect(client.listenerCount('state')).to.equal(0);
    });

    it('leaves no socket behind when closed while reconnecting', async () => {
      const { proxy } = await proxyInFrontOf(await isolatedConnectionString('zombie'));
      try {
        const client = await clients.open(`${proxy.address}`, { sessionTimeoutMs: 4000 });
        const suspended = client.waitForState(ZkState.SUSPENDED, 5000);
        proxy.setMode('refuse');
        expect(await suspended).to.equal(true);
        // Let the reconnect loop run, then make its attempts hang in a black
        // hole while we close.
        await new Promise((resolve) => setTimeout(resolve, 500));
        proxy.setMode('blackhole');
        await client.close();
        // A zombie reconnect would stay open in the black hole. Proving an
        // absence takes time: several reconnect rounds.
        await new Promise((resolve) => setTimeout(resolve, 2000));
        expect(proxy.openConnections).to.equal(0);
      } finally {
        await proxy.close();
      }
    });

    it('pings a server that sits on a reply, instead of waiting for the idle ping a third of a session later', async () => {
      // ZooKeeper 3.8 in one-member quorum mode occasionally holds a reply
      // until the client sends something else; a black hole stands in for it.
      const { proxy } = await proxyInFrontOf(await isolatedConnectionString('nudge'));
      try {
        const client = await clients.open(proxy.address, { sessionTimeoutMs: 30_000, requestTimeoutMs: 3000 });
        proxy.setMode('blackhole');
        const sentBefore = Buffer.concat(proxy.fromClients).length;
        const pending = client.get('/').catch((e: unknown) => e);
        const ping = Buffer.from('fffffffe0000000b', 'hex'); // xid -2, op 11
        // The library alone would ping only after 10 s (a third of the session) of idling.
        await eventually('a ping after the request', () => Buffer.concat(proxy.fromClients).subarray(sentBefore).includes(ping), 2000);
        expect(await pending).to.be.instanceOf(OperationTimeoutError);
      } finally {
        await proxy.close();
      }
    });

    it('withdraws a request that times out before it is sent, so it is never applied later', async () => {
      const connection = await isolatedConnectionString('late');
      const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
      try {
        const client = await clients.open(viaProxy, { sessionTimeoutMs: 10_000, requestTimeoutMs: 200 });
        const other = await clients.open(connection);
        await other.create('/value', 'old');
        const suspended = client.waitForState(ZkState.SUSPENDED, 5000);
        proxy.setMode('refuse');
        expect(await suspended).to.equal(true);
        const error = await client.set('/value', 'stale').catch((e: unknown) => e);
        expect(error).to.be.instanceOf(OperationTimeoutError).with.property('sent', false);
        await other.set('/value', 'newer');
        const back = client.waitForState(ZkState.CONNECTED, 10_000);
        proxy.setMode('pass');
        expect(await back).to.equal(true);
        // A round trip on the same connection: the stale set would have been written before it.
        await client.exists('/value');
        expect((await other.get('/value')).data.toString()).to.equal('newer');
      } finally {
        await proxy.close();
      }
    });
  });

  describe('session expiry', () => {
    let connection: string;
    before(async () => {
      connection = await isolatedConnectionString('expiry');
    });

    it('reports LOST then CONNECTED with a new session; the old session ephemeral nodes are gone', async () => {
      const client = await clients.open(connection);
      const observer = await clients.open(connection);
      await client.create('/mine', '', { ephemeral: true });
      const session = client.sessionId;
      const sessions = new Inbox<bigint>();
      client.on('session', sessions.push);
      const states = recordStates(client);
      const gone = new Inbox<string>();
      await observer.exists('/mine', (event) => gone.push(event.type));
      await expireSession(client);
      const seen = [await states.until((state) => state === ZkState.LOST), await states.next()];
      expect(seen).to.deep.equal([ZkState.LOST, ZkState.CONNECTED]);
      const newSession = await sessions.next();
      expect(newSession).to.equal(client.sessionId).and.not.equal(session);
      expect(await gone.next()).to.equal('deleted');
      expect(await client.exists('/mine')).to.equal(null);
    });

    it('fails requests queued on the expired session instead of leaving them hanging', async () => {
      const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
      try {
        const client = await clients.open(viaProxy, {
          sessionTimeoutMs: 2000,
          requestTimeoutMs: 60_000,
        });
        const suspended = client.waitForState(ZkState.SUSPENDED, 5000);
        proxy.setMode('refuse');
        expect(await suspended).to.equal(true);
        // Queued while disconnected: node-zookeeper-client alone would never answer it.
        const pending = client.get('/').catch((e: unknown) => e);
        // After the session timeout the client declares the session lost.
        expect(await pending).to.be.instanceOf(SessionExpiredError);
      } finally {
        await proxy.close();
      }
    });
  });
});
