import { expect } from 'chai';
import { PickleDecoder, decodePickle, decodePickleAt, decodeRecord } from '../../src/pickle/decode.js';
import { PickleEncoder, encodePickle } from '../../src/pickle/encode.js';
import {
  EMPTY_TUPLE,
  PyFloat,
  PyGlobal,
  PyObject,
  Tuple,
  pickleCall,
  pickleNew,
  pickleReduce,
  pickleSetState,
  tuple,
  type PickleReduction,
} from '../../src/pickle/values.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
// From shared/fixtures/zodb/pickles.json.
const POINT_HEX =
  '80036373616d706c655f6170702e6d6f64656c730a506f696e740a7100298171017d71022858010000007871034b01580100000079710458030000007477' +
  '6f710575622e';
const DECIMAL_HEX = '800363646563696d616c0a446563696d616c0a71005804000000312e313071018571025271032e';
const POINT_GLOBAL = new PyGlobal('sample_app.models', 'Point');

class JsPoint {
  x: unknown;
  y: unknown;
  static [pickleNew](args: Tuple): JsPoint {
    expect(args).to.equal(EMPTY_TUPLE);
    return new JsPoint();
  }
  [pickleSetState](state: unknown): void {
    Object.assign(this, state);
  }
  [pickleReduce](): PickleReduction {
    return { kind: 'newobj', callable: POINT_GLOBAL, args: EMPTY_TUPLE, state: { x: this.x, y: this.y } };
  }
}

describe('pickle value model', () => {
  it('makes tuples frozen arrays that map to plain arrays', () => {
    const t = tuple(1, 'a');
    expect(Array.isArray(t)).to.equal(true);
    expect(t).to.be.instanceOf(Tuple);
    expect(Object.isFrozen(t)).to.equal(true);
    expect(t.map((x) => x)).to.not.be.instanceOf(Tuple);
    const [a, b] = t;
    expect([a, b]).to.deep.equal([1, 'a']);
  });

  it('writes numbers as ints when integral and as floats otherwise, PyFloat always as float', () => {
    expect(encodePickle(3).toString('hex')).to.equal('80034b032e');
    expect(encodePickle(new PyFloat(3)).toString('hex')).to.equal('8003474008000000000000' + '2e');
    expect(encodePickle(-0).toString('hex')).to.equal('80034780000000000000002e');
    expect(encodePickle(2 ** 53).toString('hex')).to.equal('80038a0700000000000020' + '2e');
    expect(encodePickle(5n).toString('hex')).to.equal('80034b052e');
    expect(+new PyFloat(2)).to.equal(2);
    expect(String(new PyFloat(2))).to.equal('2.0');
  });

  it('decodes a dict to a plain object only when its keys keep their order there', () => {
    expect(decodePickle(encodePickle({ b: 1, a: 2 }))).to.deep.equal({ b: 1, a: 2 });
    for (const key of ['10', '__proto__']) {
      const decoded = decodePickle(encodePickle(new Map<string, number>([['z', 1], [key, 2]])));
      expect(decoded).to.be.instanceOf(Map);
      expect([...(decoded as Map<string, number>).keys()]).to.deep.equal(['z', key]);
    }
  });

  it('swaps a memoized dict for a Map everywhere when a later key needs one', () => {
    const dict = new Map<unknown, unknown>([['a', 1], [2, 'b']]);
    const [first, second] = decodePickle(encodePickle([dict, dict])) as unknown[];
    expect(first).to.be.instanceOf(Map);
    expect(second).to.equal(first);
    expect([...(first as Map<unknown, unknown>).entries()]).to.deep.equal([...dict.entries()]);
  });

  it('reads Python 2 strings as text when ASCII and as bytes otherwise, or as asked', () => {
    // The Zope 2-era protocol-1 record quoted in zodb-formats.md §4.3.
    const record = hex(
      '2828550b50657273697374656e63657101551150657273697374656e744d617070696e677471024e742e' +
        '7d7103550a5f636f6e7461696e65727104' + '7d71055507' + '76657273696f6e' + '7106550' + '36f6c647107' + '73732e',
    );
    const { classMeta, state } = decodeRecord(record);
    expect(classMeta).to.deep.equal(tuple(tuple('Persistence', 'PersistentMapping'), null));
    expect(state).to.deep.equal({ _container: { version: 'old' } });
    expect(decodePickle(hex('5502e9e92e'))).to.deep.equal(Buffer.from([0xe9, 0xe9]));
    expect(decodePickle(hex('5502e9e92e'), { py2Strings: 'latin1' })).to.equal('éé');
    expect(decodePickle(hex('55026f6b2e'), { py2Strings: 'bytes' })).to.deep.equal(Buffer.from('ok'));
  });

  it('renames Python 2 globals in protocol < 3 pickles unless told not to', () => {
    const p2 = hex('8002635f5f6275696c74696e5f5f0a7365740a71002e');
    expect(decodePickle(p2)).to.deep.equal(new PyGlobal('builtins', 'set'));
    expect(decodePickle(p2, { fixImports: false })).to.deep.equal(new PyGlobal('__builtin__', 'set'));
    expect(encodePickle(new PyGlobal('builtins', 'set'), { protocol: 2 }).equals(p2)).to.equal(true);
  });

  it('keeps unknown REDUCE and NEWOBJ results as PyObject', () => {
    const point = decodePickle(hex(POINT_HEX)) as PyObject;
    expect(point).to.be.instanceOf(PyObject);
    expect([point.kind, point.module, point.name]).to.deep.equal(['newobj', 'sample_app.models', 'Point']);
    expect(point.state).to.deep.equal({ x: 1, y: 'two' });
  });
});

