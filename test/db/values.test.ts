// The Python ↔ TypeScript value table (src/db/values.md) against the
// pickle vectors of shared/fixtures/zodb/pickles.json: every vector decodes
// to the documented type and encodes back to Python's exact bytes.
import { expect } from 'chai';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { findValueClass, PyDate, PyDateTime, PyDecimal, PyFrozenSet, reduceJsValue } from '../../src/db/python-values.js';
import { decodePickle } from '../../src/pickle/decode.js';
import { encodePickle } from '../../src/pickle/encode.js';
import { PyFloat, PyObject, Tuple } from '../../src/pickle/values.js';
import { expectedJson, hex, pickleFixtures, toJson } from './db-test-support.js';

const decode = (h: string): unknown => decodePickle(hex(h), { findClass: findValueClass });
const encode = (value: unknown): string => encodePickle(value, { reducer: reduceJsValue }).toString('hex');
const vector = (name: string): { protocol3_hex: string; protocol2_hex: string } => {
  const v = pickleFixtures.vectors.find((x) => x.name === name);
  if (v === undefined) throw new Error(`no vector ${name}`);
  return v;
};

describe('db values: Python ↔ TypeScript table against the pickle vectors', () => {
  const registry = new ClassRegistry();

  for (const v of pickleFixtures.vectors) {
    it(`${v.name}: decodes to the listed value and re-encodes to Python's protocol 3 bytes`, () => {
      const value = decode(v.protocol3_hex);
      expect(toJson(value, registry)).to.deep.equal(expectedJson(v.value));
      expect(encode(value)).to.equal(v.protocol3_hex);
    });

    it(`${v.name}: the protocol 2 pickle decodes to the same value`, () => {
      expect(toJson(decode(v.protocol2_hex), registry)).to.deep.equal(expectedJson(v.value));
    });
  }

  it('maps None, bool, int, float and str to the JS primitives', () => {
    expect(decode(vector('none').protocol3_hex)).to.equal(null);
    expect(decode(vector('true').protocol3_hex)).to.equal(true);
    expect(decode(vector('int_2p31').protocol3_hex)).to.equal(2147483648);
    expect(decode(vector('float_1_5').protocol3_hex)).to.equal(1.5);
    expect(decode(vector('float_0').protocol3_hex)).to.be.instanceOf(PyFloat);
    expect(decode(vector('str_astral').protocol3_hex)).to.equal('😀');
  });

  it('maps ints beyond 2^53 to bigint, bytes to Buffer, tuples to Tuple, lists to arrays', () => {
    expect(decode(vector('int_2p53_plus1').protocol3_hex)).to.equal(9007199254740993n);
    expect(decode(vector('bytes_small').protocol3_hex)).to.deep.equal(Buffer.from('00017f80ff', 'hex'));
    expect(decode(vector('tuple_2').protocol3_hex)).to.be.instanceOf(Tuple);
    const list = decode(vector('list_ints').protocol3_hex);
    expect(Array.isArray(list) && !(list instanceof Tuple)).to.equal(true);
  });

  it('maps str-keyed dicts to plain objects and other dicts to Map', () => {
    expect(decode(vector('dict_str_keys').protocol3_hex)).to.deep.equal({ a: 1, b: [1, 2], c: null });
    const map = decode(vector('dict_int_keys').protocol3_hex) as Map<number, string>;
    expect(map).to.be.instanceOf(Map);
    expect(map.get(2)).to.equal('two');
  });

  it('maps set to Set and frozenset to PyFrozenSet', () => {
    const set = decode(vector('set').protocol3_hex);
    expect(set).to.be.instanceOf(Set);
    expect([...(set as Set<number>)]).to.deep.equal([1, 2, 3]);
    expect(encode(new Set([1, 2, 3]))).to.equal(vector('set').protocol3_hex);
    const frozen = decode(vector('frozenset').protocol3_hex) as PyFrozenSet<string>;
    expect(frozen).to.be.instanceOf(PyFrozenSet);
    expect(frozen.has('a')).to.equal(true);
    expect(() => frozen.add('b')).to.throw(TypeError);
    expect(encode(new PyFrozenSet(['a']))).to.equal(vector('frozenset').protocol3_hex);
  });

  it('maps datetime.datetime to PyDateTime with microseconds, and a JS Date to a UTC datetime', () => {
    const naive = decode(vector('datetime').protocol3_hex) as PyDateTime;
    expect(naive).to.be.instanceOf(PyDateTime);
    expect([naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second, naive.microsecond]).to.deep.equal([2024, 1, 2, 3, 4, 5, 678901]);
    expect(naive.aware).to.equal(false);
    expect(naive.toDate().toISOString()).to.equal('2024-01-02T03:04:05.678Z');
    expect(encode(new PyDateTime(2024, 1, 2, 3, 4, 5, 678901))).to.equal(vector('datetime').protocol3_hex);

    const utc = decode(vector('datetime_utc').protocol3_hex) as PyDateTime;
    expect(utc.aware).to.equal(true);
    expect(utc.toString()).to.equal('2024-01-02T03:04:05+00:00');
    expect(encode(new Date(Date.UTC(2024, 0, 2, 3, 4, 5)))).to.equal(vector('datetime_utc').protocol3_hex);
    expect(encode(PyDateTime.fromDate(utc.toDate()))).to.equal(vector('datetime_utc').protocol3_hex);
  });

  it('maps datetime.date to PyDate and decimal.Decimal to PyDecimal', () => {
    const date = decode(vector('date').protocol3_hex) as PyDate;
    expect(date).to.be.instanceOf(PyDate);
    expect(date.toString()).to.equal('2024-02-29');
    expect(encode(new PyDate(2024, 2, 29))).to.equal(vector('date').protocol3_hex);
    const decimal = decode(vector('decimal').protocol3_hex) as PyDecimal;
    expect(decimal).to.be.instanceOf(PyDecimal);
    expect(decimal.value).to.equal('1.10');
    expect(encode(new PyDecimal('1.10'))).to.equal(vector('decimal').protocol3_hex);
  });

  it('keeps instances of other classes as PyObject, which re-encode unchanged', () => {
    const point = decode(vector('user_object').protocol3_hex) as PyObject;
    expect(point).to.be.instanceOf(PyObject);
    expect(point.name).to.equal('Point');
    expect(point.state).to.deep.equal({ x: 1, y: 'two' });
  });

  it('refuses impossible dates with InvalidArgumentError', () => {
    expect(() => new PyDateTime(2024, 13, 1)).to.throw(/month must be an integer from 1 to 12/);
    expect(() => new PyDate(0, 1, 1)).to.throw(/bad year/);
  });
});
