import { expect } from 'chai';
import { TreeSyntaxError, TreeSyntaxErrorKind } from '../../src/registry/errors.js';
import { PropertyLink } from '../../src/registry/property-link.js';
import { PythonFloat } from '../../src/registry/property-value.js';
import { parseTree } from '../../src/registry/tree-text.js';
import { formatTree } from '../../src/registry/tree-text-writer.js';
import type { TreeNode } from '../../src/registry/tree-node.js';
import { errorVectors, exportVectors, importVectors, vectorText } from './vectors.js';

function child(node: TreeNode, ...names: string[]): TreeNode {
  let current = node;
  for (const name of names) {
    const next = current.children.get(name);
    if (next === undefined) throw new Error(`no child ${name}`);
    current = next;
  }
  return current;
}

function syntaxErrorOf(text: string): TreeSyntaxError {
  try {
    parseTree(text);
  } catch (error) {
    expect(error).to.be.instanceOf(TreeSyntaxError);
    return error as TreeSyntaxError;
  }
  throw new Error('parseTree did not throw');
}

describe('registry/tree-text parseTree', () => {
  it('reads the README tree: nodes, types, properties, links and line numbers', () => {
    const root = parseTree(vectorText('readme-tree-1.txt'));
    expect(root.name).to.equal('');
    expect([...root.children.keys()]).to.deep.equal(['lb', 'cms', 'retail']);
    const lb = child(root, 'lb');
    expect(lb.type).to.equal('ipvs');
    expect(lb.line).to.equal(1);
    expect(lb.lines.get('type')).to.equal(1);
    const cms = child(root, 'lb', 'pools', 'cms');
    expect(cms.line).to.equal(3);
    expect(cms.properties.get('address')).to.equal('1.2.3.4:80');
    expect(cms.lines.get('address')).to.equal(6);
    expect(cms.links.get('providers')).to.equal('/cms/providers');
    expect(cms.lines.get('providers ->')).to.equal(7);
    expect(child(root, 'cms').properties.get('type')).to.equal('z4m cms');
    expect(child(root, 'cms').properties.get('threads')).to.equal(3);
    expect(child(root, 'retail', 'databases').links.get('main')).to.equal('/cms/databases/main');
    expect([...child(root, 'retail', 'databases').children.keys()]).to.deep.equal(['ugc']);
  });

  it('keeps property links as typed values, dropping a third /word as zc.zk does', () => {
    const root = parseTree('/a\n  threads => /fooservice threads\n  x => ..\n  y=>z /w /v\n');
    const a = child(root, 'a');
    const threads = a.propertyLinks.get('threads');
    expect(threads).to.be.instanceOf(PropertyLink);
    expect(threads?.parts).to.deep.equal({ path: '/fooservice', property: 'threads' });
    expect(a.propertyLinks.get('x')?.parts).to.deep.equal({ path: '..', property: undefined });
    expect(a.propertyLinks.get('y')?.target).to.equal('z /w');
    expect(a.lines.get('threads =>')).to.equal(2);
    expect(a.properties.size).to.equal(0);
  });

  it('matches lines in zc.zk order, with its regular expressions', () => {
    const root = parseTree("/n : a : b\n  /x = 2\n  a=='eq'\n  w=>v\n  /l -> /t\n  c = 'x->y'\n/192.168.0.42:8080\n/e: f  g\n");
    const n = child(root, 'n');
    expect(n.type).to.equal('a : b');
    expect(n.properties.get('/x')).to.equal(2);
    expect(n.properties.get('a=')).to.equal('eq');
    expect(n.propertyLinks.get('w')?.target).to.equal('v');
    expect(n.links.get('/l')).to.equal('/t');
    expect(n.properties.get('c')).to.equal('x->y');
    expect(child(root, '192.168.0.42:8080').type).to.equal(undefined);
    expect(child(root, 'e').type).to.equal('f  g');
  });

  it('accepts any consistent indentation, tabs counting as one column, CRLF and comments anywhere', () => {
    const root = parseTree('   /a\r\n\t\t\t\t/b\r\n  # comment at any depth\r\n\t\t\t\t\tx = 1 # trailing\r\n   /c\r\n');
    expect(child(root, 'a', 'b').properties.get('x')).to.equal(1);
    expect(child(root, 'a', 'b').lines.get('x')).to.equal(4);
    expect(child(root, 'c').line).to.equal(5);
  });

  it('reads Python literals as values, with integral floats kept as floats', () => {
    const root = parseTree("/a\n  f = 3.0\n  i = 3\n  big = 123456789012345678901234567890\n  l = (1, [u'x'])\n  d = {'k': None}\n");
    const a = child(root, 'a');
    expect(a.properties.get('f')).to.deep.equal(new PythonFloat(3));
    expect(a.properties.get('i')).to.equal(3);
    expect(a.properties.get('big')).to.equal(123456789012345678901234567890n);
    expect(a.properties.get('l')).to.deep.equal([1, ['x']]);
    expect(a.properties.get('d')).to.deep.equal({ k: null });
  });

  it('returns an empty root for empty text', () => {
    expect(parseTree('').children.size).to.equal(0);
    expect(parseTree('# only\n\n   \n').children.size).to.equal(0);
  });

  describe('gives what zc.zk import_tree + export_tree give, for every vector', () => {
    for (const vector of importVectors()) {
      it(vector.name, () => {
        expect(formatTree(parseTree(vector.text))).to.equal(vector.export);
      });
    }
  });

  describe('round-trips every text zc.zk exported (text → model → text)', () => {
    // Lossy in zc.zk's format itself: `z -> [1, u'a']` (a link whose value is no string) and
    // `a b = 3` (a name with a space) cannot be read back by zc.zk either.
    const lossy = new Set(['data: odd node data']);
    const vectors = [
      ...exportVectors().filter((v) => !lossy.has(v.name)).map((v) => ({ name: v.name, text: v.export })),
      ...importVectors().map((v) => ({ name: `import: ${v.name}`, text: v.export })),
    ];
    for (const vector of vectors) {
      it(vector.name, () => {
        // Parsed dicts keep the printed order, so only insertion order reprints them unchanged.
        expect(formatTree(parseTree(vector.text), { dictOrder: 'insertion' })).to.equal(vector.text);
      });
    }
  });

  describe('refuses what zc.zk refuses, naming the line', () => {
    // zc.zk's own message for each case is in the vector; line and kind are ours.
    const expected: Record<string, { line: number; kind: TreeSyntaxErrorKind; column?: number }> = {
      'bad expression': { line: 3, kind: 'badValue', column: 7 },
      'bad link': { line: 3, kind: 'badLink', column: 3 },
      'bad link target spaces': { line: 2, kind: 'badLink' },
      unrecognized: { line: 2, kind: 'unrecognized' },
      'top-level property': { line: 1, kind: 'propertyAboveNodes', column: 1 },
      'property after top node': { line: 2, kind: 'propertyAboveNodes' },
      'link above nodes': { line: 1, kind: 'propertyAboveNodes' },
      'invalid indentation': { line: 3, kind: 'badIndentation', column: 3 },
      'invalid indentation first line': { line: 2, kind: 'badIndentation', column: 1 },
      'indent under property': { line: 3, kind: 'indentUnderProperty', column: 5 },
      'indent under link': { line: 3, kind: 'indentUnderProperty' },
      'duplicate node': { line: 3, kind: 'duplicateNode' },
      'duplicate top node': { line: 2, kind: 'duplicateNode' },
      'duplicate property': { line: 3, kind: 'duplicateProperty' },
      'duplicate type': { line: 2, kind: 'duplicateProperty' },
      'duplicate link': { line: 3, kind: 'duplicateProperty' },
      'duplicate property link': { line: 3, kind: 'duplicateProperty' },
      'unterminated string': { line: 2, kind: 'badValue', column: 7 },
      'unterminated list': { line: 2, kind: 'badValue', column: 7 },
      'quoted equals in name': { line: 2, kind: 'badValue', column: 8 },
      'root only': { line: 1, kind: 'unrecognized' },
      'type without value': { line: 1, kind: 'unrecognized' },
      'top-level slash property': { line: 1, kind: 'propertyAboveNodes' },
      'octal 8': { line: 2, kind: 'badValue', column: 7 },
      'bad hex escape': { line: 2, kind: 'badValue', column: 8 },
      'set value': { line: 2, kind: 'badValue', column: 7 },
      'complex value': { line: 2, kind: 'badValue', column: 7 },
      'bytes not utf-8': { line: 2, kind: 'notStorable' },
      'octal escape beyond a byte': { line: 2, kind: 'notStorable' },
      'second error wins later': { line: 3, kind: 'duplicateNode' },
    };
    for (const vector of errorVectors()) {
      it(`${vector.name} (zc.zk: ${vector.message.replace(/ instance at 0x[0-9a-f]+/, '')})`, () => {
        const want = expected[vector.name];
        if (want === undefined) throw new Error(`no expectation for ${vector.name}`);
        const error = syntaxErrorOf(vector.text);
        expect(error.code).to.equal('ERR_TREE_SYNTAX');
        expect(error.kind).to.equal(want.kind);
        expect(error.line).to.equal(want.line);
        if (want.column !== undefined) expect(error.column).to.equal(want.column);
        expect(error.lineText).to.equal(vector.text.split('\n')[want.line - 1]);
        expect(error.message).to.contain(`line ${want.line}`);
      });
    }
    it('covers every vector', () => {
      expect(errorVectors().map((v) => v.name).sort()).to.deep.equal(Object.keys(expected).sort());
    });
  });

  it('checks the whole text before returning: an error on the last line still throws', () => {
    const text = `${vectorText('readme-tree-1.txt')}\n  oops = [1,\n`;
    const error = syntaxErrorOf(text);
    expect(error.line).to.equal(text.split('\n').length - 1);
    expect(error.cause).to.have.property('code', 'ERR_PYTHON_LITERAL');
  });

  it('reports the literal error column inside the line', () => {
    const error = syntaxErrorOf("/a\n    name   =   u'ok' + 1\n");
    expect(error.kind).to.equal('badValue');
    expect(error.column).to.equal(" ".repeat(4).length + "name   =   u'ok' ".length + 1);
  });
});
