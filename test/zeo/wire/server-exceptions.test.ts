import { expect } from 'chai';
import * as storage from '../../../src/storage/errors.js';
import {
  BTreesConflictError,
  ConflictError,
  POSKeyError,
  ReadConflictError,
  ReadOnlyError,
  ServerError,
  StorageTransactionError,
  ZeoError,
  isServerException,
} from '../../../src/zeo/errors.js';
import type { Marshaller } from '../../../src/zeo/wire/marshaller.js';
import type { ErrorReplyMessage } from '../../../src/zeo/wire/message.js';
import { errorFromReply, errorReplyFor, errorToPayload } from '../../../src/zeo/wire/server-exceptions.js';
import { tuple, type ZeoValue } from '../../../src/zeo/wire/values.js';
import { messageFrames, type MessageFrame } from '../../support-zeo/wire-fixtures.js';
import { availableMarshallers } from './marshallers.js';

const hex = (bytes: Uint8Array | null | undefined): string | undefined => (bytes == null ? undefined : Buffer.from(bytes).toString('hex'));

function errorReplies(marshaller: Marshaller): { entry: MessageFrame; message: ErrorReplyMessage }[] {
  return messageFrames(marshaller.encoding).flatMap((entry) => {
    const message = marshaller.decode(entry.frame.payload);
    return message.kind === 'errorReply' ? [{ entry, message }] : [];
  });
}

