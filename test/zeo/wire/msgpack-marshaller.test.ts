import { expect } from 'chai';
import { ProtocolError } from '../../../src/zeo/errors.js';
import { messageToTuple, type ZeoMessage } from '../../../src/zeo/wire/message.js';
import { MsgpackMarshaller } from '../../../src/zeo/wire/msgpack-marshaller.js';
import { PyFloat, tuple, type ZeoValue } from '../../../src/zeo/wire/values.js';
import { fromFixtureJson, messageFrames, valueDifference } from '../../support-zeo/wire-fixtures.js';

const call = (method: string, args: ZeoValue[], msgid: ZeoValue = 1): ZeoMessage => ({ kind: 'call', msgid, method, args });
const hexOf = (message: ZeoMessage): string => new MsgpackMarshaller().encode(message).toString('hex');

describe('zeo/wire MsgpackMarshaller', () => {
  const marshaller = new MsgpackMarshaller();
  const frames = messageFrames('msgpack');

  it('covers the msgpack frames of every recording', () => {
    expect(frames.length).to.be.greaterThan(150);
    expect(new Set(frames.map((f) => f.file.split('.')[0])).size).to.equal(8);
  });

  it('decodes every recorded msgpack frame to the recorded value', () => {
    for (const { file, frame } of frames) {
      const message = marshaller.decode(frame.payload);
      const difference = valueDifference(messageToTuple(message, false), fromFixtureJson(frame.decoded), false);
      expect(difference, `${file} seq ${frame.seq}`).to.equal(undefined);
    }
  });

  it('re-encodes every recorded msgpack frame byte for byte', () => {
    for (const { file, frame } of frames) {
      const message = marshaller.decode(frame.payload);
      expect(marshaller.encode(message).toString('hex'), `${file} seq ${frame.seq}`).to.equal(frame.payload.toString('hex'));
      const whole = marshaller.encodeFrame(message);
      expect(whole.readUInt32BE(0)).to.equal(frame.payload.length);
      expect(whole.subarray(4).equals(frame.payload), `${file} seq ${frame.seq} framed`).to.equal(true);
    }
  });

  it('encodes messages built from scratch like Python (register, heartbeat, vote reply)', () => {
    expect(hexOf(call('register', ['1', 0]))).to.equal('9401c2a8726567697374657292a13100');
    expect(hexOf({ kind: 'heartbeat' })).to.equal('94ff00a62e7265706c79c0');
    expect(hexOf({ kind: 'reply', msgid: 5, result: [] })).to.equal('940500a62e7265706c7990');
  });

  it('writes integers in the smallest type Python uses, including uint 64 for transaction handles', () => {
    const arg = (value: ZeoValue): string => hexOf(call('f', [value])).slice('9401c2a166'.length + 2);
    expect(arg(127)).to.equal('7f');
    expect(arg(128)).to.equal('cc80');
    expect(arg(65_535)).to.equal('cdffff');
    expect(arg(0xffff_ffff)).to.equal('ceffffffff');
    expect(arg(139982753994704)).to.equal('cf00007f50465397d0');
    expect(arg(139982753994704n)).to.equal('cf00007f50465397d0');
    expect(arg(2n ** 64n - 1n)).to.equal('cfffffffffffffffff');
    expect(arg(-1)).to.equal('ff');
    expect(arg(-33)).to.equal('d0df');
    expect(arg(-(2 ** 31))).to.equal('d280000000');
    expect(arg(-(2 ** 31) - 1)).to.equal('d3ffffffff7fffffff');
    expect(arg(5n)).to.equal('05');
  });

  it('writes floats as float 64, and integral floats given as PyFloat too', () => {
    const arg = (value: ZeoValue): string => hexOf(call('pack', [value])).slice('9401c2a47061636b'.length + 2);
    expect(arg(1.5)).to.equal('cb3ff8000000000000');
    expect(arg(new PyFloat(1))).to.equal('cb3ff0000000000000');
    expect(arg(-0)).to.equal('cb8000000000000000');
  });

  it('decodes 64-bit integers to numbers when safe, otherwise bigints', () => {
    const decoded = marshaller.decode(marshaller.encode(call('f', [139982753994704, 2n ** 63n, -(2n ** 62n)])));
    expect(decoded.kind === 'call' && decoded.args).to.deep.equal([139982753994704, 2n ** 63n, -(2n ** 62n)]);
  });

  it('decodes dicts with non-string keys and byte values that are views of the payload', () => {
    const oid = Buffer.from('0000000000000001', 'hex');
    const payload = marshaller.encode({ kind: 'reply', msgid: 2, result: new Map<ZeoValue, ZeoValue>([[1, oid], [tuple('a'), null]]) });
    const decoded = marshaller.decode(payload);
    if (decoded.kind !== 'reply') throw new Error('expected a reply');
    const result = decoded.result as Map<ZeoValue, ZeoValue>;
    expect([...result.keys()]).to.deep.equal([1, ['a']]);
    const bytes = result.get(1) as Buffer;
    expect(bytes.equals(oid)).to.equal(true);
    expect(bytes.buffer).to.equal(payload.buffer);
  });

  it('refuses values outside the model when encoding', () => {
    for (const bad of [undefined, { a: 1 }, new Date(0), Symbol('x'), () => 1, 2n ** 64n]) {
      expect(() => marshaller.encode(call('f', [bad as unknown as ZeoValue])), String(bad))
        .to.throw(ProtocolError)
        .with.property('code', 'ZEO_UNENCODABLE');
    }
  });

  it('refuses payloads that are not ZEO messages', () => {
    const cases: [string, RegExp][] = [
      ['93010203', /4-tuple/], // a 3-array
      ['9401c2a16690ff', /msgpack/], // trailing byte
      ['9401c2', /msgpack/], // truncated
      ['94010201a6', /msgpack|str/], // name is not a str
      ['9401c201c0', /name must be a str/],
      ['9401c2a166c0', /must be a tuple/], // args is None
      ['940102a62e7265706c7900', /error reply/], // error reply without (class, payload)
      ['9401c2a16691d6ff00000000', /datetime|Date|never sends/], // a timestamp extension
    ];
    for (const [hex, pattern] of cases) {
      expect(() => marshaller.decode(Buffer.from(hex, 'hex')), hex).to.throw(ProtocolError, pattern).with.property('code', 'ZEO_BAD_MESSAGE');
    }
  });
});
