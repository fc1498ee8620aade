import { expect } from 'chai';
import path from 'node:path';
import { PickleDecoder, decodePickle, decodeRecord } from '../../src/pickle/decode.js';
import { PickleEncoder, encodePickle, encodeRecord } from '../../src/pickle/encode.js';
import { PyFloat, PyGlobal, Tuple } from '../../src/pickle/values.js';
import { expectedFromFixture, fromFixture, readFixture, refId, refLoad, sharedDir, toFixture } from './fixture-values.js';

interface Vector {
  name: string;
  python_type: string;
  value: unknown;
  protocol3_hex: string;
  protocol2_hex: string;
}

interface RecordFixture {
  name?: string;
  oid: string;
  class_meta: unknown;
  state: unknown;
  class_pickle_hex: string;
  state_pickle_hex: string;
  data_hex: string;
}

const pickles = readFixture(path.join(sharedDir, 'fixtures', 'zodb', 'pickles.json')) as {
  vectors: Vector[];
  zodb_records: RecordFixture[];
};
const sample = readFixture(path.join(sharedDir, 'fixtures', 'zodb', 'sample.expected.json')) as { records: RecordFixture[] };

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

/** Values whose sharing the fixture JSON cannot express, built by hand. */
const sharedList = [1, 2];
const handBuilt = new Map<string, unknown>([['shared_reference', [sharedList, sharedList]]]);
const valueOf = (v: Vector): unknown => (handBuilt.has(v.name) ? handBuilt.get(v.name) : fromFixture(v.value));

describe('pickle codec against shared/fixtures/zodb/pickles.json vectors', () => {
  it('has the 65 vectors the README announces', () => {
    expect(pickles.vectors).to.have.length(65);
  });

  for (const v of pickles.vectors) {
    describe(v.name, () => {
      it('decodes the protocol 3 pickle to the listed value', () => {
        expect(toFixture(decodePickle(hex(v.protocol3_hex)))).to.deep.equal(expectedFromFixture(v.value));
      });

      it('decodes the protocol 2 pickle to the same value', () => {
        expect(toFixture(decodePickle(hex(v.protocol2_hex)))).to.deep.equal(expectedFromFixture(v.value));
      });

      it('encodes the value to the exact protocol 3 bytes', () => {
        expect(encodePickle(valueOf(v)).toString('hex')).to.equal(v.protocol3_hex);
      });

      it('encodes the value to the exact protocol 2 bytes', () => {
        expect(encodePickle(valueOf(v), { protocol: 2 }).toString('hex')).to.equal(v.protocol2_hex);
      });
    });
  }

  it('decodes floats to numbers, wrapping integral ones in PyFloat', () => {
    const byName = new Map(pickles.vectors.map((v) => [v.name, v]));
    const decode = (name: string): unknown => decodePickle(hex(byName.get(name)!.protocol3_hex));
    expect(decode('float_1_5')).to.equal(1.5);
    expect(decode('float_0')).to.be.instanceOf(PyFloat);
    expect(Object.is(decode('float_neg0'), -0)).to.equal(true);
    expect(decode('float_1e300')).to.deep.equal(new PyFloat(1e300));
    expect(decodePickle(hex(byName.get('float_0')!.protocol3_hex), { integralFloats: 'number' })).to.equal(0);
    expect(decode('int_2p53_plus1')).to.equal(2n ** 53n + 1n);
    expect(decode('int_2p31')).to.equal(2 ** 31);
  });

  it('decodes tuples as Tuple and lists as plain arrays', () => {
    const t = decodePickle(hex(pickles.vectors.find((v) => v.name === 'tuple_2')!.protocol3_hex));
    const l = decodePickle(hex(pickles.vectors.find((v) => v.name === 'list_ints')!.protocol3_hex));
    expect(t).to.be.instanceOf(Tuple);
    expect(Object.isFrozen(t)).to.equal(true);
    expect(l).to.not.be.instanceOf(Tuple);
    expect(l).to.deep.equal([1, 2, 3]);
  });

  it('keeps the identity of a shared list (BINGET)', () => {
    const v = decodePickle(hex(pickles.vectors.find((x) => x.name === 'shared_reference')!.protocol3_hex)) as unknown[];
    expect(v[0]).to.equal(v[1]);
  });

  it('returns bytes as views into the input unless copyBytes is set', () => {
    const input = hex(pickles.vectors.find((x) => x.name === 'bytes_small')!.protocol3_hex);
    const view = decodePickle(input) as Buffer;
    const copy = decodePickle(input, { copyBytes: true }) as Buffer;
    expect(copy.toString('hex')).to.equal('00017f80ff');
    input[4] = 0xaa; // first byte of the value: PROTO 3, SHORT_BINBYTES 5, then the bytes
    expect(view[0]).to.equal(0xaa);
    expect(copy[0]).to.equal(0x00);
  });

  it('decodes a dict with int keys as a Map, and any dict as a Map with dicts: "map"', () => {
    const ints = decodePickle(hex(pickles.vectors.find((x) => x.name === 'dict_int_keys')!.protocol3_hex));
    expect(ints).to.be.instanceOf(Map);
    expect([...(ints as Map<unknown, unknown>).entries()]).to.deep.equal([
      [1, 'one'],
      [2, 'two'],
    ]);
    const strs = decodePickle(hex(pickles.vectors.find((x) => x.name === 'dict_str_keys')!.protocol3_hex), { dicts: 'map' });
    expect(strs).to.be.instanceOf(Map);
    expect([...(strs as Map<unknown, unknown>).keys()]).to.deep.equal(['a', 'b', 'c']);
  });
});