describe('pickle hooks', () => {
  it('lets findClass supply constructors for NEWOBJ and BUILD, and pickleReduce write them back', () => {
    const seen: string[] = [];
    const findClass = (module: string, name: string): unknown => {
      seen.push(`${module}.${name}`);
      return name === 'Point' ? JsPoint : undefined;
    };
    const point = decodePickle(hex(POINT_HEX), { findClass });
    expect(seen).to.deep.equal(['sample_app.models.Point']);
    expect(point).to.be.instanceOf(JsPoint);
    expect(point).to.include({ x: 1, y: 'two' });
    expect(encodePickle(point).toString('hex')).to.equal(POINT_HEX);
  });

  it('lets findClass supply a callable for REDUCE; undefined from it keeps the generic object', () => {
    const decimal = { [pickleCall]: (args: Tuple) => ({ decimal: args[0] }) };
    expect(decodePickle(hex(DECIMAL_HEX), { findClass: () => decimal })).to.deep.equal({ decimal: '1.10' });
    const declining = { [pickleCall]: () => undefined };
    expect(decodePickle(hex(DECIMAL_HEX), { findClass: () => declining })).to.be.instanceOf(PyObject);
  });

  it('uses the reducer option for objects it cannot pickle otherwise', () => {
    class Money {
      constructor(readonly text: string) {}
    }
    const reducer = (value: object): PickleReduction | undefined =>
      value instanceof Money ? { callable: new PyGlobal('decimal', 'Decimal'), args: [value.text] } : undefined;
    expect(encodePickle(new Money('1.10'), { reducer }).toString('hex')).to.equal(DECIMAL_HEX);
  });

  it('calls persistentId for objects only, and pickles the pid without asking again', () => {
    const asked: unknown[] = [];
    const target = { oid: Buffer.from('0000000000000001', 'hex') };
    const persistentId = (value: object): unknown => {
      asked.push(value);
      return value === target ? tuple(target.oid, new PyGlobal('persistent.list', 'PersistentList')) : undefined;
    };
    const bytes = encodePickle({ a: target, n: 1, s: 'x' }, { persistentId });
    expect(asked[0]).to.deep.equal({ a: target, n: 1, s: 'x' });
    expect(asked).to.include(target);
    expect(asked.every((v) => typeof v === 'object')).to.equal(true);
    expect(asked.some((v) => v instanceof Tuple)).to.equal(false);
    const loaded: unknown[] = [];
    const decoded = decodePickle(bytes, { persistentLoad: (pid) => (loaded.push(pid), 'REF') });
    expect(decoded).to.deep.equal({ a: 'REF', n: 1, s: 'x' });
    expect(loaded[0]).to.deep.equal(tuple(target.oid, new PyGlobal('persistent.list', 'PersistentList')));
  });
});

describe('pickle streams and records', () => {
  it('decodes back-to-back pickles and reports where each ends', () => {
    const both = Buffer.concat([encodePickle('a'), encodePickle([1])]);
    const first = decodePickleAt(both, 0);
    expect(first).to.deep.equal({ value: 'a', end: 11 });
    expect(decodePickleAt(both, first.end)).to.deep.equal({ value: [1], end: both.length });
  });

  it('shares the memo across dumps until clearMemo', () => {
    const shared = Buffer.from('oid');
    const bytes = new PickleEncoder().dump(shared).dump(tuple(shared)).finish();
    expect(bytes.toString('hex')).to.equal('80034303' + '6f6964' + '71002e' + '8003' + '6800' + '85' + '7101' + '2e');
    const decoder = new PickleDecoder(bytes);
    const a = decoder.load();
    expect((decoder.load() as Tuple)[0]).to.equal(a);
    const cleared = new PickleEncoder().dump(shared).clearMemo().dump(shared).finish();
    expect(cleared.toString('hex')).to.equal('800343036f696471002e' + '800343036f696471002e');
  });

  it('writes lists and dicts in batches of 1000 like the C pickler', () => {
    const list = Array.from({ length: 1001 }, () => null);
    const bytes = encodePickle(list, { memoize: false });
    expect(bytes.subarray(0, 4).toString('hex')).to.equal('80035d28');
    // …999 × None, APPENDS, then a second batch MARK None APPENDS (the list rule has no lone APPEND).
    expect(bytes.subarray(-6).toString('hex')).to.equal('4e65284e652e');
    const dict = new Map(Array.from({ length: 1000 }, (_, i) => [i, null] as const));
    // A dict of exactly 1000 items ends with an empty MARK SETITEMS batch.
    expect(encodePickle(dict, { memoize: false }).subarray(-5).toString('hex')).to.equal('4e7528752e');
  });
});
