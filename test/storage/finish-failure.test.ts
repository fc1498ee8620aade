import { expect } from 'chai';
import { StorageTransactionError, TransactionOutcomeUnknownError } from '../../src/storage/errors.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { p64, z64 } from '../../src/storage/oid.js';
import type { PendingTransaction } from '../../src/storage/pending-transaction.js';

/** A storage whose next finish fails the way a failed fsync would. */
class FailingFinish extends MappingStorage {
  fail = true;
  protected override async writeFinish(pending: PendingTransaction): Promise<void> {
    if (this.fail) {
      this.fail = false;
      throw Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' });
    }
    await super.writeFinish(pending);
  }
}

const txn = (): { user: Buffer; description: Buffer; extension: Buffer } => ({
  user: Buffer.alloc(0),
  description: Buffer.alloc(0),
  extension: Buffer.alloc(0),
});

describe('a storage whose finish fails', () => {
  it('reports the outcome as unknown (not retryable, the I/O error as cause) and releases the commit lock', async () => {
    const storage = new FailingFinish();
    const first = txn();
    await storage.tpcBegin(first);
    await storage.store(p64(1n), z64, Buffer.from('a'), first);
    await storage.tpcVote(first);
    const error = await storage.tpcFinish(first).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(TransactionOutcomeUnknownError);
    expect(error).to.have.property('retryable', false);
    expect((error as Error).cause).to.have.property('code', 'EIO');
    const second = txn();
    await storage.tpcBegin(second); // the lock is free again
    await storage.store(p64(2n), z64, Buffer.from('b'), second);
    await storage.tpcVote(second);
    expect(await storage.tpcFinish(second)).to.be.instanceOf(Buffer);
  });

  it('keeps its own refusals definite', async () => {
    const storage = new MappingStorage();
    const error = await storage.tpcFinish(txn()).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(StorageTransactionError);
  });
});
