import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { decodePickle } from '../../src/pickle/decode.js';
import { encodePickle } from '../../src/pickle/encode.js';
import { Tuple, tuple } from '../../src/pickle/values.js';
import { expectedFromFixture, fromFixture, readFixture, sharedDir, toFixture } from './fixture-values.js';

interface Frame {
  seq: number;
  dir: string;
  hex: string;
  decoded: unknown;
  typed?: unknown;
}

const wireDir = path.join(sharedDir, 'fixtures', 'zeo-wire');
const files = readdirSync(wireDir).filter((f) => f.endsWith('.pickle.json'));

describe('pickle codec against shared/fixtures/zeo-wire pickle frames', () => {
  it('finds the eight pickle transcripts', () => {
    expect(files).to.have.length(8);
  });

  for (const file of files) {
    const { frames } = readFixture(path.join(wireDir, file)) as { frames: Frame[] };

    describe(file, () => {
      it('has a typed rendering for exactly the frames that are pickles', () => {
        // Other frames are handshakes, JSON status, or msgpack after an `M5` answer.
        for (const f of frames) expect(f.typed !== undefined, `frame ${f.seq}`).to.equal(f.hex.startsWith('8003'));
      });

      const messages = frames.filter((f) => f.typed !== undefined);
      for (const f of messages) {
        it(`frame ${f.seq} (${f.dir}) decodes, encodes and round-trips byte for byte`, () => {
          const bytes = Buffer.from(f.hex, 'hex');
          const value = decodePickle(bytes);
          expect(toFixture(value)).to.deep.equal(expectedFromFixture(f.typed));
          expect(encodePickle(fromFixture(f.typed), { memoize: false }).toString('hex')).to.equal(f.hex);
          expect(encodePickle(value, { memoize: false }).toString('hex')).to.equal(f.hex);
        });
      }
    });
  }
});

describe('pickle codec on the ZEO examples of zeo-protocol.md', () => {
  it('writes the first register call exactly (§4.1)', () => {
    const msg = tuple(1, false, 'register', tuple('1', 0));
    expect(encodePickle(msg, { memoize: false }).toString('hex')).to.equal(
      '8003284b0189580800000072656769737465725801000000314b008674' + '2e',
    );
  });

  it('writes the heartbeat exactly (§5)', () => {
    const heartbeat = tuple(-1, 0, '.reply', null);
    expect(encodePickle(heartbeat, { memoize: false }).toString('hex')).to.equal('8003284affffffff4b0058060000002e7265706c794e742e');
  });

  it('keeps a loadBefore msgid a tuple and the transaction handle an exact integer (§4, §14)', () => {
    const frame = Buffer.from('800328' + '4b05' + '89' + '5804000000766f7465' + '8a06907b5dd9ac7f85' + '742e', 'hex');
    const [msgid, flag, name, args] = decodePickle(frame) as Tuple;
    expect([msgid, flag, name]).to.deep.equal([5, false, 'vote']);
    expect(args).to.be.instanceOf(Tuple);
    expect((args as Tuple)[0]).to.equal(140380357884816);
    const reply = Buffer.from('8003284308' + '0000000000000000' + '4308' + '0000000000000001' + '86' + '4b02' + '58060000002e7265706c79' + '581d0000005a4f44422e504f53457863657074696f6e2e504f534b65794572726f72' + '4308000000000000000085' + '86742e', 'hex');
    const decoded = decodePickle(reply) as Tuple;
    expect(decoded[0]).to.be.instanceOf(Tuple);
    expect(encodePickle(decoded, { memoize: false }).equals(reply)).to.equal(true);
  });
});
