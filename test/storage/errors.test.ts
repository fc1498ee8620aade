import { expect } from 'chai';
import { ZkzeoError } from '../../src/errors.js';
import {
  ConflictError,
  CorruptFileError,
  POSKeyError,
  ReadConflictError,
  ReadOnlyError,
  STORAGE_ERROR_CODES,
  StorageClosedError,
  StorageError,
  StorageLockedError,
  StorageTransactionError,
} from '../../src/storage/errors.js';
import { p64 } from '../../src/storage/oid.js';
import { recordClassName } from '../../src/storage/record-class-name.js';
import { hex, loadSampleExpected } from './storage-test-support.js';

describe('storage/errors', () => {
  it('are ZkzeoErrors with stable codes', () => {
    const errors: Array<[StorageError, string]> = [
      [new POSKeyError(p64(1)), 'STORAGE_POS_KEY'],
      [new ReadOnlyError('Data.fs'), 'STORAGE_READ_ONLY'],
      [new CorruptFileError('Data.fs', 12, 'bad'), 'STORAGE_CORRUPT_FILE'],
      [new StorageLockedError('Data.fs.lock', 7), 'STORAGE_LOCKED'],
    ];
    for (const [error, code] of errors) {
      expect(error).to.be.instanceOf(ZkzeoError);
      expect(error.code).to.equal(code);
      expect(error.retryable, code).to.equal(false);
    }
    expect(new StorageTransactionError('tpcVote called twice').code).to.equal(STORAGE_ERROR_CODES.transaction);
    expect(new StorageClosedError('Data.fs').code).to.equal(STORAGE_ERROR_CODES.closed);
    expect(new ReadOnlyError().message).to.equal('the storage is read-only');
    expect(new ReadOnlyError('Data.fs').message).to.equal('storage Data.fs is read-only');
    expect(new POSKeyError(Buffer.from('0102', 'hex')).message).to.equal('object 0x0102 (2 bytes) not found');
    expect(new POSKeyError(p64(0x1234)).message).to.equal('object 0x1234 not found');
    expect(new CorruptFileError('/x/Data.fs', 166, 'bad status').message).to.equal('/x/Data.fs is corrupt at byte offset 166: bad status');
  });

  it('names the class of the conflicting record, as ZODB’s ConflictError does', async () => {
    const expected = await loadSampleExpected();
    const root = expected.records[0];
    const error = new ConflictError({
      oid: p64(0),
      serials: [hex('040d2917932ec922'), hex('040d2917932d9f11')],
      data: hex(root?.data_hex ?? ''),
      read: false,
    });
    expect(error.className).to.equal('persistent.mapping.PersistentMapping');
    expect(error.message).to.equal(
      'database conflict error (oid 0x00, class persistent.mapping.PersistentMapping, ' +
        'serial this txn started with 0x040d2917932d9f11 2026-11-21 07:51:34.494893, ' +
        'serial currently committed 0x040d2917932ec922 2026-11-21 07:51:34.495959)',
    );
    const read = new ReadConflictError({ oid: p64(1), serials: [p64(2), p64(1)], read: true });
    expect(read).to.be.instanceOf(ConflictError);
    expect(read.className).to.equal(undefined);
    expect(read.conflicts).to.have.length(1);
    expect([error.code, read.code]).to.deep.equal([STORAGE_ERROR_CODES.conflict, STORAGE_ERROR_CODES.readConflict]);
    expect([error.retryable, read.retryable]).to.deep.equal([true, true]);
  });

  it('describes a conflict a server reported without oid or serials, as Python allows', () => {
    const bare = new ConflictError({ className: 'app.Counter' });
    expect(bare.oid).to.equal(undefined);
    expect(bare.serials).to.equal(undefined);
    expect(bare.conflicts).to.deep.equal([]);
    expect(bare.retryable).to.equal(true);
    expect(bare.message).to.equal('database conflict error (class app.Counter)');
    expect(new ReadConflictError({}).message).to.equal('database read conflict error');
  });

  it('reads the class name of every record in sample.fs', async () => {
    const expected = await loadSampleExpected();
    for (const record of expected.records) {
      expect(recordClassName(hex(record.data_hex))).to.equal(record.class);
    }
    expect(recordClassName(Buffer.from('80034e2e', 'hex'))).to.equal(undefined);
  });
});
