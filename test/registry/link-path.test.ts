import { expect } from 'chai';
import { BadPropertyLinkError } from '../../src/registry/errors.js';
import { childPath, normalizeLinkPath, resolveLinkTarget, splitLinkPath } from '../../src/registry/link-path.js';
import { PropertyLink } from '../../src/registry/property-link.js';

describe('registry/link-path', () => {
  it('resolves the README and test links relative to the node holding them', () => {
    // README: /a/b has l -> c and l2 -> ../c
    expect(resolveLinkTarget('/a/b', 'c')).to.equal('/a/b/c');
    expect(resolveLinkTarget('/a/b', '../c')).to.equal('/a/c');
    // tests.py relative_property_links, from /a/b
    const cases: [string, string][] = [
      ['c', '/a/b/c'],
      ['./c', '/a/b/c'],
      ['..', '/a'],
      ['../c', '/a/c'],
      ['./..', '/a'],
      ['./../c', '/a/c'],
      ['.././c', '/a/c'],
    ];
    for (const [target, want] of cases) expect(resolveLinkTarget('/a/b', target), target).to.equal(want);
    expect(resolveLinkTarget('/a/b', '/cms/providers')).to.equal('/cms/providers');
    expect(resolveLinkTarget('/', 'x')).to.equal('/x');
  });

  it('normalizes dots as zc.zk does', () => {
    expect(normalizeLinkPath('/top/a/b/c/d/./../..')).to.equal('/top/a/b');
    expect(normalizeLinkPath('/a/./b/')).to.equal('/a/b/');
    expect(normalizeLinkPath('/a/..')).to.equal('/');
    expect(normalizeLinkPath('/..')).to.equal('/..');
    expect(normalizeLinkPath('/a/b')).to.equal('/a/b');
  });

  it('joins and splits paths', () => {
    expect(childPath('/', 'a')).to.equal('/a');
    expect(childPath('/a', 'b')).to.equal('/a/b');
    expect(splitLinkPath('/a/b')).to.deep.equal(['/a', 'b']);
    expect(splitLinkPath('/a')).to.deep.equal(['/', 'a']);
  });

  it('splits property link values into path and property, as zc.zk follows them', () => {
    expect(new PropertyLink('/fooservice threads').parts).to.deep.equal({ path: '/fooservice', property: 'threads' });
    expect(new PropertyLink('  ..\t').parts).to.deep.equal({ path: '..', property: undefined });
    expect(new PropertyLink('..').propertyFor('threads')).to.equal('threads');
    expect(PropertyLink.to('/a', 'b').target).to.equal('/a b');
    expect(String(PropertyLink.to('/a'))).to.equal('/a');
    expect(() => new PropertyLink('').parts).to.throw(BadPropertyLinkError);
    expect(() => new PropertyLink('/a b c').parts).to.throw(BadPropertyLinkError, /"\/a b c"/);
  });
});
