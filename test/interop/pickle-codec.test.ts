// The pickle codec (src/pickle) against real Python: a seeded corpus of
// nested values is pickled by CPython's pickle and by zodbpickle
// (protocols 2 and 3) and decoded here; our encodings are loaded there;
// protocol 3 output must be byte-identical to zodbpickle's (what ZODB
// writes), with CPython's object sharing mirrored (see tagged-json.ts).
import { expect } from 'chai';
import { findValueClass, reduceJsValue } from '../../src/db/python-values.js';
import { decodePickle } from '../../src/pickle/decode.js';
import { encodePickle } from '../../src/pickle/encode.js';
import type { Tuple } from '../../src/pickle/values.js';
import { PythonWorker } from './python-worker.js';
import { canonical, fromTagged, toTagged, type Tagged } from './tagged-json.js';
import { valueCorpus } from './value-corpus.js';

interface Dumped {
  value: Tagged;
  std2: string;
  std3: string;
  zodb2: string;
  zodb3: string;
}

interface Loaded {
  std: Tagged;
  zodb: Tagged;
}

const SEED = 20240611;
const RANDOM_VALUES = 500;

const decode = (hex: string): unknown => decodePickle(Buffer.from(hex, 'hex'), { findClass: findValueClass });
const encode = (value: unknown, protocol: 2 | 3): string => encodePickle(value, { protocol, reducer: reduceJsValue }).toString('hex');
const same = (a: Tagged, b: Tagged): boolean => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const preview = (value: Tagged): string => {
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
};

describe('interop: pickle codec ↔ CPython pickle and zodbpickle', function () {
  let python: PythonWorker | undefined;
  let corpus: Tagged[];
  let dumped: Dumped[];
  // Our values, built from Python's own description (so sets iterate in Python's order).
  let ours: unknown[];

  before(async function () {
    python = await PythonWorker.start();
    corpus = valueCorpus(SEED, RANDOM_VALUES);
    dumped = await python.call<Dumped[]>('pickle_dump', { values: corpus });
    ours = dumped.map((d) => fromTagged(d.value, { singletons: new Map() }));
  });

  after(() => python?.close());

  it(`Python builds every corpus value as described (${RANDOM_VALUES} random + fixed edge cases)`, () => {
    expect(dumped).to.have.length(corpus.length);
    expect(corpus.length).to.be.greaterThan(RANDOM_VALUES + 50);
    const wrong = corpus.flatMap((value, i) => (same(value, (dumped[i] as Dumped).value) ? [] : [i]));
    expect(wrong).to.deep.equal([]);
  });

  for (const source of ['std2', 'std3', 'zodb2', 'zodb3'] as const) {
    it(`decodes ${source === 'std2' || source === 'std3' ? 'pickle' : 'zodbpickle'} protocol ${source.slice(-1)} pickles to the same values`, () => {
      const wrong: string[] = [];
      for (const [i, d] of dumped.entries()) {
        const got = toTagged(decode(d[source]));
        if (!same(got, d.value)) wrong.push(`#${i}: ${preview(d.value)} decoded as ${preview(got)}`);
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  for (const protocol of [2, 3] as const) {
    it(`encodes protocol ${protocol} pickles that pickle and zodbpickle load to the same values`, async () => {
      const pickles = ours.map((value) => encode(value, protocol));
      const loaded = await (python as PythonWorker).call<Loaded[]>('pickle_load', { pickles });
      const wrong: string[] = [];
      for (const [i, l] of loaded.entries()) {
        const expected = (dumped[i] as Dumped).value;
        if (!same(l.std, expected)) wrong.push(`#${i} pickle: ${preview(expected)} loaded as ${preview(l.std)}`);
        if (!same(l.zodb, expected)) wrong.push(`#${i} zodbpickle: ${preview(expected)} loaded as ${preview(l.zodb)}`);
      }
      expect(wrong).to.deep.equal([]);
    });
  }

  it('encodes protocol 3 byte-identical to zodbpickle (and to CPython pickle)', () => {
    const wrong: string[] = [];
    for (const [i, d] of dumped.entries()) {
      const mine = encode(ours[i], 3);
      if (mine !== d.zodb3) wrong.push(`#${i} ${preview(d.value)}\n  zodbpickle ${d.zodb3.slice(0, 400)}\n  ours       ${mine.slice(0, 400)}`);
      if (d.std3 !== d.zodb3) wrong.push(`#${i}: pickle and zodbpickle differ`);
    }
    expect(wrong).to.deep.equal([]);
  });

  it('encodes protocol 2 byte-identical to zodbpickle and CPython pickle', () => {
    const wrong: string[] = [];
    for (const [i, d] of dumped.entries()) {
      const mine = encode(ours[i], 2);
      if (mine !== d.zodb2) wrong.push(`#${i} ${preview(d.value)}\n  zodbpickle ${d.zodb2.slice(0, 400)}\n  ours       ${mine.slice(0, 400)}`);
      if (d.std2 !== d.zodb2) wrong.push(`#${i}: pickle and zodbpickle differ`);
    }
    expect(wrong).to.deep.equal([]);
  });

  it('keeps the sharing and cycles of Python objects, and re-encodes them to the same bytes', async () => {
    const pickles = await (python as PythonWorker).call<Record<string, string>>('pickle_shared');
    const decoded = Object.fromEntries(Object.entries(pickles).map(([name, hex]) => [name, decode(hex)]));
    const loop = decoded.list_in_itself as unknown[];
    expect(loop[0]).to.equal(loop);
    const mine = decoded.dict_in_itself as Record<string, unknown>;
    expect(mine.self).to.equal(mine);
    const [a, b, c] = decoded.shared_list as [unknown[], unknown[], Tuple];
    expect(a).to.deep.equal([1, 2]);
    expect(b).to.equal(a);
    expect(c[0]).to.equal(a);
    const [t1, t2] = decoded.tuple_list_cycle as [Tuple<unknown[]>, Tuple<unknown[]>];
    expect(t2).to.equal(t1);
    expect(t1[0]?.[0]).to.equal(t1);
    for (const [name, hex] of Object.entries(pickles)) expect(encode(decoded[name], 3), name).to.equal(hex);
  });

  it('re-encodes decoded protocol 3 pickles to the same bytes', () => {
    const wrong = dumped.flatMap((d, i) => (encode(decode(d.zodb3), 3) === d.zodb3 ? [] : [`#${i} ${preview(d.value)}`]));
    expect(wrong).to.deep.equal([]);
  });
});
