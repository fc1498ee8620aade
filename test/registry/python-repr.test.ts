import { expect } from 'chai';
import { PythonFloat } from '../../src/registry/property-value.js';
import {
  formatBytesRepr,
  formatFloatRepr,
  formatFloatStr,
  formatPythonRepr,
  formatPythonStr,
  formatUnicodeRepr,
} from '../../src/registry/python-repr.js';
import { compareCodePoints, python2DictOrder, python2UnicodeHash } from '../../src/registry/python2-ordering.js';
import { pythonValueVectors } from './vectors.js';

const pyFloat = (text: string): number =>
  text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text === 'nan' ? NaN : Number(text);

describe('registry/python-repr', () => {
  const vectors = pythonValueVectors();

  it("formats floats as Python's repr() and Python 2's str()", () => {
    for (const v of vectors.floatStr) {
      const x = pyFloat(v.value);
      expect(formatFloatRepr(x), v.value).to.equal(v.repr);
      expect(formatFloatStr(x), v.value).to.equal(v.str);
    }
    expect(formatFloatRepr(NaN)).to.equal('nan');
    expect(formatFloatRepr(-Infinity)).to.equal('-inf');
  });

  it('formats byte strings as Python 2 repr()', () => {
    for (const v of vectors.bytesRepr) {
      expect(formatBytesRepr(Buffer.from(v.hex, 'hex')), v.repr).to.equal(v.repr);
    }
  });

  it('formats unicode strings as Python 2 repr()', () => {
    expect(formatUnicodeRepr('')).to.equal("u''");
    expect(formatUnicodeRepr("it's")).to.equal('u"it\'s"');
    expect(formatUnicodeRepr('both \' and "')).to.equal("u'both \\' and \"'");
    expect(formatUnicodeRepr('\t\n\r\0\x1f\x7f\x80\xff\u0100\uffff😀\ud800')).to.equal(
      "u'\\t\\n\\r\\x00\\x1f\\x7f\\x80\\xff\\u0100\\uffff\\U0001f600\\ud800'",
    );
  });

  it('formats integers with L beyond 64 bits, floats, containers', () => {
    expect(formatPythonRepr(9223372036854775807n)).to.equal('9223372036854775807');
    expect(formatPythonRepr(9223372036854775808n)).to.equal('9223372036854775808L');
    expect(formatPythonRepr(-9223372036854775808n)).to.equal('-9223372036854775808');
    expect(formatPythonRepr(-0)).to.equal('0');
    expect(formatPythonRepr(2 ** 60)).to.equal('1.152921504606847e+18');
    expect(formatPythonRepr(new PythonFloat(3))).to.equal('3.0');
    expect(formatPythonRepr([1, 'a', [null, true], { k: 1.5 }])).to.equal("[1, u'a', [None, True], {u'k': 1.5}]");
  });

  it("formats values as Python 2's str() for link lines and messages", () => {
    expect(formatPythonStr('/x')).to.equal('/x');
    expect(formatPythonStr(0.1 + 0.2)).to.equal('0.3');
    expect(formatPythonStr(10n ** 20n)).to.equal('100000000000000000000');
    expect(formatPythonStr(new PythonFloat(1e12))).to.equal('1e+12');
    expect(formatPythonStr([0.1 + 0.2])).to.equal('[0.30000000000000004]');
    expect(formatPythonStr(null)).to.equal('None');
  });

  it('computes the CPython 2.7 unicode hash', () => {
    for (const v of vectors.hashes) expect(python2UnicodeHash(v.key).toString(), v.key).to.equal(v.hash);
  });

  it('orders dicts like CPython 2.7 and sorts like Python', () => {
    expect(python2DictOrder(['a', 'b', 'c'])).to.deep.equal(['a', 'c', 'b']);
    expect(python2DictOrder([])).to.deep.equal([]);
    const sorted = ['b', '😀', '\uffff', 'a b', 'B', '_', 'é'].sort(compareCodePoints);
    expect(sorted).to.deep.equal(['B', '_', 'a b', 'b', 'é', '\uffff', '😀']);
  });
});
