import { expect } from 'chai';
import { parseConnectionString } from '../../src/zk/connection-string.js';
import { ConnectionStringError } from '../../src/zk/errors.js';

describe('parseConnectionString', () => {
  const env = {};

  it('reads host:port lists with a chroot', () => {
    const parsed = parseConnectionString('zk1:2181, zk2:2182 ,zk3/app/db', { env });
    expect(parsed.servers).to.deep.equal([
      { host: 'zk1', port: 2181 },
      { host: 'zk2', port: 2182 },
      { host: 'zk3', port: 2181 },
    ]);
    expect(parsed.chroot).to.equal('/app/db');
    expect(parsed.path).to.equal(undefined);
    expect(parsed.connectionString).to.equal('zk1:2181,zk2:2182,zk3:2181/app/db');
  });

  it('reads bracketed IPv6 hosts', () => {
    const parsed = parseConnectionString('[::1]:2181,[fe80::1%eth0]', { env });
    expect(parsed.servers).to.deep.equal([
      { host: '::1', port: 2181 },
      { host: 'fe80::1%eth0', port: 2181 },
    ]);
    expect(parsed.connectionString).to.equal('[::1]:2181,[fe80::1%eth0]:2181');
  });

  it('treats a trailing / as no chroot', () => {
    expect(parseConnectionString('h:1/', { env }).chroot).to.equal(undefined);
  });

  it('falls back to ZC_ZK_CONNECTION_STRING, then 127.0.0.1:2181', () => {
    expect(parseConnectionString('', { env: { ZC_ZK_CONNECTION_STRING: 'zk9:9999' } }).connectionString).to.equal(
      'zk9:9999',
    );
    expect(parseConnectionString(undefined, { env }).connectionString).to.equal('127.0.0.1:2181');
    expect(parseConnectionString('  ', { env, servers: 'a:1' }).connectionString).to.equal('a:1');
  });

  it('reads zookeeper:// URLs as servers and a path', () => {
    const parsed = parseConnectionString('zookeeper://h1:2181,h2:2182/databases/demo', { env });
    expect(parsed.servers).to.deep.equal([
      { host: 'h1', port: 2181 },
      { host: 'h2', port: 2182 },
    ]);
    expect(parsed.path).to.equal('/databases/demo');
    expect(parsed.chroot).to.equal(undefined);
  });

  it('takes servers for zookeeper:///path from the options, then ZOOKEEPER_SERVERS', () => {
    expect(parseConnectionString('zookeeper:///x', { env, servers: 'a:1' }).connectionString).to.equal('a:1');
    const fromEnv = parseConnectionString('zookeeper:///x/y', { env: { ZOOKEEPER_SERVERS: 'e1:5,e2:6' } });
    expect(fromEnv.connectionString).to.equal('e1:5,e2:6');
    expect(fromEnv.path).to.equal('/x/y');
    expect(parseConnectionString('zookeeper:///x', { env }).connectionString).to.equal('127.0.0.1:2181');
  });

  it('resolves zookeeper:./relative paths against the base path', () => {
    expect(parseConnectionString('zookeeper:./demo', { env, basePath: '/databases' }).path).to.equal('/databases/demo');
    expect(parseConnectionString('zookeeper:../other/db', { env, basePath: '/databases/x' }).path).to.equal(
      '/databases/other/db',
    );
    expect(parseConnectionString('zookeeper:./a', { env }).path).to.equal('/a');
  });

  for (const bad of [
    'h:notaport',
    'h:0',
    'h:70000',
    '::1:2181',
    'a b:1',
    ',,',
    'h:1/bad//chroot',
    'h:1/trailing/',
    'zookeeper:nope',
    'zookeeper://h:1/a/../b',
    'zookeeper:../../..',
  ]) {
    it(`rejects ${JSON.stringify(bad)} with an error quoting it`, () => {
      expect(() => parseConnectionString(bad, { env, basePath: '/a' }))
        .to.throw(ConnectionStringError)
        .with.property('message')
        .that.includes(JSON.stringify(bad));
    });
  }
});
