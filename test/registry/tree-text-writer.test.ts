import { expect } from 'chai';
import { NodeDataError } from '../../src/registry/errors.js';
import { PropertyLink } from '../../src/registry/property-link.js';
import { PythonFloat } from '../../src/registry/property-value.js';
import { TreeNode } from '../../src/registry/tree-node.js';
import { parseTree } from '../../src/registry/tree-text.js';
import { formatTree } from '../../src/registry/tree-text-writer.js';
import { exportVectors, importVectors, treeFromDump } from './vectors.js';

describe('registry/tree-text-writer formatTree', () => {
  describe('writes byte for byte what zc.zk export_tree wrote for the same ZooKeeper data', () => {
    for (const vector of exportVectors()) {
      it(vector.name, () => {
        const tree = treeFromDump(vector.nodes, vector.path, vector.ephemeral);
        const options = vector.exportName === null ? {} : { name: vector.exportName };
        expect(formatTree(tree, options)).to.equal(vector.export);
      });
    }
    for (const vector of importVectors()) {
      it(`after import: ${vector.name}`, () => {
        expect(formatTree(treeFromDump(vector.nodes, '/', true))).to.equal(vector.export);
      });
    }
  });

  it('writes a root without children as a lone newline, as zc.zk does', () => {
    expect(formatTree(new TreeNode())).to.equal('\n');
  });

  it('writes a root under a name, without its own properties (export_tree("/", name=…))', () => {
    const root = parseTree('/a\n  x = 1\n');
    root.properties.set('ignored', 1);
    expect(formatTree(root, { name: 'top' })).to.equal('/top\n  /a\n    x = 1\n');
  });

  it('writes a node under another name, keeping its type', () => {
    const node = parseTree('/main : db\n  /providers\n').children.get('main');
    if (node === undefined) throw new Error('no node');
    expect(formatTree(node, { name: 'cms' })).to.equal('/cms : db\n  /providers\n');
  });

  it('sorts properties, property links and links by stored key, links last', () => {
    const node = new TreeNode('n');
    node.links.set('b', '/x');
    node.links.set('a', '../y');
    node.properties.set('c', 1);
    node.properties.set('a', new PythonFloat(2));
    node.propertyLinks.set('b', PropertyLink.to('/p', 'q'));
    expect(formatTree(node)).to.equal("/n\n  a = 2.0\n  b => = u'/p q'\n  c = 1\n  a -> ../y\n  b -> /x\n");
    expect(formatTree(node, { propertyLinks: 'arrow' })).to.equal('/n\n  a = 2.0\n  b => /p q\n  c = 1\n  a -> ../y\n  b -> /x\n');
  });

  it('falls back to the zc.zk form for property links the arrow form cannot carry', () => {
    const node = new TreeNode('n');
    node.propertyLinks.set('e', new PropertyLink(''));
    node.propertyLinks.set('t', new PropertyLink('/a b c'));
    const text = formatTree(node, { propertyLinks: 'arrow' });
    expect(text).to.equal("/n\n  e => = u''\n  t => = u'/a b c'\n");
    const back = parseTree(text).children.get('n');
    expect(back?.propertyLinks.get('e')?.target).to.equal('');
    expect(back?.propertyLinks.get('t')?.target).to.equal('/a b c');
  });

  it('moves a string type into the header, drops a false one, writes a true non-string one as a property', () => {
    const node = new TreeNode('n');
    node.properties.set('type', '');
    node.properties.set('a', 1);
    expect(formatTree(node)).to.equal('/n\n  a = 1\n');
    node.properties.set('type', 7);
    expect(formatTree(node)).to.equal('/n\n  a = 1\n  type = 7\n');
    node.properties.set('type', 'svc');
    expect(formatTree(node)).to.equal('/n : svc\n  a = 1\n');
  });

  it('writes dicts in CPython 2.7 order by default and in key order on request', () => {
    const node = new TreeNode('n');
    node.properties.set('d', { a: 1, b: 2, c: 3 });
    expect(formatTree(node)).to.equal("/n\n  d = {u'a': 1, u'c': 3, u'b': 2}\n");
    expect(formatTree(node, { dictOrder: 'insertion' })).to.equal("/n\n  d = {u'a': 1, u'b': 2, u'c': 3}\n");
  });

  it('refuses values that are no property values', () => {
    const node = new TreeNode('n');
    node.properties.set('bad', new Date(0) as never);
    expect(() => formatTree(node)).to.throw(NodeDataError, /Date/);
  });
});
