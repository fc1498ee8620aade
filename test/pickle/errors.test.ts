import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { decodePickle } from '../../src/pickle/decode.js';
import { encodePickle, PickleEncoder } from '../../src/pickle/encode.js';
import { PICKLE_ERROR_CODES, PickleError } from '../../src/pickle/errors.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { readFixture, sharedDir } from './fixture-values.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

function decodeError(bytes: Buffer): PickleError {
  try {
    decodePickle(bytes);
  } catch (err) {
    expect(err).to.be.instanceOf(PickleError);
    return err as PickleError;
  }
  throw new Error(`decoding ${bytes.toString('hex')} did not fail`);
}

/** Every single pickle of the shared fixtures (vectors and ZEO frames). */
function fixturePickles(): Buffer[] {
  const out: Buffer[] = [];
  const pickles = readFixture(path.join(sharedDir, 'fixtures', 'zodb', 'pickles.json')) as {
    vectors: Array<{ protocol3_hex: string; protocol2_hex: string }>;
  };
  for (const v of pickles.vectors) out.push(hex(v.protocol3_hex), hex(v.protocol2_hex));
  const wireDir = path.join(sharedDir, 'fixtures', 'zeo-wire');
  for (const file of readdirSync(wireDir).filter((f) => f.endsWith('.pickle.json'))) {
    const { frames } = readFixture(path.join(wireDir, file)) as { frames: Array<{ hex: string }> };
    for (const f of frames) if (f.hex.startsWith('8003')) out.push(hex(f.hex));
  }
  return out;
}

