// Replays every recorded conversation (both encodings) against our
// ClientStorage: a scripted server on a real loopback socket plays the
// reference server's frames byte for byte and checks that the client sends
// the frames the reference client sent (transaction handles aside).
import { expect } from 'chai';
import sinon from 'sinon';
import { z64, maxTid } from '../../../src/storage/oid.js';
import { ConflictError, POSKeyError, ReadOnlyError } from '../../../src/storage/errors.js';
import { ClientDisconnected } from '../../../src/zeo/errors.js';
import { ClientStorage } from '../../../src/zeo/client/client-storage.js';
import type { ClientStorageOptions } from '../../../src/zeo/client/options.js';
import type { Invalidation } from '../../../src/storage/storage.js';
import { parseZeoAddress } from '../../../src/zeo/client/server-address.js';
import { ServerConnection } from '../../../src/zeo/client/server-connection.js';
import type { ClientEncoding } from '../../../src/zeo/client/options.js';
import { loadWireFixture, type WireFixture } from '../../support-zeo/wire-fixtures.js';
import { after, argAt, bytes, item, metaFromTpcBegin, outcome, resultAt } from './fixture-helpers.js';
import { ReplayServer, type ReplayServerOptions } from './replay-server.js';

interface Scenario {
  readonly server: ReplayServer;
  readonly fixture: WireFixture;
  readonly encoding: ClientEncoding;
  readonly open: (extra?: Partial<ClientStorageOptions>) => Promise<ClientStorage>;
}

const opened: ClientStorage[] = [];
const servers: ReplayServer[] = [];

async function scenario(file: string, encoding: ClientEncoding, options: ReplayServerOptions = {}): Promise<Scenario> {
  const fixture = loadWireFixture(file);
  const server = await ReplayServer.start(fixture, options);
  servers.push(server);
  const open = async (extra: Partial<ClientStorageOptions> = {}): Promise<ClientStorage> => {
    const storage = await ClientStorage.open({ addresses: [server.address], encoding, waitTimeout: 10, ...extra });
    opened.push(storage);
    return storage;
  };
  return { server, fixture, encoding, open };
}

/** Waits for the next `event` of `storage`. */
function next<T>(storage: ClientStorage, event: 'invalidations' | 'connected' | 'disconnected' | 'connectionAttemptFailed'): Promise<T> {
  return new Promise<T>((resolve) => storage.once(event, resolve as (value: unknown) => void));
}

async function finished(server: ReplayServer): Promise<void> {
  await server.whenFinished();
  expect(server.mismatches).to.deep.equal([]);
  expect(server.replay.finished, 'every recorded frame was exchanged').to.equal(true);
  expect(server.extraConnections).to.equal(0);
}

function rawConnection(server: ReplayServer, encoding: ClientEncoding): ServerConnection {
  return new ServerConnection({
    address: parseZeoAddress(server.address),
    encoding,
    connectTimeoutMs: 5000,
    heartbeatIntervalMs: 60_000,
    maxFrameBytes: 1 << 20,
  });
}

const variants: [file: string, encoding: ClientEncoding][] = [];
for (const encoding of ['pickle', 'msgpack'] as const) variants.push([encoding, encoding]);
variants.push(['msgpack', 'auto']);

