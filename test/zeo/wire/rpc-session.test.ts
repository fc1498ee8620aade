import { expect } from 'chai';
import { InvalidArgumentError } from '../../../src/errors.js';
import { ClientDisconnected, ConflictError, POSKeyError, ProtocolError, ReadOnlyError } from '../../../src/zeo/errors.js';
import { FrameDecoder } from '../../../src/zeo/wire/frame-decoder.js';
import type { Marshaller } from '../../../src/zeo/wire/marshaller.js';
import type { ZeoMessage } from '../../../src/zeo/wire/message.js';
import { RpcSession, type IncomingCall, type RpcSessionOptions } from '../../../src/zeo/wire/rpc-session.js';
import { tuple, type ZeoValue } from '../../../src/zeo/wire/values.js';
import { availableMarshallers } from './marshallers.js';

/** A session whose written frames are decoded back into messages. */
function harness(marshaller: Marshaller, options: Partial<RpcSessionOptions> = {}) {
  const written: ZeoMessage[] = [];
  const decoder = new FrameDecoder();
  const session = new RpcSession({
    marshaller,
    writeFrame: (frame) => {
      for (const payload of decoder.push(frame)) written.push(marshaller.decode(payload));
    },
    ...options,
  });
  const deliver = (message: ZeoMessage): void => session.receive(marshaller.encode(message));
  return { session, written, deliver };
}

/** Settles a promise into a value so tests can assert on rejections synchronously after await. */
async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

