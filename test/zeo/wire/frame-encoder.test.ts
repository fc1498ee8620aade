import { expect } from 'chai';
import { ProtocolError } from '../../../src/zeo/errors.js';
import { FrameDecoder } from '../../../src/zeo/wire/frame-decoder.js';
import { encodeFrame, frameHeader, frameParts, sealFrame } from '../../../src/zeo/wire/frame-encoder.js';

describe('zeo/wire frame encoding', () => {
  const payload = Buffer.from('5a35', 'hex');

  it('prefixes the big-endian payload length', () => {
    expect(encodeFrame(payload).toString('hex')).to.equal('000000025a35');
    expect(frameHeader(0x01020304).toString('hex')).to.equal('01020304');
  });

  it('returns header and the very same payload for vectored writes', () => {
    const [header, body] = frameParts(payload);
    expect(header.toString('hex')).to.equal('00000002');
    expect(body).to.equal(payload);
  });

  it('seals a frame whose payload follows four reserved bytes', () => {
    const frame = Buffer.from('ffffffff4d35', 'hex');
    expect(sealFrame(frame)).to.equal(frame);
    expect(frame.toString('hex')).to.equal('000000024d35');
  });

  it('refuses an empty payload', () => {
    expect(() => encodeFrame(Buffer.alloc(0))).to.throw(ProtocolError).with.property('code', 'ZEO_UNENCODABLE');
    expect(() => sealFrame(Buffer.alloc(4))).to.throw(ProtocolError);
  });

  it('round-trips through the decoder', () => {
    const payloads = [Buffer.from('a'), Buffer.alloc(70_000, 1), Buffer.from('xyz')];
    const frames = new FrameDecoder().push(Buffer.concat(payloads.map(encodeFrame)));
    expect(frames.map((f) => f.length)).to.deep.equal([1, 70_000, 3]);
    expect(frames[1]?.equals(payloads[1] as Buffer)).to.equal(true);
  });
});
