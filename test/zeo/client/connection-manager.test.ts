// How the client picks, keeps and changes servers: real servers on
// loopback, fake timers only where the back-off delays matter.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sinon from 'sinon';
import { freePorts } from '../../../src/testing/free-port.js';
import { z64 } from '../../../src/storage/oid.js';
import { ClientStorage } from '../../../src/zeo/client/client-storage.js';
import type { ClientStorageEvents } from '../../../src/zeo/client/client-storage-events.js';
import type { RetryScheduledEvent } from '../../../src/zeo/client/connection-manager.js';
import { ClientStorageClosedError, WaitTimeoutError } from '../../../src/zeo/client/errors.js';
import type { ClientStorageOptions } from '../../../src/zeo/client/options.js';
import { clampDelay, exponentialBackoff } from '../../../src/zeo/client/reconnect-policy.js';
import { ReadOnlyError } from '../../../src/storage/errors.js';
import { ClientDisconnected } from '../../../src/zeo/errors.js';
import { Inbox } from '../../support/events.js';
import { recordingLogger } from '../../support/logger.js';
import { outcome } from './fixture-helpers.js';
import { startServer, stopAllServers } from './server-harness.js';

const clients: ClientStorage[] = [];

function client(options: ClientStorageOptions): ClientStorage {
  const storage = new ClientStorage({ waitTimeout: 10, ...options });
  clients.push(storage);
  return storage;
}

/** The next `event` of `storage`. */
function next<E extends keyof ClientStorageEvents>(storage: ClientStorage, event: E): Promise<Parameters<ClientStorageEvents[E]>[0]> {
  return new Promise((resolve) => storage.once(event, ((value: Parameters<ClientStorageEvents[E]>[0]) => resolve(value)) as never));
}

async function closedPort(): Promise<string> {
  const [port] = await freePorts(1);
  return `127.0.0.1:${port}`;
}