describe('zeo/client fixture replay', () => {
  afterEach(async () => {
    sinon.restore();
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  for (const [mode, encoding] of variants) {
    describe(`${mode} recordings, client encoding ${encoding}`, () => {
      it('a-connect: register, get_info, a load, a cached load, keep-alive, ping; a labelled client', async () => {
        const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
        const { server, fixture, open } = await scenario(`a-connect.${mode}.json`, encoding);
        const storage = await open();
        const lastTid = bytes(resultAt(fixture, 3));
        expect(storage.isConnected()).to.equal(true);
        expect(storage.lastTransaction()).to.deep.equal(lastTid);
        expect(storage.getSize()).to.equal(342);
        expect(storage.getLength()).to.equal(1);
        const root = await storage.loadBefore(z64, after(lastTid));
        const recorded = resultAt(fixture, 7);
        expect(root?.data).to.deep.equal(bytes(item(recorded, 0)));
        expect(root?.serial).to.deep.equal(bytes(item(recorded, 1)));
        expect(root?.nextSerial).to.equal(null);
        const again = await storage.loadBefore(z64, after(lastTid));
        expect(again?.data).to.deep.equal(root?.data);
        expect(storage.cacheStats.hits).to.equal(1);
        clock.tick(60_000); // the keep-alive
        await storage.ping();
        await storage.close();
        const labelled = await open({ clientLabel: 'fixture-client' });
        await finished(server);
        await labelled.close();
      });

      it('b-first-commit: POSKeyError on an empty database, two commits with new_oids, a second client loads', async () => {
        const { server, fixture, open } = await scenario(`b-first-commit.${mode}.json`, encoding);
        const storage = await open();
        expect(storage.lastTransaction()).to.deep.equal(z64);
        const missing = await outcome(storage.loadBefore(z64, after(z64)));
        expect(missing.error).to.be.instanceOf(POSKeyError);

        const own: Invalidation[] = [];
        storage.on('invalidation', (event) => own.push(event));
        const first = metaFromTpcBegin(fixture, 8);
        await storage.tpcBegin(first);
        await storage.store(z64, z64, bytes(argAt(fixture, 9, 2)), first);
        expect(await storage.tpcVote(first)).to.deep.equal([]);
        const tid1 = await storage.tpcFinish(first);
        expect(tid1).to.deep.equal(bytes(resultAt(fixture, 14)));
        expect(storage.getSize()).to.equal(166);

        const second = metaFromTpcBegin(fixture, 15);
        await storage.tpcBegin(second);
        const oid = await storage.newOid();
        expect(oid).to.deep.equal(bytes(item(resultAt(fixture, 17), 0)));
        await storage.store(z64, tid1, bytes(argAt(fixture, 18, 2)), second);
        await storage.store(oid, z64, bytes(argAt(fixture, 19, 2)), second);
        await storage.tpcVote(second);
        const tid2 = await storage.tpcFinish(second);
        expect(storage.lastTransaction()).to.deep.equal(tid2);
        expect(own.map((e) => [e.tid, e.oids])).to.deep.equal([
          [tid1, [z64]],
          [tid2, [z64, oid]],
        ]);
        // Both records are cached as current at tid2: no frame needed.
        const cached = await storage.loadBefore(oid, after(tid2));
        expect(cached?.serial).to.deep.equal(tid2);
        expect((await storage.load(z64)).data).to.deep.equal(bytes(argAt(fixture, 18, 2)));
        await storage.close();

        const reader = await open();
        expect(reader.lastTransaction()).to.deep.equal(tid2);
        const root = await reader.loadBefore(z64, after(tid2));
        const child = await reader.loadBefore(oid, after(tid2));
        expect(root?.data).to.deep.equal(bytes(item(resultAt(fixture, 32), 0)));
        expect(child?.data).to.deep.equal(bytes(item(resultAt(fixture, 34), 0)));
        await finished(server);
      });

      it('c-invalidation: one client commits, the other is told and reloads', async () => {
        const { server, fixture, open } = await scenario(`c-invalidation.${mode}.json`, encoding);
        const writer = await open();
        const t0 = writer.lastTransaction();
        await writer.loadBefore(z64, after(t0));
        const reader = await open();
        const before = await reader.loadBefore(z64, after(t0));
        const told = next<Invalidation>(reader, 'invalidations');
        const meta = metaFromTpcBegin(fixture, 16);
        await writer.tpcBegin(meta);
        await writer.store(z64, t0, bytes(argAt(fixture, 17, 2)), meta);
        await writer.tpcVote(meta);
        const t1 = await writer.tpcFinish(meta);
        const invalidation = await told;
        expect(invalidation).to.deep.equal({ tid: t1, oids: [z64] });
        expect(reader.lastTransaction()).to.deep.equal(t1);
        // The old revision stays readable from the cache for transactions that began before t1 …
        const old = await reader.loadBefore(z64, t1);
        expect(old?.data).to.deep.equal(before?.data);
        expect(old?.nextSerial).to.deep.equal(t1);
        // … and the new one comes from the server.
        const fresh = await reader.loadBefore(z64, after(t1));
        expect(fresh?.serial).to.deep.equal(t1);
        expect(fresh?.data).to.deep.equal(bytes(argAt(fixture, 17, 2)));
        await finished(server);
      });

      it('d-conflict: the vote fails with ConflictError, tpc_abort, reload and a successful retry', async () => {
        const { server, fixture, open } = await scenario(`d-conflict.${mode}.json`, encoding);
        const one = await open();
        const t0 = one.lastTransaction();
        await one.loadBefore(z64, after(t0));
        const two = await open();
        await two.loadBefore(z64, after(t0));
        const told = next<Invalidation>(two, 'invalidations');
        const m1 = metaFromTpcBegin(fixture, 16);
        await one.tpcBegin(m1);
        await one.store(z64, t0, bytes(argAt(fixture, 17, 2)), m1);
        await one.tpcVote(m1);
        const t1 = await one.tpcFinish(m1);
        await told;

        const m2 = metaFromTpcBegin(fixture, 24);
        await two.tpcBegin(m2);
        await two.store(z64, t0, bytes(argAt(fixture, 25, 2)), m2);
        const vote = await outcome(two.tpcVote(m2));
        expect(vote.error).to.be.instanceOf(ConflictError);
        const conflict = vote.error as ConflictError;
        expect(conflict.retryable).to.equal(true);
        expect(conflict.oid).to.deep.equal(z64);
        expect(conflict.serials?.map((s) => Buffer.from(s))).to.deep.equal([t1, t0]);
        await two.tpcAbort(m2);

        const reloaded = await two.loadBefore(z64, after(t1));
        expect(reloaded?.serial).to.deep.equal(t1);
        const m3 = metaFromTpcBegin(fixture, 32);
        const toldOne = next<Invalidation>(one, 'invalidations');
        await two.tpcBegin(m3);
        await two.store(z64, t1, bytes(argAt(fixture, 33, 2)), m3);
        await two.tpcVote(m3);
        const t2 = await two.tpcFinish(m3);
        expect((await toldOne).tid).to.deep.equal(t2);
        await finished(server);
      });

      it('e-poskeyerror: POSKeyError, an old revision with its end, None before the first revision', async () => {
        const { server, fixture, open } = await scenario(`e-poskeyerror.${mode}.json`, encoding);
        const storage = await open();
        const missingOid = bytes(argAt(fixture, 6, 0));
        const missing = await outcome(storage.load(missingOid));
        expect(missing.error).to.be.instanceOf(POSKeyError);
        expect(Buffer.from((missing.error as POSKeyError).oid)).to.deep.equal(missingOid);
        const last = storage.lastTransaction();
        const older = await storage.loadBefore(z64, last);
        expect(older?.nextSerial).to.deep.equal(last);
        const first = bytes(argAt(fixture, 10, 1));
        expect(older?.serial).to.deep.equal(first);
        expect(await storage.loadBefore(z64, first)).to.equal(null);
        const serial = await outcome(storage.loadSerial(missingOid, last));
        expect(serial.error).to.be.instanceOf(POSKeyError);
        await finished(server);
      });

      it('f-read-only: read-only client, server refusals, fallback registration, refused read-write client', async () => {
        const { server, fixture, open } = await scenario(`f-read-only.${mode}.json`, encoding, { closeAfter: [2] });
        const readOnly = await open({ readOnly: true });
        expect(readOnly.isReadOnly()).to.equal(true);
        await readOnly.loadBefore(z64, after(readOnly.lastTransaction()));
        const meta = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
        expect((await outcome(readOnly.tpcBegin(meta))).error).to.be.instanceOf(ReadOnlyError);
        expect((await outcome(readOnly.newOid())).error).to.be.instanceOf(ReadOnlyError);
        await readOnly.close();

        // Part 2, hand-driven like the recording, through one ServerConnection.
        const raw = rawConnection(server, encoding);
        await raw.ready;
        expect((await raw.register('1', 'readOnly')).readOnly).to.equal(true);
        expect((await outcome(raw.call('new_oids', []))).error).to.be.instanceOf(ReadOnlyError);
        const begin = [argAt(fixture, 14, 0), Buffer.alloc(0), Buffer.alloc(0), new Map(), null, ' '];
        expect((await outcome(raw.call('tpc_begin', begin))).error).to.be.instanceOf(ReadOnlyError);
        raw.callOneWay('tpc_begin', begin);
        await raw.closed;
        expect(raw.closeReason).to.be.instanceOf(ClientDisconnected);

        const fallback = await open({ readOnlyFallback: true });
        expect(fallback.isReadOnly()).to.equal(true);
        expect((await outcome(fallback.tpcBegin(meta))).error).to.be.instanceOf(ReadOnlyError);
        await fallback.close();

        const plain = new ClientStorage({ addresses: [server.address], encoding, wait: false, minDisconnectPoll: 60, maxDisconnectPoll: 60 });
        opened.push(plain);
        const failed = await next<{ error: Error }>(plain, 'connectionAttemptFailed');
        expect(failed.error).to.be.instanceOf(ReadOnlyError);
        expect(plain.isConnected()).to.equal(false);
        expect((await outcome(plain.loadBefore(z64, maxTid))).error).to.be.instanceOf(ClientDisconnected);
        await finished(server);
        await server.whenClosed(4);
      });

      it('g-reconnect: reconnects after each server restart, verifies its cache, getInvalidations when behind', async () => {
        const { server, fixture, open } = await scenario(`g-reconnect.${mode}.json`, encoding);
        const storage = await open();
        const t0 = storage.lastTransaction();
        const connections: { verification: string }[] = [];
        const invalidations: Invalidation[] = [];
        storage.on('invalidations', (event) => invalidations.push(event));
        const thirdConnection = new Promise<void>((resolve) =>
          storage.on('connected', (event) => {
            connections.push(event);
            if (connections.length === 2) resolve();
          }),
        );
        await storage.loadBefore(z64, after(t0));
        await thirdConnection;
        expect(connections.map((c) => c.verification)).to.deep.equal(['Cache up to date', 'quick verification']);
        const t1 = bytes(resultAt(fixture, 17));
        expect(invalidations).to.deep.equal([{ tid: t1, oids: [z64] }]);
        expect(storage.lastTransaction()).to.deep.equal(t1);
        const fresh = await storage.loadBefore(z64, after(t1));
        expect(fresh?.serial).to.deep.equal(bytes(item(resultAt(fixture, 23), 1)));
        await finished(server);
      });

      it('h-handshake-variants: the other encoding, a call before register, an unknown method', async () => {
        const other: ClientEncoding = mode === 'pickle' ? 'msgpack' : 'pickle';
        const { server, fixture } = await scenario(`h-handshake-variants.${mode}.json`, encoding, { conns: [1, 4, 5], closeAfter: [4] });
        const first = rawConnection(server, other);
        await first.ready;
        expect(first.encoding).to.equal(other);
        const registration = await first.register('1', 'fallback');
        expect(registration.serverTid).to.deep.equal(bytes(resultAt(fixture, 3)));
        expect(bytes(await first.call('lastTransaction', []))).to.deep.equal(registration.serverTid);
        first.close();

        const early = rawConnection(server, encoding);
        await early.ready;
        const refused = await outcome(early.call('lastTransaction', []));
        expect(refused.error).to.be.instanceOf(ClientDisconnected);

        const unknown = rawConnection(server, encoding);
        await unknown.ready;
        await unknown.register('1', 'fallback');
        const closed = await outcome(unknown.call('no_such_method', []));
        expect(closed.error).to.be.instanceOf(ClientDisconnected);
        await finished(server);
      });
    });
  }
});

