// Graceful shutdown: a tpc_finish in progress when close() is called
// completes and its client is told the tid (not ClientDisconnected, which
// its retry logic could turn into a duplicate commit); the other
// transactions are aborted; shutdownTimeoutMs bounds the wait.
import { expect } from 'chai';
import { InvalidArgumentError } from '../../src/errors.js';
import { formatBoundAddress } from '../../src/server/listen.js';
import { StorageServer } from '../../src/server/storage-server.js';
import { POSKeyError } from '../../src/storage/errors.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { z64 } from '../../src/storage/oid.js';
import type { PendingTransaction } from '../../src/storage/pending-transaction.js';
import type { TransactionMetaData } from '../../src/storage/storage.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { ClientDisconnected } from '../../src/zeo/errors.js';
import { closed, RawClient } from './raw-client.js';
import { cleanUp, startServer } from './server-fixture.js';

/** A real MappingStorage whose finishes wait, once held, until the test releases them. */
class GatedStorage extends MappingStorage {
  #gate: Promise<void> | undefined;
  #release: () => void = () => undefined;
  #entered: () => void = () => undefined;

  /** Holds the next finishes; resolves once one is waiting at the gate. */
  hold(): Promise<void> {
    this.#gate = new Promise((resolve) => (this.#release = resolve));
    return new Promise((resolve) => (this.#entered = resolve));
  }

  /** Lets the held finishes go on. */
  release(): void {
    this.#gate = undefined;
    this.#release();
  }

  protected override async writeFinish(pending: PendingTransaction): Promise<void> {
    const gate = this.#gate;
    if (gate !== undefined) {
      this.#entered();
      await gate;
    }
    return super.writeFinish(pending);
  }
}

interface Outcome<T> {
  readonly value?: T;
  readonly error?: unknown;
}

function outcome<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

const txn: TransactionMetaData = { user: Buffer.from('/ tester'), description: Buffer.from('during shutdown'), extension: Buffer.alloc(0) };
const clients: ClientStorage[] = [];

async function openClient(server: StorageServer): Promise<ClientStorage> {
  const client = await ClientStorage.open({ addresses: server.addresses.map(formatBoundAddress), waitTimeout: 10 });
  clients.push(client);
  return client;
}

describe('server: graceful shutdown', () => {
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await cleanUp();
  });

  it('sends the tid of a tpc_finish in progress, aborts the other transactions, and the commit survives a restart', async () => {
    const storage = new GatedStorage();
    const { server, address } = await startServer({ storages: { '1': storage }, closeStorages: false });
    const writer = await openClient(server);
    // A transaction begun but not voted, and a vote queued behind the finish.
    const begun = (await RawClient.registered(address)).client;
    const [begunOid] = (await begun.call('new_oids', [1])) as Buffer[];
    begun.oneWay('tpc_begin', [1, Buffer.alloc(0), Buffer.alloc(0), new Map()]);
    begun.oneWay('storea', [begunOid as Buffer, z64, Buffer.from('begun'), 1]);
    const voter = (await RawClient.registered(address)).client;
    const [voterOid] = (await voter.call('new_oids', [1])) as Buffer[];

    const inFinish = storage.hold();
    await writer.tpcBegin(txn);
    await writer.store(z64, z64, Buffer.from('root'), txn);
    await writer.tpcVote(txn);
    const finishing = outcome(writer.tpcFinish(txn));
    await inFinish;
    const voting = outcome(voter.commit(2, [[voterOid as Buffer, z64, Buffer.from('voter')]]));
    await Promise.all([begun.call('ping'), voter.call('ping')]); // both connections' calls have been handled
    expect(server.status('1')).to.include({ activeTxns: 3, waiting: 1 });

    const closing = server.close();
    storage.release();
    const finished = await finishing;
    expect(finished.error).to.equal(undefined);
    const tid = finished.value as Buffer;
    expect(tid).to.deep.equal(storage.lastTransaction());
    await closing;
    expect((await voting).error).to.be.instanceOf(ClientDisconnected);
    await Promise.all([closed(begun.socket), closed(voter.socket)]);

    const restarted = await startServer({ storages: { '1': storage } });
    const reader = await openClient(restarted.server);
    expect(await reader.lastTransaction()).to.deep.equal(tid);
    expect(await reader.load(z64)).to.deep.include({ data: Buffer.from('root'), serial: tid });
    for (const oid of [begunOid, voterOid]) expect((await outcome(reader.load(oid as Buffer))).error).to.be.instanceOf(POSKeyError);
  });

  it('drops the connections after shutdownTimeoutMs, and closes only once the storage finished', async () => {
    const storage = new GatedStorage();
    const { server, address } = await startServer({ storages: { '1': storage }, shutdownTimeoutMs: 20 });
    const { client } = await RawClient.registered(address);
    const [oid] = (await client.call('new_oids', [1])) as Buffer[];
    const inFinish = storage.hold();
    const committing = outcome(client.commit(1, [[oid as Buffer, z64, Buffer.from('slow')]]));
    await inFinish;
    let serverClosed = false;
    const closing = server.close().then(() => (serverClosed = true));
    await closed(client.socket);
    expect((await committing).error).to.be.instanceOf(ClientDisconnected);
    expect(serverClosed).to.equal(false);
    const before = storage.lastTransaction();
    storage.release();
    await closing;
    expect(Buffer.compare(storage.lastTransaction(), before)).to.equal(1);
  });

  it('refuses a negative shutdownTimeoutMs', async () => {
    const error = await StorageServer.create({ storages: { '1': new MappingStorage() }, shutdownTimeoutMs: -1 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as Error).message).to.contain('shutdownTimeoutMs');
  });
});
