import { expect } from 'chai';
import { NodeDataError } from '../../src/registry/errors.js';
import {
  decodeNodeData,
  encodeNodeData,
  nodeDataEntries,
  treeNodeFromData,
} from '../../src/registry/node-data.js';
import { PropertyLink } from '../../src/registry/property-link.js';
import { PythonFloat } from '../../src/registry/property-value.js';
import { parsePythonJson } from '../../src/registry/python-json.js';
import { TreeNode } from '../../src/registry/tree-node.js';
import { parseTree } from '../../src/registry/tree-text.js';
import { importVectors } from './vectors.js';

const data = (text: string): Buffer => Buffer.from(text, 'utf8');

function* walk(node: TreeNode, path: string): Generator<[string, TreeNode]> {
  for (const [name, child] of node.children) {
    const childPath = `${path}/${name}`;
    yield [childPath, child];
    yield* walk(child, childPath);
  }
}

describe('registry/node-data', () => {
  describe('stores what zc.zk import_tree stores for each imported node', () => {
    for (const vector of importVectors()) {
      it(vector.name, () => {
        const stored = new Map(vector.nodes.map((n) => [n.path, Buffer.from(n.data, 'hex')]));
        for (const [path, node] of walk(parseTree(vector.text), '')) {
          const theirs = stored.get(path);
          if (theirs === undefined) throw new Error(`zc.zk stored no ${path}`);
          const ours = encodeNodeData(node);
          if (theirs[0] === 0x7b) {
            // Same JSON content; key order follows Python 2's hash table there, source order here.
            expect(parsePythonJson(ours.toString('utf8')), path).to.deep.equal(parsePythonJson(theirs.toString('utf8')));
            if (node.properties.size + node.links.size + node.propertyLinks.size <= 1) expect(ours.equals(theirs), path).to.equal(true);
          } else {
            expect(ours.equals(theirs), path).to.equal(true);
          }
        }
      });
    }
  });

  it('decodes no data, empty and blank data as no entries', () => {
    for (const input of [null, undefined, data(''), data(' \t\n\r\v\f')]) {
      const decoded = decodeNodeData(input);
      expect(decoded.format).to.equal('empty');
      expect(decoded.properties.size + decoded.links.size + decoded.propertyLinks.size).to.equal(0);
    }
  });

  it('decodes a JSON object into properties, links and property links', () => {
    const decoded = decodeNodeData(data(' {"a":1.0,"b ->":"/x","c =>":"../y z","d ->":5,"2":[1],"type":"t"}\n'));
    expect(decoded.format).to.equal('json');
    expect([...decoded.properties]).to.deep.equal([
      ['a', new PythonFloat(1)],
      ['d ->', 5],
      ['2', [1]],
      ['type', 't'],
    ]);
    expect([...decoded.links]).to.deep.equal([['b', '/x']]);
    expect(decoded.propertyLinks.get('c')?.parts).to.deep.equal({ path: '../y', property: 'z' });
  });

  it('keeps data that is not a JSON object as string_value, the whole data, bytes if not UTF-8', () => {
    expect([...decodeNodeData(data('xxx')).properties]).to.deep.equal([['string_value', 'xxx']]);
    expect(decodeNodeData(data('[1,2]')).format).to.equal('raw');
    expect(decodeNodeData(data('\n{xxx}\n')).properties.get('string_value')).to.equal('\n{xxx}\n');
    const bad = decodeNodeData(data('{"a":1,}'));
    expect(bad.format).to.equal('badJson');
    expect(bad.error).to.have.property('code', 'ERR_PYTHON_JSON');
    const raw = Buffer.from([0xff, 0xfe]);
    expect(decodeNodeData(raw).properties.get('string_value')).to.deep.equal(new Uint8Array([0xff, 0xfe]));
  });

  it('encodes as zc.zk does: compact JSON, {} when empty, a lone string_value raw', () => {
    const node = new TreeNode('n');
    expect(encodeNodeData(node).toString()).to.equal('{}');
    node.properties.set('string_value', 'just text');
    expect(encodeNodeData(node).toString()).to.equal('just text');
    node.properties.set('string_value', new Uint8Array([0xff]));
    expect(encodeNodeData(node)).to.deep.equal(Buffer.from([0xff]));
    node.properties.set('string_value', 5);
    expect(encodeNodeData(node).toString()).to.equal('{"string_value":5}');
    node.properties.set('string_value', 'x');
    node.links.set('l', '/t');
    node.propertyLinks.set('p', PropertyLink.to('..', 'q'));
    expect(encodeNodeData(node).toString()).to.equal('{"string_value":"x","l ->":"/t","p =>":".. q"}');
  });

  it('round-trips node data through the model', () => {
    const text = '{"a":1,"b":[1.5,{"2":null,"x":"\\u00e9"}],"c ->":"/x","d =>":"/y"}';
    expect(encodeNodeData(treeNodeFromData('n', data(text))).toString()).to.equal(text);
  });

  it('refuses entries that collide or cannot be stored', () => {
    const node = new TreeNode('n');
    node.properties.set('x ->', 1);
    node.links.set('x', '/y');
    expect(() => nodeDataEntries(node)).to.throw(NodeDataError, /"x ->"/);
    const bytes = new TreeNode('m');
    bytes.properties.set('a', new Uint8Array([0xff]));
    bytes.properties.set('b', 1);
    expect(() => encodeNodeData(bytes)).to.throw(NodeDataError, /property "a": bytes/);
  });
});
