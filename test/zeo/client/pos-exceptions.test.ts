// One family of POSException errors: what a ZEO client throws for a
// conflict, a missing object, a read-only storage or an out-of-order commit
// call is an instance of the class the package exports, exactly as
// FileStorage and MappingStorage throw it.
import { expect } from 'chai';
import path from 'node:path';
import {
  ConflictError,
  FileStorage,
  MappingStorage,
  POSKeyError,
  ReadConflictError,
  ReadOnlyError,
  STORAGE_ERROR_CODES,
  StorageTransactionError,
  type Storage,
} from '../../../src/index.js';
import { p64, u64, z64 } from '../../../src/storage/oid.js';
import { ClientStorage } from '../../../src/zeo/client/client-storage.js';
import type { ClientStorageOptions } from '../../../src/zeo/client/options.js';
import { commit, meta, rejects, useTempDir } from '../../storage/storage-test-support.js';
import { startServer, stopAllServers } from './server-harness.js';

const clients: ClientStorage[] = [];

async function open(options: ClientStorageOptions): Promise<Storage> {
  const client = await ClientStorage.open({ waitTimeout: 10, ...options });
  clients.push(client);
  return client.asStorage();
}

/** A record whose class pickle names `persistent.mapping.PersistentMapping`, then `text`. */
function record(text: string): Buffer {
  return Buffer.concat([Buffer.from('\x80\x03cpersistent.mapping\nPersistentMapping\nq\x00.', 'latin1'), Buffer.from(text)]);
}

for (const encoding of ['msgpack', 'pickle'] as const) {
  describe(`one POSException family over ZEO (${encoding})`, () => {
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await stopAllServers();
    });

    async function twoClients(): Promise<[Storage, Storage]> {
      const server = await startServer({ msgpack: encoding === 'msgpack' });
      return [await open({ addresses: [server.address], encoding }), await open({ addresses: [server.address], encoding })];
    }

    it('reports a write conflict found by the server as the exported ConflictError, with oid, serials and class', async () => {
      const [one, two] = await twoClients();
      const t1 = await commit(one, [[z64, z64, record('v1')]]);
      const t2 = await commit(one, [[z64, t1, record('v2')]]);
      const error = await rejects(commit(two, [[z64, t1, record('late')]]), ConflictError);
      expect(error).not.to.be.instanceOf(ReadConflictError);
      expect(error.code).to.equal(STORAGE_ERROR_CODES.conflict);
      expect(error.retryable).to.equal(true);
      expect(error.oid).to.deep.equal(z64);
      expect(error.serials).to.deep.equal([t2, t1]);
      expect(error.className).to.equal('persistent.mapping.PersistentMapping');
      expect(error.conflicts.map((c) => [c.oid, c.serials, c.read])).to.deep.equal([[z64, [t2, t1], false]]);

      // The same conflict on a local storage: same class, code, flag and fields.
      const local = new MappingStorage();
      const l1 = await commit(local, [[z64, z64, record('v1')]]);
      const l2 = await commit(local, [[z64, l1, record('v2')]]);
      const localError = await rejects(commit(local, [[z64, l1, record('late')]]), ConflictError);
      expect([localError.code, localError.retryable, localError.className]).to.deep.equal([error.code, error.retryable, error.className]);
      expect(localError.serials).to.deep.equal([l2, l1]);
    });

    it('reports a failed read-current check as the exported ReadConflictError, a ConflictError', async () => {
      const [one, two] = await twoClients();
      const t1 = await commit(one, [
        [z64, z64, record('root')],
        [p64(1), z64, record('other')],
      ]);
      const t2 = await commit(one, [[p64(1), t1, record('other v2')]]);
      const txn = meta('', 'read current');
      await two.tpcBegin(txn);
      await two.checkCurrentSerialInTransaction(p64(1), t1, txn);
      await two.store(z64, t1, record('root v2'), txn);
      const error = await rejects(two.tpcVote(txn), ReadConflictError);
      await two.tpcAbort(txn);
      expect(error).to.be.instanceOf(ConflictError);
      expect(error.code).to.equal(STORAGE_ERROR_CODES.readConflict);
      expect(error.retryable).to.equal(true);
      expect(error.oid).to.deep.equal(p64(1));
      expect(error.serials).to.deep.equal([t2, t1]);
    });

    it('reports a missing object or revision as the exported POSKeyError, with the oid', async () => {
      const [one, two] = await twoClients();
      const missing = await rejects(two.load(p64(42)), POSKeyError);
      expect(missing.oid).to.deep.equal(p64(42));
      expect(missing.code).to.equal(STORAGE_ERROR_CODES.posKey);
      expect(missing.retryable).to.equal(false);
      const t1 = await commit(one, [[z64, z64, record('root')]]);
      // loadSerial goes to the server, which raises POSKeyError itself.
      const noRevision = await rejects(two.loadSerial(z64, p64(u64(t1) + 1n)), POSKeyError);
      expect(noRevision.oid).to.deep.equal(z64);
      expect(noRevision.code).to.equal(STORAGE_ERROR_CODES.posKey);
      expect((await rejects(two.getTid(p64(43)), POSKeyError)).oid).to.deep.equal(p64(43));
      expect(await rejects(new MappingStorage().load(p64(42)), POSKeyError)).to.have.property('code', missing.code);
    });

    it('refuses writes from a read-only client with the exported ReadOnlyError', async () => {
      const server = await startServer({ msgpack: encoding === 'msgpack' });
      const reader = await open({ addresses: [server.address], encoding, readOnly: true });
      const begin = await rejects(reader.tpcBegin(meta()), ReadOnlyError);
      expect(begin.code).to.equal(STORAGE_ERROR_CODES.readOnly);
      expect(begin.retryable).to.equal(false);
      await rejects(reader.newOids(1), ReadOnlyError);
    });

    it('refuses a store outside a transaction with the exported StorageTransactionError', async () => {
      const [one] = await twoClients();
      const error = await rejects(one.store(z64, z64, record('x'), meta()), StorageTransactionError);
      expect(error.code).to.equal(STORAGE_ERROR_CODES.transaction);
    });
  });
}

describe('one POSException family: ReadOnlyError of FileStorage', () => {
  const tempDir = useTempDir();

  it('refuses writes to a FileStorage opened read-only with the same exported ReadOnlyError', async () => {
    const file = path.join(tempDir(), 'Data.fs');
    const writable = await FileStorage.open(file, { create: true });
    await commit(writable, [[z64, z64, record('root')]]);
    await writable.close();
    const readOnly = await FileStorage.open(file, { readOnly: true });
    try {
      const error = await rejects(readOnly.tpcBegin(meta()), ReadOnlyError);
      expect(error.code).to.equal(STORAGE_ERROR_CODES.readOnly);
      expect(error.message).to.contain('is read-only');
      await rejects(readOnly.newOids(1), ReadOnlyError);
    } finally {
      await readOnly.close();
    }
  });
});
