import { expect } from 'chai';
import { ProtocolError } from '../../../src/zeo/errors.js';
import { messageToTuple, type ZeoMessage } from '../../../src/zeo/wire/message.js';
import { PickleMarshaller } from '../../../src/zeo/wire/pickle-marshaller.js';
import { PyFloat, tuple, type ZeoValue } from '../../../src/zeo/wire/values.js';
import { fromFixtureJson, messageFrames, valueDifference } from '../../support-zeo/wire-fixtures.js';

const hexOf = (message: ZeoMessage): string => new PickleMarshaller().encode(message).toString('hex');

describe('zeo/wire PickleMarshaller', () => {
  const marshaller = new PickleMarshaller();
  const frames = messageFrames('pickle');

  it('covers the pickle frames of every recording', () => {
    expect(frames.length).to.be.greaterThan(150);
    expect(new Set(frames.map((f) => f.file.split('.')[0])).size).to.equal(8);
  });

  it('decodes every recorded pickle frame to the recorded value, tuples and lists apart', () => {
    for (const { file, frame } of frames) {
      const message = marshaller.decode(frame.payload);
      const difference = valueDifference(messageToTuple(message, true), fromFixtureJson(frame.typed), true);
      expect(difference, `${file} seq ${frame.seq}`).to.equal(undefined);
    }
  });

  it('re-encodes every recorded pickle frame byte for byte', () => {
    for (const { file, frame } of frames) {
      const message = marshaller.decode(frame.payload);
      expect(marshaller.encode(message).toString('hex'), `${file} seq ${frame.seq}`).to.equal(frame.payload.toString('hex'));
      const whole = marshaller.encodeFrame(message);
      expect(whole.readUInt32BE(0)).to.equal(frame.payload.length);
      expect(whole.subarray(4).equals(frame.payload)).to.equal(true);
    }
  });

  it('encodes the documented examples (register call, heartbeat, vote reply)', () => {
    expect(hexOf({ kind: 'call', msgid: 1, method: 'register', args: ['1', 0] })).to.equal(
      '8003284b018958080000007265676973746572580100000031' + '4b0086742e',
    );
    expect(hexOf({ kind: 'heartbeat' })).to.equal('8003284affffffff4b0058060000002e7265706c794e742e');
    expect(hexOf({ kind: 'reply', msgid: 5, result: [] })).to.equal('8003284b054b0058060000002e7265706c795d742e');
  });

  it('writes plain arrays in args and msgids as tuples, nested lists as lists', () => {
    const oid = Buffer.alloc(8);
    const tid = Buffer.from('040d29126c0695dd', 'hex');
    // invalidateTransaction(tid, [oid]) from the protocol document, frame 8 of §14
    expect(hexOf({ kind: 'oneWay', method: 'invalidateTransaction', args: [tid, [oid]] })).to.equal(
      '8003284b00885815000000696e76616c69646174655472616e73616374696f6e' + '4308040d29126c0695dd' + '5d4308000000000000000061' + '86742e',
    );
    const load = new PickleMarshaller().decode(
      new PickleMarshaller().encode({ kind: 'call', msgid: [oid, tid], method: 'loadBefore', args: tuple(oid, tid) }),
    );
    expect(load.kind === 'call' && load.msgid).to.be.instanceOf(Array);
  });

  it('keeps integral floats floats', () => {
    const message: ZeoMessage = { kind: 'call', msgid: 3, method: 'pack', args: [new PyFloat(1700000000), 1] };
    const decoded = marshaller.decode(marshaller.encode(message));
    const args = decoded.kind === 'call' ? decoded.args : [];
    expect(args[0]).to.be.instanceOf(PyFloat);
    expect((args[0] as PyFloat).value).to.equal(1700000000);
  });

  it('refuses globals and garbage', () => {
    // (0, True, 'f', (builtins.set(),)) built with GLOBAL + REDUCE
    const withGlobal = Buffer.from('8003284b0088580100000066' + '63' + '6275696c74696e730a7365740a' + '2952' + '85742e', 'hex');
    expect(() => marshaller.decode(withGlobal)).to.throw(ProtocolError).with.property('code', 'ZEO_BAD_MESSAGE');
    expect(() => marshaller.decode(Buffer.from('not a pickle'))).to.throw(ProtocolError).with.property('code', 'ZEO_BAD_MESSAGE');
    expect(() => marshaller.decode(Buffer.from('80034b012e', 'hex'))).to.throw(ProtocolError, /4-tuple/);
  });

  it('refuses values outside the model when encoding', () => {
    const bad = { kind: 'call', msgid: 1, method: 'f', args: [new Date(0) as unknown as ZeoValue] } as const;
    expect(() => marshaller.encode(bad)).to.throw(ProtocolError).with.property('code', 'ZEO_UNENCODABLE');
    // The encoder is still usable afterwards.
    expect(marshaller.encode({ kind: 'heartbeat' }).length).to.equal(24);
  });
});
