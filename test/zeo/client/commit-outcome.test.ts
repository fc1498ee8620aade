// What a lost connection means for a commit: before `tpc_finish` is sent
// the server aborts the transaction (a retryable ClientDisconnected); once
// it is sent, the server may have committed it, so the client must not say
// "try again" (TransactionOutcomeUnknownError). The connection is cut by a
// TCP proxy at the moment the server's storage reports the commit.
import { expect } from 'chai';
import { isRetryableError } from '../../../src/db/errors.js';
import { TransactionOutcomeUnknownError as ExportedOutcomeUnknown } from '../../../src/index.js';
import { STORAGE_ERROR_CODES, TransactionOutcomeUnknownError } from '../../../src/storage/errors.js';
import { z64 } from '../../../src/storage/oid.js';
import type { TransactionMetaData } from '../../../src/storage/storage.js';
import { ClientStorage } from '../../../src/zeo/client/client-storage.js';
import { ClientDisconnected } from '../../../src/zeo/errors.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { outcome } from './fixture-helpers.js';
import { portOf, startServer, stopAllServers, type RunningServer } from './server-harness.js';

function newTxn(): TransactionMetaData {
  return { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
}

describe('zeo/client commit outcome after a lost connection', () => {
  let server: RunningServer;
  let proxy: TcpProxy;
  let storage: ClientStorage;

  beforeEach(async () => {
    server = await startServer();
    proxy = await TcpProxy.start('127.0.0.1', portOf(server.address));
    storage = await ClientStorage.open({ addresses: [proxy.address], waitTimeout: 10, minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05 });
  });

  afterEach(async () => {
    await storage.close();
    await proxy.close();
    await stopAllServers();
  });

  /** The next `event` of the client. */
  function next(event: 'connected' | 'disconnected'): Promise<void> {
    return new Promise((resolve) => storage.once(event, () => resolve()));
  }

  it('fails tpcFinish with a non-retryable TransactionOutcomeUnknownError when the reply is lost, though the commit is durable', async () => {
    const txn = newTxn();
    await storage.tpcBegin(txn);
    await storage.store(z64, z64, Buffer.from('committed once'), txn);
    await storage.tpcVote(txn);
    // The server's storage has made the transaction durable; its reply never reaches the client.
    server.storage.once('invalidation', () => {
      proxy.setMode('refuse');
      proxy.setMode('pass');
    });
    const back = next('connected');
    const { error } = await outcome(storage.tpcFinish(txn));
    expect(error).to.be.instanceOf(TransactionOutcomeUnknownError);
    expect(error).to.be.instanceOf(ExportedOutcomeUnknown);
    const unknown = error as TransactionOutcomeUnknownError;
    expect(unknown.code).to.equal(STORAGE_ERROR_CODES.outcomeUnknown);
    expect(unknown.code).to.equal('STORAGE_OUTCOME_UNKNOWN');
    expect(unknown.retryable).to.equal(false);
    expect(isRetryableError(unknown)).to.equal(false);
    expect(unknown.cause).to.be.instanceOf(ClientDisconnected);
    expect(unknown.message).to.match(/may or may not have been committed/).and.match(/check the database/);
    expect(unknown.message).to.include(proxy.address);

    // After reconnecting (which verifies the cache) the client sees the commit.
    await back;
    const committed = server.storage.lastTransaction();
    expect(storage.lastTransaction()).to.deep.equal(committed);
    const loaded = await storage.load(z64);
    expect(loaded.data.toString()).to.equal('committed once');
    expect(loaded.serial).to.deep.equal(committed);
    // And the next transaction works.
    const again = newTxn();
    await storage.tpcBegin(again);
    await storage.store(z64, committed, Buffer.from('second'), again);
    await storage.tpcVote(again);
    expect(Buffer.compare(await storage.tpcFinish(again), committed)).to.equal(1);
  });

  it('keeps a connection lost up to the vote, or before tpc_finish is sent, a retryable ClientDisconnected', async () => {
    const before = server.storage.lastTransaction();
    const voting = newTxn();
    await storage.tpcBegin(voting);
    await storage.store(z64, z64, Buffer.from('never'), voting);
    let lost = next('disconnected');
    proxy.setMode('refuse');
    await lost;
    proxy.setMode('pass');
    const vote = await outcome(storage.tpcVote(voting));
    expect(vote.error).to.be.instanceOf(ClientDisconnected);
    expect(isRetryableError(vote.error)).to.equal(true);
    await storage.tpcAbort(voting);

    await storage.waitUntilConnected();
    const finishing = newTxn();
    await storage.tpcBegin(finishing);
    await storage.store(z64, z64, Buffer.from('never either'), finishing);
    await storage.tpcVote(finishing);
    lost = next('disconnected');
    proxy.setMode('refuse');
    await lost;
    proxy.setMode('pass');
    const finish = await outcome(storage.tpcFinish(finishing));
    expect(finish.error).to.be.instanceOf(ClientDisconnected);
    expect(finish.error).not.to.be.instanceOf(TransactionOutcomeUnknownError);
    expect(isRetryableError(finish.error)).to.equal(true);
    await storage.tpcAbort(finishing);
    // The server aborted both when their connection went away.
    await storage.waitUntilConnected();
    await storage.ping();
    expect(server.storage.lastTransaction()).to.deep.equal(before);
  });
});
