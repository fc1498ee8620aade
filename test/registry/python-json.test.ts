import { expect } from 'chai';
import { NodeDataError, PythonJsonSyntaxError } from '../../src/registry/errors.js';
import { PythonFloat } from '../../src/registry/property-value.js';
import { parsePythonJson, parsePythonJsonBytes, stringifyPythonJson } from '../../src/registry/python-json.js';
import { pythonValueVectors } from './vectors.js';

describe('registry/python-json', () => {
  it('reads and rewrites every JSON text Python 2 json.dumps wrote (vectors)', () => {
    for (const v of pythonValueVectors().values) {
      expect(stringifyPythonJson(parsePythonJson(v.json)), v.expr).to.equal(v.json);
    }
  });

  it('keeps integers, integral floats and big integers apart', () => {
    expect(parsePythonJson('3')).to.equal(3);
    expect(parsePythonJson('3.0')).to.deep.equal(new PythonFloat(3));
    expect(parsePythonJson('3e0')).to.deep.equal(new PythonFloat(3));
    expect(parsePythonJson('-0')).to.equal(0);
    expect(parsePythonJson('12345678901234567890')).to.equal(12345678901234567890n);
    expect(parsePythonJson('[NaN, Infinity, -Infinity, 1e400]')).to.deep.equal([NaN, Infinity, -Infinity, Infinity]);
    expect(stringifyPythonJson([NaN, -Infinity, new PythonFloat(1e16), 2 ** 60, -0])).to.equal(
      '[NaN,-Infinity,1e+16,1.152921504606847e+18,0]',
    );
  });

  it('writes ASCII-only strings with the escapes Python uses', () => {
    expect(stringifyPythonJson('é€😀\ud800"\\/\b\f\n\r\t\x01\x7f')).to.equal(
      '"\\u00e9\\u20ac\\ud83d\\ude00\\ud800\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u007f"',
    );
    expect(parsePythonJson('"\\u00e9\\ud83d\\ude00\\/"')).to.equal('é😀/');
  });

  it('keeps the document order of integer-like keys', () => {
    expect(stringifyPythonJson(parsePythonJson('{"b":1,"2":2,"a":3,"1":4}'))).to.equal('{"b":1,"2":2,"a":3,"1":4}');
    expect(stringifyPythonJson(parsePythonJson('{"a":1,"a":2}'))).to.equal('{"a":2}');
  });

  it('refuses what json.loads refuses, with the offset', () => {
    const bad: [string, number][] = [
      ['{"a":1,}', 7],
      ['[1 2]', 3],
      ['01', 1],
      ['"\u0001"', 1],
      ['"\\x"', 1],
      ['{a:1}', 1],
      ['"abc', 4],
      ['tru', 0],
    ];
    for (const [text, offset] of bad) {
      try {
        parsePythonJson(text);
        expect.fail(`no error for ${text}`);
      } catch (error) {
        expect(error, text).to.be.instanceOf(PythonJsonSyntaxError);
        expect((error as PythonJsonSyntaxError).offset, text).to.equal(offset);
      }
    }
    expect(() => parsePythonJsonBytes(Buffer.from([0x22, 0xff, 0x22]))).to.throw(PythonJsonSyntaxError, /UTF-8/);
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => stringifyPythonJson(new Uint8Array([0xff]), 'x')).to.throw(NodeDataError, /x: bytes/);
    expect(stringifyPythonJson(new Uint8Array([0x61]))).to.equal('"a"');
    expect(() => stringifyPythonJson(new Map() as never)).to.throw(NodeDataError, /Map/);
    expect(() => stringifyPythonJson((() => 1) as never)).to.throw(NodeDataError, /function/);
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => stringifyPythonJson(cyclic as never)).to.throw(NodeDataError, /too deeply/);
  });
});
