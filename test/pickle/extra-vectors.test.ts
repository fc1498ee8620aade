import { expect } from 'chai';
import path from 'node:path';
import { decodePickle } from '../../src/pickle/decode.js';
import { encodePickle } from '../../src/pickle/encode.js';
import { Tuple, tuple } from '../../src/pickle/values.js';
import { expectedFromFixture, fromFixture, localFixturesDir, readFixture, toFixture } from './fixture-values.js';

interface ExtraVector {
  name: string;
  protocol: number;
  fast: boolean;
  encode: boolean;
  value: unknown;
  hex: string;
}

// Written by CPython's stdlib C pickler, see fixtures/generate-extra-vectors.py.
const extra = readFixture(path.join(localFixturesDir, 'extra-vectors.json')) as {
  vectors: ExtraVector[];
  special: Record<string, string>;
};

/** Vectors whose bytes depend on object identity, which the JSON rendering loses. */
const IDENTITY_DEPENDENT = new Set(['shared_list', 'shared_tuple', 'bytes_shared']);

describe('pickle codec against extra CPython vectors (test/pickle/fixtures)', () => {
  for (const v of extra.vectors) {
    const label = `${v.name} (protocol ${v.protocol}${v.fast ? ', fast mode' : ''})`;
    const bytes = Buffer.from(v.hex, 'hex');

    it(`${label} decodes to the rendered value`, () => {
      expect(toFixture(decodePickle(bytes))).to.deep.equal(expectedFromFixture(v.value));
    });

    if (!v.encode) continue;
    const options = { protocol: v.protocol as 2 | 3, memoize: !v.fast };

    it(`${label} re-encodes byte for byte`, () => {
      expect(encodePickle(decodePickle(bytes), options).toString('hex')).to.equal(v.hex);
    });

    if (!IDENTITY_DEPENDENT.has(v.name)) {
      it(`${label} encodes from the rendered value byte for byte`, () => {
        expect(encodePickle(fromFixture(v.value), options).toString('hex')).to.equal(v.hex);
      });
    }
  }

  for (const [name, protocol] of [
    ['self_containing_tuple', 3],
    ['self_containing_tuple_p2', 2],
  ] as const) {
    it(`writes and reads a tuple that contains itself through a list (${name})`, () => {
      const list: unknown[] = [];
      const t = tuple(list);
      list.push(t);
      const expected = extra.special[name] as string;
      expect(encodePickle(t, { protocol }).toString('hex')).to.equal(expected);
      const decoded = decodePickle(Buffer.from(expected, 'hex')) as Tuple<unknown[]>;
      expect(decoded).to.be.instanceOf(Tuple);
      expect(decoded[0]![0]).to.equal(decoded);
    });
  }
});
