// A commit whose outcome is unknown (the storage failed while making it
// durable) must never be run again by db.transaction, and must not take
// the oids away from the objects it added: they may exist now.
import { expect } from 'chai';
import { DB } from '../../src/db/db.js';
import { isRetryableError } from '../../src/db/errors.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { POSKeyError, StorageClosedError, TransactionOutcomeUnknownError } from '../../src/storage/errors.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import type { Oid } from '../../src/storage/oid.js';
import type { PendingTransaction } from '../../src/storage/pending-transaction.js';
import type { TransactionMetaData } from '../../src/storage/storage.js';
import { ClientStorage } from '../../src/zeo/client/client-storage.js';
import { ClientDisconnected } from '../../src/zeo/errors.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { portOf, startServer, stopAllServers } from '../zeo/client/server-harness.js';
import { rejection } from '../support/rejection.js';

/**
 * A MappingStorage whose next finish fails with an I/O error before the
 * data is kept, as a failed fsync could; or that is closed right after a
 * vote, so that the finish is refused.
 */
class FailingFinishStorage extends MappingStorage {
  failNextFinish = false;
  closeAfterVote = false;

  override async tpcVote(txn: TransactionMetaData): Promise<Oid[]> {
    const resolved = await super.tpcVote(txn);
    if (this.closeAfterVote) await this.close();
    return resolved;
  }

  protected override async writeFinish(pending: PendingTransaction): Promise<void> {
    if (this.failNextFinish) {
      this.failNextFinish = false;
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    }
    await super.writeFinish(pending);
  }
}

describe('db commits whose outcome is unknown', () => {
  afterEach(async () => {
    await stopAllServers();
  });

  it('over ZEO, does not run a transaction again when the tpc_finish reply is lost, and keeps the added objects’ oids', async () => {
    const server = await startServer();
    const proxy = await TcpProxy.start('127.0.0.1', portOf(server.address));
    const client = await ClientStorage.open({ addresses: [proxy.address], waitTimeout: 10, minDisconnectPoll: 0.01, maxDisconnectPoll: 0.05 });
    const db = new DB(client.asStorage());
    try {
      await db.transaction(async (conn) => {
        (await conn.root()).set('n', 0);
      });
      server.storage.once('invalidation', () => {
        // The commit is durable on the server; cut the connection before the reply gets out.
        proxy.setMode('refuse');
        proxy.setMode('pass');
      });
      const reconnected = new Promise((resolve) => client.once('connected', resolve));
      let attempts = 0;
      const child = new PersistentMapping();
      const error = await rejection(
        db.transaction(async (conn) => {
          attempts++;
          const root = await conn.root();
          root.set('n', (root.get('n') as number) + 1);
          root.set('child', child);
        }),
      );
      expect(attempts).to.equal(1);
      expect(error).to.be.instanceOf(TransactionOutcomeUnknownError);
      expect(isRetryableError(error)).to.equal(false);
      expect(error.cause).to.be.instanceOf(ClientDisconnected);
      const oid = child._p_oid;
      expect(oid).to.be.instanceOf(Buffer);
      expect(child._p_state).to.equal('ghost');

      await reconnected;
      await db.transaction(async (conn) => {
        const root = await conn.root();
        expect(root.get('n')).to.equal(1);
        expect(root.get('child')).to.equal(child);
        await child._p_activate();
        expect(child._p_oid).to.deep.equal(oid);
      });
      // The server's own view: one increment, not two.
      const direct = new DB(server.storage, { closeStorage: false });
      const conn = await direct.open();
      expect((await conn.root()).get('n')).to.equal(1);
      await conn.close();
      await direct.close();
    } finally {
      await db.close();
      await proxy.close();
    }
  });

  it('treats an I/O failure of a local storage’s finish the same way; its typed refusals stay plain failures', async () => {
    const storage = new FailingFinishStorage();
    const db = new DB(storage);
    await db.transaction(async (conn) => {
      (await conn.root()).set('n', 0);
    });
    const conn = await db.open();
    const root = await conn.root();
    root.set('n', 1);
    const child = new PersistentMapping();
    root.set('child', child);
    storage.failNextFinish = true;
    let attempts = 0;
    const error = await rejection(
      db.transaction(async (other) => {
        attempts++;
        (await other.root()).set('m', 1);
      }),
    );
    expect(attempts).to.equal(1);
    expect(error).to.be.instanceOf(TransactionOutcomeUnknownError);
    expect((error.cause as NodeJS.ErrnoException).code).to.equal('EIO');

    // The same on a connection of one's own: the added object keeps its oid, everything becomes a ghost.
    storage.failNextFinish = true;
    const uncertain = await rejection(conn.commit());
    expect(uncertain).to.be.instanceOf(TransactionOutcomeUnknownError);
    expect(conn.opened).to.equal(true);
    expect(child._p_oid).to.be.instanceOf(Buffer);
    expect(child._p_jar).to.equal(conn);
    expect(root._p_state).to.equal('ghost');
    // The next transaction reloads what the storage holds: here the commit did not happen.
    await root._p_activate();
    expect(root.get('n')).to.equal(0);
    expect(root.has('child')).to.equal(false);
    expect(await rejection(child._p_activate())).to.be.instanceOf(POSKeyError);
    root.set('n', 2);
    expect(await conn.commit()).to.be.instanceOf(Buffer);

    // A storage's own refusal to finish (it was closed after the vote) wrote nothing: not "unknown".
    root.set('n', 3);
    const added = new PersistentMapping();
    root.set('added', added);
    storage.closeAfterVote = true;
    const refused = await rejection(conn.commit());
    expect(refused).to.be.instanceOf(StorageClosedError);
    expect(added._p_oid).to.equal(null);
    expect(added._p_state).to.equal('unsaved');
    await conn.close();
    await db.close();
  });
});