function recordTests(records: RecordFixture[], label: (r: RecordFixture) => string): void {
  for (const r of records) {
    describe(label(r), () => {
      const data = hex(r.data_hex);

      it('decodes class pickle and state with one shared memo', () => {
        const { classMeta, state } = decodeRecord(data, { persistentLoad: refLoad });
        expect(toFixture(classMeta)).to.deep.equal(expectedFromFixture(r.class_meta));
        expect(toFixture(state)).to.deep.equal(expectedFromFixture(r.state));
      });

      it('finds the boundary between the two pickles', () => {
        const decoder = new PickleDecoder(data, { persistentLoad: refLoad });
        decoder.load();
        expect(decoder.offset).to.equal(r.class_pickle_hex.length / 2);
        decoder.load();
        expect(decoder.atEnd).to.equal(true);
      });

      it('re-encodes the decoded record to the same bytes', () => {
        const { classMeta, state } = decodeRecord(data, { persistentLoad: refLoad });
        expect(encodeRecord(classMeta, state, { persistentId: refId }).toString('hex')).to.equal(r.data_hex);
      });

      it('encodes the fixture values to the same bytes', () => {
        const oids = new Map<string, Buffer>();
        const encoder = new PickleEncoder({ persistentId: refId });
        encoder.dump(fromFixture(r.class_meta, oids));
        encoder.dump(fromFixture(r.state, oids));
        expect(encoder.finish().toString('hex')).to.equal(r.data_hex);
      });
    });
  }
}

describe('pickle codec against pickles.json zodb_records', () => {
  recordTests(pickles.zodb_records, (r) => r.name ?? r.oid);

  it('resolves the state pickle BINGET 0 to the class pickle global', () => {
    const r = pickles.zodb_records.find((x) => x.name === 'ref_oid_and_class')!;
    const { classMeta, state } = decodeRecord(hex(r.data_hex), { persistentLoad: refLoad, dicts: 'map' });
    const ref = ((state as Map<string, Map<string, unknown>>).get('data')!.get('child') as { pid: Tuple }).pid;
    expect(ref[1]).to.equal(classMeta);
    expect(ref[1]).to.be.instanceOf(PyGlobal);
  });
});

describe('pickle codec against sample.expected.json records', () => {
  recordTests(sample.records, (r) => `oid ${r.oid} record`);
});
