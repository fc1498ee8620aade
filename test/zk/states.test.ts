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
import { Inbox } from '../support/events.js';
import { ClientBag, isolatedConnectionString } from '../support/zookeeper.js';
import { TcpProxy } from '../support/tcp-proxy.js';
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
      const started = Date.now();
      server.pause();
      try {
        expect(await states.next(5000)).to.equal(ZkState.SUSPENDED);
        const suspendedAfter = Date.now() - started;
        expect(suspendedAfter).to.be.lessThan(2000); // two thirds of the session timeout, plus polling
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
      const proxyTarget = connection.slice(0, connection.indexOf('/')).split(':');
      const proxy = await TcpProxy.start(proxyTarget[0]!, Number(proxyTarget[1]));
      try {
        const client = await clients.open(`${proxy.address}${connection.slice(connection.indexOf('/'))}`, {
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