describe('zeo/wire server exceptions', () => {
  for (const marshaller of availableMarshallers()) {
    describe(`recorded error replies, ${marshaller.encoding}`, () => {
      let replies: ReturnType<typeof errorReplies> = [];
      before(() => {
        replies = errorReplies(marshaller);
      });

      it('has the ConflictError, POSKeyError and ReadOnlyError replies of scenarios d, e and f', () => {
        const seen = new Set(replies.map((r) => `${r.entry.file.split('.')[0]} ${r.message.pythonClass}`));
        expect([...seen]).to.include.members([
          'd-conflict ZODB.POSException.ConflictError',
          'e-poskeyerror ZODB.POSException.POSKeyError',
          'b-first-commit ZODB.POSException.POSKeyError',
          'f-read-only ZODB.POSException.ReadOnlyError',
        ]);
      });

      it('maps each to its typed error with the recorded fields', () => {
        for (const { entry, message } of replies) {
          const error = errorFromReply(message.pythonClass, message.payload);
          const where = `${entry.file} seq ${entry.frame.seq}`;
          expect(error.pythonClass, where).to.equal(message.pythonClass);
          switch (message.pythonClass) {
            case 'ZODB.POSException.ConflictError': {
              expect(error).to.be.instanceOf(ConflictError).and.not.instanceOf(ReadConflictError);
              expect(error).to.be.instanceOf(storage.ConflictError).and.not.instanceOf(storage.ReadConflictError);
              const conflict = error as ConflictError;
              expect(conflict.code).to.equal('STORAGE_CONFLICT');
              expect(conflict.retryable).to.equal(true);
              expect(hex(conflict.oid)).to.equal('0000000000000000');
              expect(conflict.className).to.equal('persistent.mapping.PersistentMapping');
              expect(conflict.serverMessage).to.equal('database conflict error');
              // serials = (committed by client 1, read by client 2): both appear earlier in the recording.
              const [committed, read] = conflict.serials ?? [];
              expect(hex(committed)).to.match(/^040d2914/);
              expect(hex(read)).to.match(/^040d2914/);
              expect(hex(committed)).not.to.equal(hex(read));
              expect(conflict.message).to.contain('database conflict error (oid 0x00, class persistent.mapping.PersistentMapping');
              break;
            }
            case 'ZODB.POSException.POSKeyError':
              expect(error, where).to.be.instanceOf(POSKeyError).and.instanceOf(storage.POSKeyError);
              expect(error.code).to.equal('STORAGE_POS_KEY');
              expect(hex((error as POSKeyError).oid)).to.be.oneOf(['000000000000002a', '0000000000000000']);
              break;
            case 'ZODB.POSException.ReadOnlyError':
              expect(error, where).to.be.instanceOf(ReadOnlyError).and.instanceOf(storage.ReadOnlyError);
              expect(error.code).to.equal('STORAGE_READ_ONLY');
              expect(error.retryable).to.equal(false);
              break;
            default:
              expect.fail(`unexpected ${message.pythonClass} at ${where}`);
          }
        }
      });

      it('marshals the typed errors back to the recorded bytes, as the reference server did', () => {
        for (const { entry, message } of replies) {
          const error = errorFromReply(message.pythonClass, message.payload);
          const reply = errorReplyFor(message.msgid, error);
          expect(marshaller.encode(reply).toString('hex'), `${entry.file} seq ${entry.frame.seq}`).to.equal(
            entry.frame.payload.toString('hex'),
          );
        }
      });
    });
  }

  it('maps the other exceptions of the Python client table', () => {
    const oid = Buffer.alloc(8);
    const serials = tuple(Buffer.alloc(8, 2), Buffer.alloc(8, 1));
    const readConflict = errorFromReply(
      'ZODB.POSException.ReadConflictError',
      new Map<ZeoValue, ZeoValue>([
        ['message', 'database read conflict error'],
        ['oid', oid],
        ['class_name', null],
        ['serials', serials],
      ]),
    );
    expect(readConflict).to.be.instanceOf(ReadConflictError).and.instanceOf(storage.ReadConflictError);
    expect(readConflict.code).to.equal('STORAGE_READ_CONFLICT');
    expect(readConflict.retryable).to.equal(true);
    expect((readConflict as ReadConflictError).className).to.equal(undefined);
    expect((readConflict as ReadConflictError).conflicts).to.deep.equal([
      { oid, serials: [Buffer.alloc(8, 2), Buffer.alloc(8, 1)], data: undefined, read: true },
    ]);

    const btrees = errorFromReply('ZODB.POSException.BTreesConflictError', new Map<ZeoValue, ZeoValue>([['p1', 1], ['p2', 2], ['p3', 3], ['reason', 5]]));
    expect(btrees).to.be.instanceOf(BTreesConflictError).and.instanceOf(storage.ConflictError);
    expect(btrees.code).to.equal('STORAGE_BTREES_CONFLICT');
    expect(btrees.retryable).to.equal(true);
    expect((btrees as BTreesConflictError).btrees).to.deep.equal({ p1: 1, p2: 2, p3: 3, reason: 5 });
    expect((btrees as BTreesConflictError).oid).to.equal(undefined);
    expect((btrees as BTreesConflictError).conflicts).to.deep.equal([]);

    const locked = errorFromReply('ZODB.POSException.StorageTransactionError', tuple('Already voting (locked)'));
    expect(locked).to.be.instanceOf(StorageTransactionError).and.instanceOf(storage.StorageTransactionError);
    expect(locked.code).to.equal('STORAGE_TRANSACTION');
    expect((locked as StorageTransactionError).args).to.deep.equal(['Already voting (locked)']);
    expect(locked.message).to.contain('Already voting (locked)');

    const unknown = errorFromReply('builtins.ValueError', tuple('unknown storage: x'));
    expect(unknown).to.be.instanceOf(ServerError).and.instanceOf(ZeoError).and.not.instanceOf(storage.StorageError);
    expect(unknown.code).to.equal('ZEO_SERVER_ERROR');
    expect((unknown as ServerError).payload).to.deep.equal(['unknown storage: x']);
    expect(unknown.message).to.equal('server raised builtins.ValueError: unknown storage: x');

    // A known class with a payload of the wrong shape keeps everything as a ServerError.
    const odd = errorFromReply('ZODB.POSException.POSKeyError', tuple('not an oid'));
    expect(odd).to.be.instanceOf(ServerError).and.not.instanceOf(storage.POSKeyError);
    expect(isServerException(odd)).to.equal(true);
    expect(odd.pythonClass).to.equal('ZODB.POSException.POSKeyError');
  });

  it('marshals errors the way the reference server does', () => {
    const oid = Buffer.alloc(8);
    const conflict = errorToPayload(new ReadConflictError({ oid, serials: [Buffer.alloc(8, 2), Buffer.alloc(8, 1)] }));
    expect(conflict.pythonClass).to.equal('ZODB.POSException.ReadConflictError');
    expect([...(conflict.payload as Map<ZeoValue, ZeoValue>).keys()]).to.deep.equal(['message', 'oid', 'class_name', 'serials']);
    expect((conflict.payload as Map<ZeoValue, ZeoValue>).get('message')).to.equal('database read conflict error');

    expect(errorToPayload(new StorageTransactionError([null, 12345]))).to.deep.equal({
      pythonClass: 'ZODB.POSException.StorageTransactionError',
      payload: [null, 12345],
    });
    expect(errorToPayload(new ServerError('builtins.ValueError', tuple('unknown storage: x'))).payload).to.deep.equal(['unknown storage: x']);
    expect(errorToPayload(new TypeError('bad args'))).to.deep.equal({ pythonClass: 'builtins.TypeError', payload: ['bad args'] });
    expect(errorToPayload(new Error('boom'))).to.deep.equal({ pythonClass: 'builtins.RuntimeError', payload: ['boom'] });
  });

  it('marshals the storage classes as their wire forms, as the reference server raises them', () => {
    const oid = Buffer.alloc(8);
    const serials = [Buffer.alloc(8, 2), Buffer.alloc(8, 1)] as const;
    const record = Buffer.from('80036370657273697374656e742e6d617070696e670a50657273697374656e744d617070696e670a712e', 'hex');
    const conflict = errorToPayload(new storage.ConflictError({ oid, serials, data: record, read: false }));
    expect(conflict.pythonClass).to.equal('ZODB.POSException.ConflictError');
    expect([...(conflict.payload as Map<ZeoValue, ZeoValue>).entries()]).to.deep.equal([
      ['message', 'database conflict error'],
      ['oid', oid],
      ['class_name', 'persistent.mapping.PersistentMapping'],
      ['serials', [...serials]],
    ]);
    const read = errorToPayload(new storage.ReadConflictError({ oid, serials, read: true }));
    expect(read.pythonClass).to.equal('ZODB.POSException.ReadConflictError');
    expect((read.payload as Map<ZeoValue, ZeoValue>).get('class_name')).to.equal(null);
    expect(errorToPayload(new storage.POSKeyError(oid))).to.deep.equal({ pythonClass: 'ZODB.POSException.POSKeyError', payload: [oid] });
    expect(errorToPayload(new storage.ReadOnlyError('Data.fs'))).to.deep.equal({ pythonClass: 'ZODB.POSException.ReadOnlyError', payload: [] });
    expect(errorToPayload(new storage.StorageTransactionError('tpcVote called twice'))).to.deep.equal({
      pythonClass: 'ZODB.POSException.StorageTransactionError',
      payload: ['tpcVote called twice'],
    });
    expect(errorToPayload(new storage.StorageClosedError('Data.fs'))).to.deep.equal({
      pythonClass: 'ZODB.POSException.StorageError',
      payload: ['storage Data.fs is closed'],
    });
  });
});