/** A small deterministic PRNG (xorshift32), so failures reproduce. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

describe('pickle decoder errors', () => {
  const cases: Array<[string, string, string, string, number]> = [
    ['an unknown opcode', '8003ff', PICKLE_ERROR_CODES.unknownOpcode, '0xff', 2],
    ['REDUCE on an empty stack', '8003522e', PICKLE_ERROR_CODES.stackUnderflow, 'REDUCE', 2],
    ['STOP on an empty stack', '2e', PICKLE_ERROR_CODES.stackUnderflow, 'STOP', 0],
    ['APPENDS with nothing below its MARK', '28' + '4b01' + '652e', PICKLE_ERROR_CODES.stackUnderflow, 'APPENDS', 3],
    ['TUPLE without a MARK', '4b01742e', PICKLE_ERROR_CODES.stackUnderflow, 'TUPLE', 2],
    ['a BINGET of an empty memo slot', '800368052e', PICKLE_ERROR_CODES.badMemoRef, 'BINGET', 2],
    ['a LONG_BINGET of an empty memo slot', '80036a000100002e', PICKLE_ERROR_CODES.badMemoRef, 'LONG_BINGET', 2],
    ['input without STOP', '80034b01', PICKLE_ERROR_CODES.truncated, 'EOF', 4],
    ['empty input', '', PICKLE_ERROR_CODES.truncated, 'EOF', 0],
    ['a cut BINUNICODE', '8003580500000068652e', PICKLE_ERROR_CODES.truncated, 'BINUNICODE', 2],
    ['a GLOBAL without its newline', '8003636275696c74696e73', PICKLE_ERROR_CODES.truncated, 'GLOBAL', 2],
    ['invalid UTF-8 in BINUNICODE', '80035802000000fffe2e', PICKLE_ERROR_CODES.badValue, 'BINUNICODE', 2],
    ['a negative BINSTRING length', '54ffffffff2e', PICKLE_ERROR_CODES.badValue, 'BINSTRING', 0],
    ['SETITEM on an int', '4b014b024b03732e', PICKLE_ERROR_CODES.badValue, 'SETITEM', 6],
    ['APPEND to a tuple', '294b01612e', PICKLE_ERROR_CODES.badValue, 'APPEND', 3],
    ['BUILD on a list', '5d4b01622e', PICKLE_ERROR_CODES.badValue, 'BUILD', 3],
    ['an unquoted STRING', '536162630a2e', PICKLE_ERROR_CODES.badValue, 'STRING', 0],
    ['a bad INT literal', '49317a0a2e', PICKLE_ERROR_CODES.badValue, 'INT', 0],
    ['protocol 6', '8006', PICKLE_ERROR_CODES.unsupported, 'PROTO', 0],
    ['an extension-registry opcode', '8201', PICKLE_ERROR_CODES.unsupported, 'EXT1', 0],
    ['an out-of-band buffer', '80059798', PICKLE_ERROR_CODES.unsupported, 'NEXT_BUFFER', 2],
    ['a persistent id without a persistentLoad hook', '8003430800000000000000015151', PICKLE_ERROR_CODES.noPersistentLoad, 'BINPERSID', 12],
    ['bytes after STOP', '80034e2e00', PICKLE_ERROR_CODES.trailingData, 'STOP', 3],
  ];
  for (const [what, input, code, opcode, offset] of cases) {
    it(`reports ${what} with the opcode and offset`, () => {
      const err = decodeError(hex(input));
      expect({ code: err.code, opcode: err.opcode, offset: err.offset }).to.deep.equal({ code, opcode, offset });
      expect(err.message).to.contain(`${opcode} at offset ${offset}`);
    });
  }

  it('reports every truncation of every fixture pickle as PICKLE_TRUNCATED inside the input', () => {
    let checked = 0;
    for (const pickle of fixturePickles()) {
      for (let n = 0; n < pickle.length; n++) {
        const err = decodeError(pickle.subarray(0, n));
        expect(err.code, `${pickle.toString('hex')} cut at ${n}`).to.equal(PICKLE_ERROR_CODES.truncated);
        expect(err.offset).to.be.within(0, n);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(10_000);
  });

  it('never throws anything but PickleError on random or corrupted input', () => {
    const random = prng(0x5eed);
    const pickles = fixturePickles();
    let failures = 0;
    for (let i = 0; i < 20_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) {
        input = Buffer.alloc(1 + Math.floor(random() * 48));
        for (let k = 0; k < input.length; k++) input[k] = Math.floor(random() * 256);
      } else {
        input = Buffer.from(pickles[Math.floor(random() * pickles.length)] as Buffer);
        for (let flips = 1 + Math.floor(random() * 3); flips > 0; flips--) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      }
      try {
        decodePickle(input);
      } catch (err) {
        if (!(err instanceof PickleError)) throw new Error(`input ${input.toString('hex')} threw ${String(err)}`, { cause: err });
        expect(err.offset).to.be.within(0, input.length);
        failures++;
      }
    }
    expect(failures).to.be.greaterThan(10_000);
  });

  it('rejects integer text longer than Python accepts', () => {
    const err = decodeError(Buffer.from(`I${'9'.repeat(5000)}\n.`, 'latin1'));
    expect(err.code).to.equal(PICKLE_ERROR_CODES.badValue);
    expect(err.reason).to.contain('4300');
  });

  it('checks its options and arguments', () => {
    expect(() => decodePickle(hex('4e2e'), { dicts: 'object' as 'map' })).to.throw(InvalidArgumentError, /dicts/);
    expect(() => decodePickle('4e2e' as unknown as Buffer)).to.throw(InvalidArgumentError, /Buffer/);
    expect(() => encodePickle(null, { protocol: 4 as 3 })).to.throw(InvalidArgumentError, /protocol/);
    expect(() => encodePickle(null, { persistentId: 1 as unknown as () => undefined })).to.throw(InvalidArgumentError, /persistentId/);
  });
});

describe('pickle encoder errors', () => {
  for (const [what, value] of [
    ['undefined', undefined],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
    ['a class instance without a reduction', new Date(0)],
  ] as const) {
    it(`refuses ${what} with PICKLE_UNPICKLABLE`, () => {
      expect(() => encodePickle([1, value])).to.throw(PickleError).with.property('code', PICKLE_ERROR_CODES.unpicklable);
    });
  }

  it('refuses a cycle in fast mode instead of overflowing the stack', () => {
    const list: unknown[] = [];
    list.push(list);
    expect(() => encodePickle(list, { memoize: false })).to.throw(PickleError, /cyclic/);
    expect(encodePickle(list).toString('hex')).to.equal('80035d71006800612e');
  });

  it('leaves earlier dumps intact when a dump fails', () => {
    const encoder = new PickleEncoder().dump('ok');
    expect(() => encoder.dump([undefined])).to.throw(PickleError);
    expect(encoder.finish().toString('hex')).to.equal('800358020000006f6b71002e');
  });
});
