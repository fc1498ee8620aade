import { expect } from 'chai';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { p64, z64 } from '../../src/storage/oid.js';
import { FrameDecoder } from '../../src/zeo/wire/frame-decoder.js';
import { encodeFrame } from '../../src/zeo/wire/frame-encoder.js';
import { PickleMarshaller } from '../../src/zeo/wire/pickle-marshaller.js';
import * as storage from '../../src/storage/errors.js';
import { ServerError, StorageTransactionError } from '../../src/zeo/errors.js';
import { StorageServer } from '../../src/server/storage-server.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { closed, openSocket, RawClient } from './raw-client.js';
import { cleanUp, connectionsClosed, startServer, tempDir } from './server-fixture.js';
import { rejection } from '../support/rejection.js';

const MAX_TID = Buffer.from('7fffffffffffffff', 'hex');
const RECORD = Buffer.from('a record');

/** A registered bystander must still be served: a ping and a commit. */
async function stillServes(client: RawClient): Promise<void> {
  expect(await client.call('ping')).to.equal(null);
  const [oid] = (await client.call('new_oids', [1])) as Buffer[];
  const tid = await client.commit(4242, [[oid as Buffer, z64, RECORD]]);
  expect(tid).to.have.length(8);
}

describe('server: hostile and broken clients', () => {
  afterEach(cleanUp);

  it('closes a client that sends garbage after the handshake, and only that one', async () => {
    const { server, address } = await startServer();
    const bystander = (await RawClient.registered(address)).client;
    const bad = await RawClient.connect(address);
    const gone = connectionsClosed(server);
    bad.socket.write(encodeFrame(Buffer.from('this is not a pickle')));
    await Promise.all([closed(bad.socket), gone]);
    await stillServes(bystander);
  });

  it('closes a client whose frame is larger than the maximum', async () => {
    const { address } = await startServer({ maxFrameBytes: 1024 });
    const bystander = (await RawClient.registered(address)).client;
    const bad = await RawClient.connect(address);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_000_000);
    bad.socket.write(header);
    await closed(bad.socket);
    await stillServes(bystander);
  });

  it('answers a two-way call with wrong argument types with a TypeError and keeps the connection', async () => {
    const { address } = await startServer();
    const { client } = await RawClient.registered(address);
    const error = await rejection(client.call('loadBefore', [123, 'x']));
    expect(error).to.be.instanceOf(ServerError);
    expect((error as ServerError).pythonClass).to.equal('builtins.TypeError');
    const arity = await rejection(client.call('getTid', []));
    expect((arity as ServerError).pythonClass).to.equal('builtins.TypeError');
    expect(await client.call('ping')).to.equal(null);
  });

  it('closes a client whose one-way call fails (storea outside a transaction)', async () => {
    const { address } = await startServer();
    const { client } = await RawClient.registered(address);
    client.oneWay('storea', [z64, z64, RECORD, 1]);
    await closed(client.socket);
  });

  it('closes without a reply on an unknown method, a second register, or a call before register', async () => {
    const { address } = await startServer();
    for (const [registered, method] of [[true, 'no_such_method'], [true, 'register'], [false, 'lastTransaction']] as const) {
      const client = registered ? (await RawClient.registered(address)).client : await RawClient.connect(address);
      const error = await rejection(client.call(method, method === 'register' ? ['1', false] : []));
      expect((error as Error).name, method).to.equal('ClientDisconnected');
    }
  });

  it('answers unimplemented reference methods with NotImplementedError, new_oid with AttributeError', async () => {
    const { address } = await startServer();
    const { client } = await RawClient.registered(address);
    const iterator = (await rejection(client.call('iterator_start', [null, null]))) as ServerError;
    expect(iterator.pythonClass).to.equal('builtins.NotImplementedError');
    const newOid = (await rejection(client.call('new_oid'))) as ServerError;
    expect(newOid.pythonClass).to.equal('builtins.AttributeError');
    expect(await client.call('undoLog', [0, 20])).to.deep.equal([]);
  });

  it('refuses a bad handshake and answers ruok with JSON statistics', async () => {
    const { address } = await startServer();
    const bad = await openSocket(address);
    bad.on('error', () => undefined);
    bad.resume();
    bad.write(encodeFrame(Buffer.from('Z4')));
    await closed(bad);
    const ruok = await openSocket(address);
    const decoder = new FrameDecoder();
    const frames: Buffer[] = [];
    ruok.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    ruok.write(encodeFrame(Buffer.from('ruok')));
    await closed(ruok);
    expect(frames[0]?.toString()).to.equal('Z5');
    const status = JSON.parse(frames[1]?.toString('ascii') ?? '') as Record<string, Record<string, unknown>>;
    expect(Object.keys(status)).to.deep.equal(['1']);
    expect(status['1']?.['timeout-thread-is-alive']).to.equal('stub');
  });

  it('throttles a client flooding calls without reading replies, serves the others, and answers every call', async () => {
    const { address } = await startServer({ maxPendingCalls: 100, maxBufferedBytes: 64 * 1024 });
    const bystander = (await RawClient.registered(address)).client;
    const flooder = await RawClient.registered(address);
    const marshaller = new PickleMarshaller();
    const count = 30_000;
    const frames: Buffer[] = [];
    for (let i = 0; i < count; i++) frames.push(marshaller.encodeFrame({ kind: 'call', msgid: 1000 + i, method: 'loadBefore', args: [z64, MAX_TID] }));
    flooder.client.socket.pause(); // read nothing for now
    flooder.client.socket.removeAllListeners('data');
    flooder.client.socket.write(Buffer.concat(frames));
    await stillServes(bystander);
    const decoder = new FrameDecoder();
    const answered = new Set<unknown>();
    await new Promise<void>((resolve) => {
      flooder.client.socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          // The loads fail (the object does not exist); the bystander's commit adds an invalidation.
          const message = marshaller.decode(frame);
          if (message.kind === 'errorReply') answered.add(message.msgid);
          else expect(message).to.include({ kind: 'oneWay', method: 'invalidateTransaction' });
        }
        if (answered.size === count) resolve();
      });
      flooder.client.socket.resume();
    });
    expect(answered.size).to.equal(count);
  });

  it('drops a client that stops reading while invalidations pile up for it, and serves the others', async () => {
    const { server, address, storage } = await startServer({ maxBufferedBytes: 64 * 1024, stalledClientTimeoutMs: 200 });
    const bystander = (await RawClient.registered(address)).client;
    const stuck = (await RawClient.registered(address)).client;
    stuck.socket.pause(); // alive, but reads nothing
    const dropped = new Promise<string | undefined>((resolve) =>
      server.on('connectionClosed', (info) => resolve(info.closedReason)),
    );
    let gone = false;
    void dropped.then(() => (gone = true));
    // Commits of 1,000 objects each, until the stuck client is dropped:
    // first the kernel's buffers fill, then the server's.
    const oids = Array.from({ length: 1000 }, (_, i) => p64(BigInt(i + 1)));
    let serial = z64;
    for (let round = 0; !gone && round < 5000; round += 1) {
      const txn = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
      await storage.tpcBegin(txn);
      for (const oid of oids) await storage.store(oid, serial, RECORD, txn);
      await storage.tpcVote(txn);
      serial = await storage.tpcFinish(txn);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await dropped).to.match(/^the client read nothing for 200 ms while \d+ bytes waited for it$/);
    expect(server.status('1').connections).to.equal(1);
    await stillServes(bystander);
  });

  it('keeps a client that reads a big reply slowly, longer than the stall timeout', async () => {
    // Not shorter: TCP itself can hold back a window update for a good part of a second.
    const { server, address, storage } = await startServer({ maxBufferedBytes: 64 * 1024, stalledClientTimeoutMs: 1000 });
    const big = Buffer.alloc(24 << 20, 7);
    const txn = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    await storage.store(p64(1n), z64, big, txn);
    await storage.tpcVote(txn);
    await storage.tpcFinish(txn);
    const { client } = await RawClient.registered(address);
    const dropped: Array<string | undefined> = [];
    server.on('connectionClosed', (info) => dropped.push(info.closedReason));
    // About 64 KiB per 10 ms: beyond what the kernel's buffers hold, a few seconds.
    client.socket.prependListener('data', () => {
      client.socket.pause();
      setTimeout(() => client.socket.resume(), 10).unref();
    });
    const start = Date.now();
    const reply = (await client.call('loadBefore', [p64(1n), MAX_TID])) as unknown[];
    expect(Date.now() - start).to.be.greaterThan(1000);
    expect((reply[0] as Buffer).equals(big)).to.equal(true);
    expect(dropped).to.deep.equal([]);
  });

  it('aborts the transaction of a client that disconnects holding the commit lock; the waiting vote proceeds', async () => {
    const { server, address } = await startServer();
    const a = (await RawClient.registered(address)).client;
    const b = (await RawClient.registered(address)).client;
    const [oidA, oidB] = (await a.call('new_oids', [2])) as Buffer[];
    a.oneWay('tpc_begin', [1, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    a.oneWay('storea', [oidA as Buffer, z64, RECORD, 1]);
    expect(await a.call('vote', [1])).to.deep.equal([]);
    b.oneWay('tpc_begin', [2, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    b.oneWay('storea', [oidB as Buffer, z64, RECORD, 2]);
    const voteB = b.call('vote', [2]);
    expect((await b.call('server_status') as Map<string, unknown>).get('waiting')).to.equal(1);
    const gone = connectionsClosed(server);
    a.socket.destroy();
    await gone;
    expect(await voteB).to.deep.equal([]);
    const tid = (await b.call('tpc_finish', [2])) as Buffer;
    const status = server.status('1');
    expect(status).to.include({ aborts: 1, commits: 1, activeTxns: 0, waiting: 0, lockTime: null, connections: 1 });
    expect(await server.storage('1').loadSerial(oidB as Buffer, tid)).to.deep.equal(RECORD);
    await rejection(server.storage('1').load(oidA as Buffer));
  });

  it('gives up the place in the lock queue of a client that disconnects while waiting', async () => {
    const { server, address } = await startServer();
    const a = (await RawClient.registered(address)).client;
    const b = (await RawClient.registered(address)).client;
    const [oid] = (await a.call('new_oids', [1])) as Buffer[];
    a.oneWay('tpc_begin', [1, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    a.oneWay('storea', [oid as Buffer, z64, RECORD, 1]);
    await a.call('vote', [1]);
    b.oneWay('tpc_begin', [2, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    b.oneWay('storea', [oid as Buffer, z64, RECORD, 2]);
    void b.call('vote', [2]).catch(() => undefined);
    await b.call('ping');
    expect(server.status('1').waiting).to.equal(1);
    const gone = connectionsClosed(server);
    b.socket.destroy();
    await gone;
    expect(server.status('1')).to.include({ waiting: 0, activeTxns: 1 });
    await a.call('tpc_finish', [1]);
    expect(server.status('1')).to.include({ activeTxns: 0, commits: 1, aborts: 1 });
  });

  it('disconnects a client holding the commit lock past the transaction timeout', async () => {
    const { server, address } = await startServer({ transactionTimeoutMs: 100 });
    const slow = (await RawClient.registered(address)).client;
    const other = (await RawClient.registered(address)).client;
    const [oid] = (await slow.call('new_oids', [1])) as Buffer[];
    slow.oneWay('tpc_begin', [1, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    slow.oneWay('storea', [oid as Buffer, z64, RECORD, 1]);
    await slow.call('vote', [1]);
    expect(server.status('1').timeoutThreadIsAlive).to.equal(true);
    await closed(slow.socket);
    await stillServes(other);
  });

  it('reports a vote that names no transaction as a StorageTransactionError', async () => {
    const { address } = await startServer();
    const { client } = await RawClient.registered(address);
    const error = (await rejection(client.call('vote', [99]))) as StorageTransactionError;
    expect(error).to.be.instanceOf(StorageTransactionError).and.instanceOf(storage.StorageTransactionError);
    expect(error.code).to.equal('STORAGE_TRANSACTION');
    expect(error.args).to.deep.equal([null, 99]);
    expect(await client.call('tpc_finish', [99])).to.equal(null);
    expect(await client.call('tpc_abort', [99])).to.equal(null);
  });

  it('hands write conflicts back to the client in client-conflict-resolution mode', async () => {
    const { server, address } = await startServer({ clientConflictResolution: true });
    const a = (await RawClient.registered(address)).client;
    const b = (await RawClient.registered(address)).client;
    const [oid] = (await a.call('new_oids', [1])) as Buffer[];
    const first = await a.commit(1, [[oid as Buffer, z64, Buffer.from('v1')]]);
    const second = await a.commit(1, [[oid as Buffer, first, Buffer.from('v2')]]);
    b.oneWay('tpc_begin', [7, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    b.oneWay('storea', [oid as Buffer, first, Buffer.from('mine'), 7]);
    const conflicts = (await b.call('vote', [7])) as Array<Map<string, unknown>>;
    expect(conflicts).to.have.length(1);
    expect(conflicts[0]?.get('serials')).to.deep.equal([second, first]);
    expect(conflicts[0]?.get('data')).to.deep.equal(Buffer.from('mine'));
    b.oneWay('storea', [oid as Buffer, second, Buffer.from('resolved'), 7]);
    expect(await b.call('vote', [7])).to.deep.equal([]);
    const tid = (await b.call('tpc_finish', [7])) as Buffer;
    expect((await server.storage('1').load(oid as Buffer)).data).to.deep.equal(Buffer.from('resolved'));
    expect(server.storage('1').lastTransaction()).to.deep.equal(tid);
  });

  it('answers getInvalidations from its queue, and None for a tid older than the queue', async () => {
    const { address } = await startServer({ invalidationQueueSize: 2 });
    const { client } = await RawClient.registered(address);
    const [x, y] = (await client.call('new_oids', [2])) as Buffer[];
    const t1 = await client.commit(1, [[x as Buffer, z64, RECORD]]);
    const t2 = await client.commit(1, [[y as Buffer, z64, RECORD]]);
    const t3 = await client.commit(1, [[x as Buffer, t1, RECORD]]);
    expect(await client.call('getInvalidations', [t2])).to.deep.equal([t3, [x]]);
    expect(await client.call('getInvalidations', [t3])).to.deep.equal([t3, []]);
    expect(await client.call('getInvalidations', [t1])).to.equal(null);
  });

  it('serves a Unix socket and IPv6, and removes the socket file on close', async () => {
    const dir = await tempDir();
    const server = await StorageServer.create({ storages: { '1': new MappingStorage() } });
    const socketPath = path.join(dir, 'zeo.sock');
    const unix = await server.listen({ family: 'unix', path: socketPath });
    const v6 = await server.listen({ family: 'ipv6', host: '::1', port: undefined });
    expect(v6).to.include({ family: 'ipv6', host: '::1' });
    expect((v6 as { port: number }).port).to.be.greaterThan(0);
    for (const address of [unix, v6]) {
      const { client, lastTid } = await RawClient.registered(address, 'msgpack');
      expect(lastTid).to.deep.equal(z64);
      await client.close();
    }
    await server.close();
    expect(existsSync(socketPath)).to.equal(false);
  });

  it('shuts down gracefully: a voted transaction is aborted, clients are disconnected, the storage is closed', async () => {
    const { server, address, storage } = await startServer();
    const { client } = await RawClient.registered(address);
    const [oid] = (await client.call('new_oids', [1])) as Buffer[];
    client.oneWay('tpc_begin', [1, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    client.oneWay('storea', [oid as Buffer, z64, RECORD, 1]);
    await client.call('vote', [1]);
    await server.close();
    await closed(client.socket);
    expect((storage as MappingStorage).closed).to.equal(true);
    expect(storage.lastTransaction()).to.deep.equal(z64);
  });
});