describe('zeo/client connection management', () => {
  afterEach(async () => {
    sinon.restore();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await stopAllServers();
  });

  it('connects to the writable server when a read-only one is also listed', async () => {
    const readOnly = await startServer({ readOnly: true });
    const writable = await startServer();
    const storage = client({ addresses: [readOnly.address, writable.address] });
    await storage.waitUntilConnected();
    expect(storage.serverAddress).to.equal(writable.address);
    expect(storage.isReadOnly()).to.equal(false);
  });

  it('refuses a read-only server unless read-only fallback is on', async () => {
    const readOnly = await startServer({ readOnly: true });
    const storage = client({ addresses: [readOnly.address], minDisconnectPoll: 60, maxDisconnectPoll: 60 });
    const failed = await next(storage, 'connectionAttemptFailed');
    expect(failed.error).to.be.instanceOf(ReadOnlyError);
    expect(failed.address).to.equal(readOnly.address);
    expect(storage.isConnected()).to.equal(false);
  });

  it('falls back to a read-only server, then switches to a writable one when it appears in the list', async () => {
    const readOnly = await startServer({ readOnly: true });
    const storage = client({ addresses: [readOnly.address], readOnlyFallback: true });
    const first = await next(storage, 'connected');
    expect(first.readOnly).to.equal(true);
    expect(storage.isReadOnly()).to.equal(true);
    const writable = await startServer({ storage: readOnly.storage });
    const lost = next(storage, 'disconnected');
    const upgraded = next(storage, 'connected');
    storage.setAddresses([readOnly.address, writable.address]);
    expect((await lost).address).to.equal(readOnly.address);
    expect(await upgraded).to.include({ address: writable.address, readOnly: false });
    expect(storage.isReadOnly()).to.equal(false);
  });

  it('connects at once when given addresses after starting with none', async () => {
    const storage = client({ addresses: [] });
    expect(storage.isConnected()).to.equal(false);
    const server = await startServer();
    const connected = next(storage, 'connected');
    storage.setAddresses([server.address]);
    expect((await connected).address).to.equal(server.address);
  });

  it('moves to another server when the one in use leaves the list, and stays put otherwise', async () => {
    const one = await startServer();
    const two = await startServer({ storage: one.storage });
    const storage = client({ addresses: [one.address] });
    await storage.waitUntilConnected();
    let disconnects = 0;
    storage.on('disconnected', () => disconnects++);
    storage.setAddresses([one.address, two.address]);
    storage.setAddresses([two.address, one.address]);
    await storage.ping();
    expect(disconnects).to.equal(0);
    expect(storage.serverAddress).to.equal(one.address);
    const moved = next(storage, 'connected');
    storage.setAddresses([two.address]);
    expect((await moved).address).to.equal(two.address);
    expect(disconnects).to.equal(1);
  });

  it('keeps a working connection when the list becomes empty, and uses the new list once it has one', async () => {
    const one = await startServer();
    const two = await startServer({ storage: one.storage });
    const storage = client({ addresses: [one.address] });
    await storage.waitUntilConnected();
    let disconnects = 0;
    storage.on('disconnected', () => disconnects++);
    storage.setAddresses([]);
    await storage.ping();
    expect(disconnects).to.equal(0);
    expect(storage.serverAddress).to.equal(one.address);
    const moved = next(storage, 'connected');
    storage.setAddresses([two.address]);
    expect((await moved).address).to.equal(two.address);
  });

  it('reconnects when the server goes away and comes back, and fails transactions begun before', async () => {
    const first = await startServer();
    const logger = recordingLogger();
    const storage = client({ addresses: [first.address], minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05, logger });
    await storage.waitUntilConnected();
    const txn = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    const lost = next(storage, 'disconnected');
    await first.stop();
    await lost;
    const port = Number(first.address.split(':')[1]);
    const back = next(storage, 'connected');
    await startServer({ storage: first.storage, port });
    await back;
    // ZEO's words: Connected the first time, Reconnected after.
    const connects = logger.entries.filter((e) => e.message.includes('to storage:')).map((e) => e.message.split(' ').slice(-4, -2).join(' '));
    expect(connects).to.deep.equal(['Connected to', 'Reconnected to']);
    const stored = await outcome(storage.store(z64, z64, Buffer.from('x'), txn));
    expect(stored.error).to.be.instanceOf(ClientDisconnected);
    expect((stored.error as Error).message).to.match(/on a disconnected transaction/);
    await storage.tpcAbort(txn);
    // The next transaction works.
    const again = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
    await storage.tpcBegin(again);
    await storage.store(z64, z64, Buffer.from('x'), again);
    await storage.tpcVote(again);
    expect(await storage.tpcFinish(again)).to.have.length(8);
  });

  it('gives up on a server that answers the handshake and then nothing, and uses another', async () => {
    // A silent peer: announces M5 and never replies to register.
    const silent = createServer((socket) => {
      socket.write(Buffer.from([0, 0, 0, 2, 0x4d, 0x35]));
      socket.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const silentAddress = `127.0.0.1:${(silent.address() as { port: number }).port}`;
      const storage = client({ addresses: [silentAddress], connectTimeout: 0.3, minDisconnectPoll: 0.05, maxDisconnectPoll: 0.1 });
      const failures = new Inbox<string>();
      storage.on('connectionAttemptFailed', (event) => failures.push(event.error.message));
      expect(await failures.next(5000)).to.equal(`${silentAddress} did not finish connecting within 300 ms`);
      const good = await startServer();
      const connected = next(storage, 'connected');
      storage.setAddresses([silentAddress, good.address]);
      expect((await connected).address).to.equal(good.address);
    } finally {
      silent.close();
    }
  });

  it('connects over a Unix socket', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'zeo-client-'));
    try {
      const server = await startServer({ unixPath: path.join(dir, 'zeo.sock') });
      const storage = client({ addresses: [server.address] });
      await storage.waitUntilConnected();
      expect(storage.serverAddress).to.equal(server.address);
      await storage.ping();
    } finally {
      await stopAllServers();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('back-off', () => {
    it('never waits longer than maxDisconnectPoll, whatever the policy says, and retries when the delay is over', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const address = await closedPort();
      const asked: number[] = [];
      const storage = client({
        addresses: [address],
        minDisconnectPoll: 2,
        maxDisconnectPoll: 5,
        reconnectPolicy: (attempt) => (asked.push(attempt), attempt * 1_000_000),
      });
      const scheduled = new Inbox<RetryScheduledEvent>();
      const failures = new Inbox<unknown>();
      storage.on('retryScheduled', scheduled.push);
      storage.on('connectionAttemptFailed', failures.push);
      const delays: number[] = [];
      for (let round = 1; round <= 4; round++) {
        await failures.next();
        delays.push((await scheduled.next()).delayMs);
        await clock.tickAsync(5000);
      }
      await failures.next(); // the fifth round ran after the fourth delay
      expect(asked.slice(0, 4)).to.deep.equal([1, 2, 3, 4]);
      expect(delays).to.deep.equal([5000, 5000, 5000, 5000]);
    });

    it('reaches a server that starts while it backs off', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const address = await closedPort();
      const storage = client({ addresses: [address], minDisconnectPoll: 1, maxDisconnectPoll: 3 });
      const retry = await next(storage, 'retryScheduled');
      expect(retry.delayMs).to.be.within(1000, 3000);
      await startServer({ port: Number(address.split(':')[1]) });
      const connected = next(storage, 'connected');
      await clock.tickAsync(3000);
      expect((await connected).address).to.equal(address);
    });

    it('the default policy doubles from min, with jitter, capped at max', () => {
      const low = exponentialBackoff(1000, 8000, () => 0);
      const high = exponentialBackoff(1000, 8000, () => 0.999999);
      expect([1, 2, 3, 4, 5, 30].map(low)).to.deep.equal([1000, 1000, 2000, 4000, 4000, 4000]);
      expect([1, 2, 3, 4, 5, 30].map((a) => Math.round(high(a)))).to.deep.equal([1000, 2000, 4000, 8000, 8000, 8000]);
      expect(clampDelay(Number.NaN, 10, 20)).to.equal(10);
      expect(clampDelay(Infinity, 10, 20)).to.equal(20);
    });
  });

  describe('waiting', () => {
    it('open() fails with WaitTimeoutError after waitTimeout when no server answers', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const address = await closedPort();
      const opening = outcome(ClientStorage.open({ addresses: [address], waitTimeout: 2 }));
      await clock.tickAsync(2000);
      const { error } = await opening;
      expect(error).to.be.instanceOf(WaitTimeoutError);
      expect(error).to.be.instanceOf(ClientDisconnected);
      expect((error as WaitTimeoutError).code).to.equal('ZEO_WAIT_TIMEOUT');
    });

    it('waits without limit for waitTimeout Infinity, and waits out a timeout longer than one timer can hold', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const unlimited = client({ addresses: [], waitTimeout: Infinity });
      // 3,000,000 s: more milliseconds than setTimeout accepts (2^31 - 1), which would fire at once.
      const long = client({ addresses: [], waitTimeout: 3_000_000 });
      const settled: string[] = [];
      const forever = outcome(unlimited.waitUntilConnected()).then((result) => (settled.push('unlimited'), result));
      const bounded = outcome(long.waitUntilConnected()).then((result) => (settled.push('long'), result));
      await clock.tickAsync(2 ** 31);
      expect(settled).to.deep.equal([]);
      await clock.tickAsync(3_000_000_000 - 2 ** 31 - 1);
      expect(settled).to.deep.equal([]);
      await clock.tickAsync(1);
      const { error } = await bounded;
      expect(error).to.be.instanceOf(WaitTimeoutError);
      expect((error as WaitTimeoutError).waitedSeconds).to.equal(3_000_000);
      await clock.tickAsync(10 * 2 ** 31);
      expect(settled).to.deep.equal(['long']);
      await unlimited.close();
      expect((await forever).error).to.be.instanceOf(ClientStorageClosedError);
    });

    it('calls made while disconnected wait for the connection', async () => {
      const storage = client({ addresses: [] });
      const pinging = storage.ping();
      const server = await startServer();
      storage.setAddresses([server.address]);
      await pinging;
      expect(storage.isConnected()).to.equal(true);
    });

    it('with wait off, calls before the first connection fail at once', async () => {
      const storage = client({ addresses: [], wait: false });
      const { error } = await outcome(storage.ping());
      expect(error).to.be.instanceOf(ClientDisconnected);
      expect((error as Error).message).to.equal('never connected');
    });

    it('closing fails the callers still waiting', async () => {
      const storage = client({ addresses: [] });
      const pinging = outcome(storage.ping());
      await storage.close();
      expect((await pinging).error).to.be.instanceOf(ClientStorageClosedError);
      expect(() => storage.setAddresses([])).to.throw(ClientStorageClosedError);
      expect((await outcome(storage.newOid())).error).to.be.instanceOf(ClientStorageClosedError);
    });
  });
});