describe('zeo/wire RpcSession', () => {
  for (const marshaller of availableMarshallers()) {
    describe(marshaller.encoding, () => {
      it('numbers calls 1, 2, 3 and matches replies that come out of order', async () => {
        const { session, written, deliver } = harness(marshaller);
        const vote = session.call('vote', [12345]);
        const ping = session.call('ping');
        const lastTransaction = session.call('lastTransaction');
        expect(written.map((m) => (m.kind === 'call' ? [m.msgid, m.method] : m.kind))).to.deep.equal([
          [1, 'vote'],
          [2, 'ping'],
          [3, 'lastTransaction'],
        ]);
        expect(session.pendingCount).to.equal(3);
        deliver({ kind: 'reply', msgid: 3, result: Buffer.from('0000000000000003', 'hex') });
        deliver({ kind: 'reply', msgid: 2, result: null });
        deliver({ kind: 'reply', msgid: 1, result: [] });
        expect(await ping).to.equal(null);
        expect(Buffer.from((await lastTransaction) as Uint8Array).toString('hex')).to.equal('0000000000000003');
        expect(await vote).to.deep.equal([]);
        expect(session.pendingCount).to.equal(0);
      });

      it('matches a loadBefore reply on its (oid, tid) msgid and shares it between identical loads', async () => {
        const { session, written, deliver } = harness(marshaller);
        const oid = Buffer.alloc(8);
        const tid = Buffer.from('040d2914a291b5bc', 'hex');
        const first = session.call('loadBefore', [oid, tid], { msgid: tuple(oid, tid) });
        const second = session.call('loadBefore', [oid, tid], { msgid: tuple(Buffer.from(oid), Buffer.from(tid)) });
        expect(second).to.equal(first);
        expect(written).to.have.length(1);
        const data = tuple(Buffer.from('record'), tid, null);
        deliver({ kind: 'reply', msgid: tuple(Buffer.from(oid), Buffer.from(tid)), result: data });
        const result = (await first) as readonly ZeoValue[];
        expect(Buffer.from(result[0] as Uint8Array).toString()).to.equal('record');
        void session.call('ping', [], { msgid: 7 });
        const clash = await outcome(session.call('getTid', [], { msgid: 7 }));
        expect(clash.error).to.be.instanceOf(InvalidArgumentError);
        expect(session.pendingCount).to.equal(1);
      });

      it('rejects a call with the typed error of its error reply', async () => {
        const { session, deliver } = harness(marshaller);
        const load = session.call('loadSerial', [Buffer.alloc(8, 0x2a), Buffer.alloc(8)]);
        const vote = session.call('vote', [1]);
        const register = session.call('register', ['1', false]);
        deliver({ kind: 'errorReply', msgid: 1, pythonClass: 'ZODB.POSException.POSKeyError', payload: tuple(Buffer.alloc(8, 0x2a)) });
        deliver({ kind: 'errorReply', msgid: 3, pythonClass: 'ZODB.POSException.ReadOnlyError', payload: tuple() });
        deliver({
          kind: 'errorReply',
          msgid: 2,
          pythonClass: 'ZODB.POSException.ConflictError',
          payload: new Map<ZeoValue, ZeoValue>([['message', 'database conflict error'], ['oid', Buffer.alloc(8)], ['class_name', null], ['serials', null]]),
        });
        expect((await outcome(load)).error).to.be.instanceOf(POSKeyError);
        expect((await outcome(register)).error).to.be.instanceOf(ReadOnlyError);
        expect((await outcome(vote)).error).to.be.instanceOf(ConflictError);
      });

      it('fails every pending call with ClientDisconnected on close, and later calls at once', async () => {
        const { session } = harness(marshaller);
        const calls = [session.call('vote', [1]), session.call('pack', [1.5, 1])];
        const cause = new Error('read ECONNRESET');
        session.close(cause);
        session.close(); // idempotent
        for (const call of calls) {
          const { error } = await outcome(call);
          expect(error).to.be.instanceOf(ClientDisconnected);
          expect((error as ClientDisconnected).message).to.equal('read ECONNRESET');
          expect((error as ClientDisconnected).cause).to.equal(cause);
          expect((error as ClientDisconnected).retryable).to.equal(true);
        }
        expect(session.pendingCount).to.equal(0);
        expect((await outcome(session.call('ping'))).error).to.be.instanceOf(ClientDisconnected);
        expect(() => session.callOneWay('storea', [])).to.throw(ClientDisconnected);
      });

      it('sends one-way calls and heartbeats without expecting replies', () => {
        const { session, written } = harness(marshaller);
        session.callOneWay('tpc_begin', [139982753994704, Buffer.alloc(0), Buffer.alloc(0), new Map(), null, ' ']);
        session.sendHeartbeat();
        expect(written.map((m) => m.kind)).to.deep.equal(['oneWay', 'heartbeat']);
        expect(session.pendingCount).to.equal(0);
      });

      it('hands incoming one-way calls to the handler in order and ignores heartbeats', () => {
        const calls: IncomingCall[] = [];
        const { written, deliver } = harness(marshaller, { onCall: (call) => void calls.push(call) });
        const tid = Buffer.from('040d2914d76525bb', 'hex');
        deliver({ kind: 'oneWay', method: 'invalidateTransaction', args: tuple(tid, [Buffer.alloc(8)]) });
        deliver({ kind: 'heartbeat' });
        deliver({ kind: 'oneWay', method: 'info', args: [new Map<ZeoValue, ZeoValue>([['length', 1]])] });
        expect(calls.map((c) => [c.method, c.oneWay, c.msgid])).to.deep.equal([
          ['invalidateTransaction', true, undefined],
          ['info', true, undefined],
        ]);
        expect(written).to.deep.equal([]);
      });

      it('replies to incoming calls, synchronously or later, and marshals handler errors', async () => {
        let release!: (value: ZeoValue) => void;
        const { written, deliver } = harness(marshaller, {
          onCall: (call) => {
            switch (call.method) {
              case 'lastTransaction':
                return Buffer.alloc(8);
              case 'vote':
                return new Promise<ZeoValue>((resolve) => (release = resolve));
              case 'loadBefore':
                throw new POSKeyError(call.args[0] as Uint8Array);
              default:
                return undefined;
            }
          },
        });
        deliver({ kind: 'call', msgid: 1, method: 'vote', args: [1] });
        deliver({ kind: 'call', msgid: 2, method: 'lastTransaction', args: [] });
        deliver({ kind: 'call', msgid: tuple(Buffer.alloc(8, 1), Buffer.alloc(8, 2)), method: 'loadBefore', args: [Buffer.alloc(8, 1), Buffer.alloc(8, 2)] });
        deliver({ kind: 'call', msgid: 4, method: 'ping', args: [] });
        release([]);
        await Promise.resolve();
        await Promise.resolve();
        expect(written.map((m) => [m.kind, 'msgid' in m ? m.msgid : undefined])).to.deep.equal([
          ['reply', 2],
          ['errorReply', [Buffer.alloc(8, 1), Buffer.alloc(8, 2)]],
          ['reply', 4],
          ['reply', 1],
        ]);
        const error = written[1] as ZeoMessage & { kind: 'errorReply' };
        expect(error.pythonClass).to.equal('ZODB.POSException.POSKeyError');
        expect((written[2] as ZeoMessage & { kind: 'reply' }).result).to.equal(null);
      });

      it('reports failing one-way handlers instead of replying', async () => {
        const failures: [unknown, string][] = [];
        const { written, deliver } = harness(marshaller, {
          onCall: (call) => {
            if (call.method === 'storea') throw new ReadOnlyError();
            return Promise.reject(new Error('async boom'));
          },
          onOneWayError: (error, call) => failures.push([error, call.method]),
        });
        deliver({ kind: 'oneWay', method: 'storea', args: [] });
        deliver({ kind: 'oneWay', method: 'tpc_begin', args: [] });
        await new Promise<void>((resolve) => setImmediate(resolve));
        expect(failures.map(([e, m]) => [(e as Error).constructor.name, m])).to.deep.equal([
          ['ReadOnlyError', 'storea'],
          ['Error', 'tpc_begin'],
        ]);
        expect(written).to.deep.equal([]);
      });

      it('treats replies nobody waits for, and calls nobody handles, as protocol errors', () => {
        const { session, deliver } = harness(marshaller);
        expect(() => deliver({ kind: 'reply', msgid: 9, result: null })).to.throw(ProtocolError).with.property('code', 'ZEO_UNEXPECTED_REPLY');
        expect(() => deliver({ kind: 'oneWay', method: 'invalidateTransaction', args: [] })).to.throw(ProtocolError, /no handler/);
        expect(() => session.receive(Buffer.from('not a message'))).to.throw(ProtocolError).with.property('code', 'ZEO_BAD_MESSAGE');
      });

      it('fails the call whose frame cannot be written, and keeps no trace of it', async () => {
        const session = new RpcSession({
          marshaller,
          writeFrame: () => {
            throw new Error('write after end');
          },
        });
        const { error } = await outcome(session.call('ping'));
        expect((error as Error).message).to.equal('write after end');
        expect(session.pendingCount).to.equal(0);
      });
    });
  }

  it('checks its options', () => {
    expect(() => new RpcSession({} as RpcSessionOptions)).to.throw(InvalidArgumentError, /marshaller/);
  });
});
