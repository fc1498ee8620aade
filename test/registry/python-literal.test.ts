import { expect } from 'chai';
import { PythonLiteralError } from '../../src/registry/errors.js';
import { PythonFloat, type PropertyValue } from '../../src/registry/property-value.js';
import { parsePythonJson, stringifyPythonJson } from '../../src/registry/python-json.js';
import { parsePythonLiteral } from '../../src/registry/python-literal.js';
import { formatPythonRepr } from '../../src/registry/python-repr.js';
import { pythonValueVectors } from './vectors.js';

function literalError(text: string): PythonLiteralError {
  try {
    parsePythonLiteral(text);
  } catch (error) {
    expect(error).to.be.instanceOf(PythonLiteralError);
    return error as PythonLiteralError;
  }
  throw new Error(`no error for ${text}`);
}

const parse = (text: string): PropertyValue => parsePythonLiteral(text);

describe('registry/python-literal parsePythonLiteral', () => {
  describe('stores what Python 2 eval + json.dumps stores (vectors)', () => {
    for (const vector of pythonValueVectors().values) {
      // Expressions that are not literals (calls, **) are only used for the repr vectors.
      if (/\*\*|\(u?'|float\(|dict\(/.test(vector.expr)) continue;
      it(vector.expr, () => {
        // Our JSON keeps the literal's key order; Python 2's follows its hash table. Same content.
        expect(parsePythonJson(stringifyPythonJson(parse(vector.expr)))).to.deep.equal(parsePythonJson(vector.json));
        if (!vector.json.includes('{')) expect(stringifyPythonJson(parse(vector.expr))).to.equal(vector.json);
        expect(formatPythonRepr(parsePythonJson(vector.json))).to.equal(vector.repr);
      });
    }
  });

  it('reads string prefixes, quotes and concatenation', () => {
    expect(parse("'a'")).to.equal('a');
    expect(parse('"a"')).to.equal('a');
    expect(parse("u'a'")).to.equal('a');
    expect(parse("U'a'")).to.equal('a');
    expect(parse("b'a'")).to.equal('a');
    expect(parse("'''a'b\"c'''")).to.equal('a\'b"c');
    expect(parse('"""x"""')).to.equal('x');
    expect(parse("'a' \"b\"   u'c'")).to.equal('abc');
    expect(parse("'it''s'")).to.equal('its');
    expect(parse("('a'\n 'b')")).to.equal('ab');
  });

  it('decodes Python 2 escapes, unicode-only escapes only in unicode literals', () => {
    expect(parse("'\\a\\b\\f\\n\\r\\t\\v\\\\\\'\\\"'")).to.equal('\x07\b\f\n\r\t\v\\\'"');
    expect(parse("'\\101\\0\\x41'")).to.equal('A\0A');
    expect(parse("u'\\777'")).to.equal('\u01ff');
    expect(parse("u'\\u20ac\\U0001F600\\xe9'")).to.equal('€😀é');
    expect(parse("'\\u20ac'")).to.equal('\\u20ac');
    expect(parse("'\\q'")).to.equal('\\q');
    expect(parse("'caf\\xc3\\xa9'")).to.equal('café');
    expect(parse("'café'")).to.equal('café');
    expect(parse("u'\\ud83d\\ude00'")).to.equal('😀');
    expect(parse("u'\\ud800'")).to.equal('\ud800');
  });

  it('keeps backslashes in raw literals, but decodes \\u in ur literals after an odd run', () => {
    expect(parse("r'\\n\\d'")).to.equal('\\n\\d');
    expect(parse("r'\\''")).to.equal("\\'");
    expect(parse("ur'\\u00e9'")).to.equal('é');
    expect(parse("ur'\\\\u00e9'")).to.equal('\\\\u00e9');
    expect(parse("br'\\x41'")).to.equal('\\x41');
  });

  it('returns bytes for byte strings that are not UTF-8', () => {
    expect(parse("'\\xff\\xfe'")).to.deep.equal(new Uint8Array([0xff, 0xfe]));
    expect(parse("'\\777'")).to.deep.equal(new Uint8Array([0xff]));
  });

  it('reads integers in every Python 2 spelling, big ones as bigint', () => {
    expect(parse('0')).to.equal(0);
    expect(parse('00')).to.equal(0);
    expect(parse('017')).to.equal(15);
    expect(parse('0o17')).to.equal(15);
    expect(parse('0x1f')).to.equal(31);
    expect(parse('0b101')).to.equal(5);
    expect(parse('12L')).to.equal(12);
    expect(parse('-0')).to.equal(0);
    expect(Object.is(parse('-0'), -0)).to.equal(false);
    expect(parse('9007199254740991')).to.equal(9007199254740991);
    expect(parse('9007199254740992')).to.equal(9007199254740992n);
    expect(parse('-123456789012345678901234567890')).to.equal(-123456789012345678901234567890n);
    expect(parse('0xffffffffffffffffff')).to.equal(0xffffffffffffffffffn);
    expect(parse('~5')).to.equal(-6);
    expect(parse('- - +3')).to.equal(3);
  });

  it('reads floats, keeping integral ones as PythonFloat', () => {
    expect(parse('1.5')).to.equal(1.5);
    expect(parse('1.0')).to.deep.equal(new PythonFloat(1));
    expect(parse('1.')).to.deep.equal(new PythonFloat(1));
    expect(parse('.5')).to.equal(0.5);
    expect(parse('1e3')).to.deep.equal(new PythonFloat(1000));
    expect(parse('09.5')).to.equal(9.5);
    expect(Object.is((parse('-0.0') as PythonFloat).value, -0)).to.equal(true);
    expect(parse('1e400')).to.equal(Infinity);
    expect(parse('-inf')).to.equal(-Infinity);
    expect(Number.isNaN(parse('nan'))).to.equal(true);
  });

  it('reads constants, lists, tuples and nested dicts with keys converted as json.dumps does', () => {
    expect(parse('True')).to.equal(true);
    expect(parse('False')).to.equal(false);
    expect(parse('None')).to.equal(null);
    expect(parse('[1, [2, (3,)], {}, ]')).to.deep.equal([1, [2, [3]], {}]);
    expect(parse('()')).to.deep.equal([]);
    expect(parse('(1)')).to.equal(1);
    expect(parse('1, 2,')).to.deep.equal([1, 2]);
    expect(parse("{'a': {'b': [None]}, 1: 'i', 1.5: 'f', True: 't', None: 'n'}")).to.deep.equal({
      a: { b: [null] },
      '1': 'i',
      '1.5': 'f',
      True: 't',
      null: 'n',
    });
    expect(parse("{'a': 1, 'a': 2}")).to.deep.equal({ a: 2 });
    expect(parse("{'__proto__': 1}")).to.have.own.property('__proto__', 1);
    expect(parse('[\n 1, # one\n 2\n]')).to.deep.equal([1, 2]);
    expect(parse('  5   # comment')).to.equal(5);
  });

  it('names the line and column of errors', () => {
    const cases: [string, number, number, RegExp][] = [
      ["'abc", 1, 1, /unterminated string/],
      ["u'abc\ndef'", 1, 1, /unterminated string/],
      ['[1, 2', 1, 1, /unterminated \[/],
      ['{1: 2', 1, 1, /unterminated \{/],
      ['(1, 2', 1, 1, /unterminated \(/],
      ['[1,\n 2\n 3]', 3, 2, /expected "\]"/],
      ['1 +', 1, 3, /unexpected "\+" after the value/],
      ['', 1, 1, /expected a value/],
      ['foo', 1, 1, /foo is not a literal/],
      ['{1, 2}', 1, 1, /sets cannot be stored/],
      ['1j', 1, 1, /complex/],
      ['08', 1, 1, /invalid octal/],
      ["'\\x4'", 1, 2, /\\x escape/],
      ["u'\\u12'", 1, 3, /truncated \\u/],
      ["u'\\U00110000'", 1, 3, /not a Unicode character/],
      ["u'\\N{DASH}'", 1, 3, /\\N\{…\} escapes are not supported/],
      ['-"a"', 1, 1, /unary - applies only to numbers/],
      ['~1.5', 1, 1, /unary ~ applies only to integers/],
      ['{[1]: 2}', 1, 2, /dict keys must be/],
      ["u'a' '\\xff'", 1, 12, /not UTF-8/],
      ['1\n2', 2, 1, /unexpected "2"/],
      ['['.repeat(300), 1, 201, /nested too deeply/],
    ];
    for (const [text, line, column, reason] of cases) {
      const error = literalError(text);
      expect(error.reason, text).to.match(reason);
      expect([error.line, error.column], text).to.deep.equal([line, column]);
      expect(error.code).to.equal('ERR_PYTHON_LITERAL');
    }
  });
});
