import { expect } from 'chai';
import { InvalidPathError } from '../../src/zk/errors.js';
import { baseName, joinPath, parentPath, validatePath } from '../../src/zk/paths.js';

describe('paths', () => {
  it('accepts absolute paths', () => {
    for (const path of ['/', '/a', '/a/b.c', '/a-b/c_d/0001', '/ünïcode']) expect(validatePath(path)).to.equal(path);
  });

  it('accepts a trailing / only for sequential creates', () => {
    expect(validatePath('/queue/', true)).to.equal('/queue/');
    expect(() => validatePath('/queue/')).to.throw(InvalidPathError, 'must not end with /');
  });

  const bad: [unknown, string][] = [
    ['', 'must not be empty'],
    ['a/b', 'must start with /'],
    ['/a//b', 'empty node name'],
    ['/a/./b', 'relative names'],
    ['/a/..', 'relative names'],
    ['/a\u0000b', 'character'],
    ['/emoji-\u{1F600}', 'character'],
    [42, 'must be a string'],
  ];
  for (const [path, reason] of bad) {
    it(`rejects ${JSON.stringify(path)} saying ${reason}`, () => {
      expect(() => validatePath(path))
        .to.throw(InvalidPathError)
        .with.property('message')
        .that.includes(reason)
        .and.includes(JSON.stringify(path));
    });
  }

  it('joins and splits paths', () => {
    expect(joinPath('/', 'a')).to.equal('/a');
    expect(joinPath('/a', 'b')).to.equal('/a/b');
    expect(parentPath('/a/b')).to.equal('/a');
    expect(parentPath('/a')).to.equal('/');
    expect(parentPath('/')).to.equal('/');
    expect(baseName('/a/b')).to.equal('b');
  });
});
