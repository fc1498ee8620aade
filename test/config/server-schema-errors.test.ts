import { expect } from 'chai';
import { ConfigSchemaError, ConfigSyntaxError, ConfigValueError } from '../../src/config/errors.js';
import { parseServerConfig } from '../../src/config/server-schema.js';
import { expectConfigError } from './config-assertions.js';

const parse = (text: string) => parseServerConfig(text, { filename: 'server.conf' });

describe('config/server-schema errors', () => {
  it('unknown key, with a suggestion', () => {
    const error = expectConfigError(
      () => parse('# server\n<zeo>\n  address 1\n  # the next key is misspelt\n\n  adress x\n</zeo>\n<mappingstorage/>\n'),
      ConfigSchemaError,
      'server.conf',
      6,
      "unknown key 'adress' in <zeo> (did you mean 'address'?)",
    );
    expect(error.message).to.equal("server.conf:6: unknown key 'adress' in <zeo> (did you mean 'address'?)");
    expect(error.code).to.equal('CONFIG_SCHEMA');
  });

  it('keys are case-insensitive, so a repeated key in another case is a repeat', () => {
    expectConfigError(
      () => parse('<zeo>\n  address 1\n  ADDRESS 2\n</zeo>\n<mappingstorage/>\n'),
      ConfigSchemaError,
      'server.conf',
      3,
      "'address' in <zeo> does not support multiple values (first given at line 2)",
    );
  });

  it('key=value is not a key name', () => {
    expectConfigError(() => parse('<zeo>\n  address=8100\n</zeo>\n'), ConfigSchemaError, 'server.conf', 2, "not a valid key name: 'address=8100'");
  });

  it('bad boolean value', () => {
    expectConfigError(
      () => parse('<zeo>\n  address 1\n  read-only maybe\n</zeo>\n<mappingstorage/>\n'),
      ConfigValueError,
      'server.conf',
      3,
      "invalid value for 'read-only' in <zeo>: not a valid boolean value: 'maybe'",
    );
  });

  it('bad address', () => {
    expectConfigError(() => parse('<zeo>\n  address host:port\n</zeo>\n<mappingstorage/>\n'), ConfigValueError, 'server.conf', 2, "invalid value for 'address'");
  });

  it('bad pid-filename directory', () => {
    expectConfigError(
      () => parse('<zeo>\n  address 1\n  pid-filename /nonexistent-dir/zeo.pid\n</zeo>\n<mappingstorage/>\n'),
      ConfigValueError,
      'server.conf',
      3,
      'the directory named as part of the path /nonexistent-dir/zeo.pid does not exist',
    );
  });

  it('missing required key, at the section start', () => {
    expectConfigError(() => parse('\n<zeo>\n  read-only on\n</zeo>\n<mappingstorage/>\n'), ConfigSchemaError, 'server.conf', 2, "missing required key 'address' in <zeo>");
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<filestorage main>\n  create on\n</filestorage>\n'),
      ConfigSchemaError,
      'server.conf',
      4,
      "missing required key 'path' in <filestorage main>",
    );
  });

  it('missing <zeo> and missing storage, at the end of the file', () => {
    expectConfigError(() => parse('<mappingstorage/>\n\n'), ConfigSchemaError, 'server.conf', 2, 'not enough <zeo> sections in the top level: 0 found, 1 required');
    expectConfigError(() => parse('<zeo>\naddress 1\n</zeo>\n'), ConfigSchemaError, 'server.conf', 3, 'not enough storage sections in the top level: 0 found, 1 required');
  });

  it('two <zeo> sections', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<zeo>\naddress 2\n</zeo>\n<mappingstorage/>\n'),
      ConfigSchemaError,
      'server.conf',
      4,
      "too many instances of 'zeo' section",
    );
  });

  it('unknown section type, abstract type, and a section in the wrong place', () => {
    expectConfigError(() => parse('<zeo>\naddress 1\n</zeo>\n<foostorage>\n</foostorage>\n'), ConfigSchemaError, 'server.conf', 4, "unknown type name: 'foostorage'");
    expectConfigError(() => parse('<ZODB.storage>\n</ZODB.storage>\n'), ConfigSchemaError, 'server.conf', 1, "found abstract type 'zodb.storage'");
    expectConfigError(() => parse('<zodb>\n</zodb>\n'), ConfigSchemaError, 'server.conf', 1, 'a <zodb> section is not allowed in the top level');
    expectConfigError(
      () => parse('<zeo>\naddress 1\n<filestorage>\npath x\n</filestorage>\n</zeo>\n'),
      ConfigSchemaError,
      'server.conf',
      3,
      'a <filestorage> section is not allowed in <zeo>',
    );
    expectConfigError(() => parse('<zeo>\naddress 1\n</zeo>\n<fullstorage/>\n'), ConfigSchemaError, 'server.conf', 4, "section type 'fullstorage' is not supported");
  });

  it('<clientstorage> needs %import ZEO before it', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<clientstorage>\nserver 1\n</clientstorage>\n%import ZEO\n'),
      ConfigSchemaError,
      'server.conf',
      4,
      "unknown type name: 'clientstorage' (it needs '%import ZEO' before it)",
    );
  });

  it('unknown %import package', () => {
    expectConfigError(() => parse('\n%import zc.nothing\n'), ConfigSchemaError, 'server.conf', 2, "cannot %import 'zc.nothing'");
  });

  it('duplicate section names, also across case', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage a/>\n<filestorage A>\npath x\n</filestorage>\n'),
      ConfigSchemaError,
      'server.conf',
      5,
      "section names must not be re-used within the same container: 'a' (also used at line 4)",
    );
  });

  it('two unnamed storages, and an unnamed storage with one named 1', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<mappingstorage/>\n'),
      ConfigSchemaError,
      'server.conf',
      5,
      'No more than one storage may be unnamed',
    );
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage 1/>\n<mappingstorage/>\n'),
      ConfigSchemaError,
      'server.conf',
      5,
      "Can't have an unnamed storage and a storage named 1",
    );
  });

  it('demostorage with two base storages', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<demostorage>\n<mappingstorage a/>\n<mappingstorage b/>\n</demostorage>\n'),
      ConfigSchemaError,
      'server.conf',
      6,
      'too many base storages in <demostorage>',
    );
  });

  it('relative ZooKeeper path and bad session timeout', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<zookeeper>\n  path databases/demo\n</zookeeper>\n'),
      ConfigValueError,
      'server.conf',
      6,
      "'databases/demo' is not an absolute ZooKeeper path",
    );
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<zookeeper>\n  session-timeout 10s\n</zookeeper>\n'),
      ConfigValueError,
      'server.conf',
      6,
      "invalid value for 'session-timeout' in <zookeeper>: not a valid integer: '10s'",
    );
  });

  it('bad logging values', () => {
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<eventlog>\nlevel 99\n</eventlog>\n'),
      ConfigValueError,
      'server.conf',
      6,
      'log level not in range: 99',
    );
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<eventlog>\n<syslog>\nfacility mars\n</syslog>\n</eventlog>\n'),
      ConfigValueError,
      'server.conf',
      7,
      'Syslog facility must be one of',
    );
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<eventlog>\n<logfile>\npath x\nstyle fancy\n</logfile>\n</eventlog>\n'),
      ConfigValueError,
      'server.conf',
      8,
      "found 'fancy'",
    );
    expectConfigError(
      () => parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<eventlog>\n<http-logger/>\n</eventlog>\n'),
      ConfigSchemaError,
      'server.conf',
      6,
      "section type 'http-logger' is not supported",
    );
  });

  it('syntax errors name <string> without a file name', () => {
    expectConfigError(() => parseServerConfig('<zeo>\naddress 1\n'), ConfigSyntaxError, '<string>', 2, 'unclosed sections not allowed');
  });
});
