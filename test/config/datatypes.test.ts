import { expect } from 'chai';
import { homedir } from 'node:os';
import path from 'node:path';
import {
  boolean,
  byteSize,
  dottedName,
  existingDirectory,
  existingDirpath,
  existingFile,
  existingPath,
  expandUser,
  float,
  integer,
  portNumber,
  timeInterval,
  type Datatype,
} from '../../src/config/datatypes.js';
import { ConfigValueError } from '../../src/config/errors.js';
import { TempConfigDir } from './temp-config-dir.js';

function rejects<T>(datatype: Datatype<T>, text: string): string {
  try {
    datatype(text);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigValueError);
    expect((error as ConfigValueError).code).to.equal('CONFIG_VALUE');
    return (error as ConfigValueError).message;
  }
  throw new Error(`accepted ${JSON.stringify(text)}`);
}

describe('config/datatypes', () => {
  it('boolean: yes/true/on and no/false/off in any case', () => {
    for (const text of ['yes', 'TRUE', 'On']) expect(boolean(text)).to.equal(true);
    for (const text of ['no', 'False', 'OFF']) expect(boolean(text)).to.equal(false);
    expect(rejects(boolean, 'maybe')).to.equal("not a valid boolean value: 'maybe'");
    rejects(boolean, '1');
    rejects(boolean, '');
  });

  it('integer: Python int() syntax in base 10', () => {
    expect(integer('42')).to.equal(42);
    expect(integer('+7')).to.equal(7);
    expect(integer('-3')).to.equal(-3);
    expect(integer('1_000')).to.equal(1000);
    expect(integer(' 12 ')).to.equal(12);
    expect(integer('007')).to.equal(7);
    expect(rejects(integer, '0x10')).to.equal("not a valid integer: '0x10'");
    for (const text of ['1.5', '1__0', '_1', '1_', '', '1e3', 'ten']) rejects(integer, text);
    expect(rejects(integer, '99999999999999999999')).to.contain('out of range');
  });

  it('float: Python float() syntax', () => {
    expect(float('3.5')).to.equal(3.5);
    expect(float('1e3')).to.equal(1000);
    expect(float('.5')).to.equal(0.5);
    expect(float('5.')).to.equal(5);
    expect(float('-2')).to.equal(-2);
    expect(float('1_0.5')).to.equal(10.5);
    expect(float('inf')).to.equal(Infinity);
    expect(float('-Infinity')).to.equal(-Infinity);
    expect(Number.isNaN(float('nan'))).to.equal(true);
    for (const text of ['', '.', 'e3', '1.2.3', '0x1p3', 'abc']) rejects(float, text);
  });

  it('byte-size: integer with optional KB/MB/GB (1024-based)', () => {
    expect(byteSize('20MB')).to.equal(20971520);
    expect(byteSize('512')).to.equal(512);
    expect(byteSize('4kb')).to.equal(4096);
    expect(byteSize('1Gb')).to.equal(1073741824);
    expect(byteSize('20 MB')).to.equal(20971520);
    expect(byteSize('-5MB')).to.equal(-5242880);
    for (const text of ['20M', '1.5MB', '1TB', 'MB', '', 'lots']) rejects(byteSize, text);
    expect(rejects(byteSize, '20M')).to.contain("'20M'");
  });

  it('time-interval: integer seconds with optional s/m/h/d', () => {
    expect(timeInterval('30')).to.equal(30);
    expect(timeInterval('30s')).to.equal(30);
    expect(timeInterval('2m')).to.equal(120);
    expect(timeInterval('5M')).to.equal(300);
    expect(timeInterval('1h')).to.equal(3600);
    expect(timeInterval('2d')).to.equal(172800);
    for (const text of ['1.5h', '2w', 'm', '', '10ms']) rejects(timeInterval, text);
  });

  it('dotted-name: identifiers joined by dots', () => {
    expect(dottedName('zc.zkzeo._client')).to.equal('zc.zkzeo._client');
    for (const text of ['zc..zk', '.zc', 'zc.', '1zc', 'zc-zk', 'a:b']) rejects(dottedName, text);
  });

  it('port-number: 0 to 65535', () => {
    expect(portNumber('0')).to.equal(0);
    expect(portNumber('65535')).to.equal(65535);
    expect(rejects(portNumber, '65536')).to.equal('65536 is above upper bound (65535)');
    expect(rejects(portNumber, '-1')).to.equal('-1 is below lower bound (0)');
  });

  describe('paths', () => {
    let dir: TempConfigDir;
    before(() => {
      dir = new TempConfigDir();
      dir.write('var/existing.txt', 'x');
    });
    after(() => {
      dir.remove();
    });

    it('existing-dirpath: the directory part must exist; a bare name is accepted', () => {
      expect(existingDirpath(dir.path('var/Data.fs'))).to.equal(dir.path('var/Data.fs'));
      expect(existingDirpath('Data.fs')).to.equal('Data.fs');
      expect(existingDirpath('./Data.fs')).to.equal('./Data.fs');
      expect(rejects(existingDirpath, dir.path('nope/Data.fs'))).to.equal(
        `the directory named as part of the path ${dir.path('nope/Data.fs')} does not exist`,
      );
      // A file is not a directory.
      rejects(existingDirpath, dir.path('var/existing.txt/Data.fs'));
    });

    it('expands ~ to the home directory', () => {
      expect(expandUser('~')).to.equal(homedir());
      expect(expandUser('~/x.fs')).to.equal(path.join(homedir(), 'x.fs'));
      expect(expandUser('~other/x.fs')).to.equal('~other/x.fs');
      expect(expandUser('/a/~/b')).to.equal('/a/~/b');
      expect(existingDirpath('~/Data.fs')).to.equal(path.join(homedir(), 'Data.fs'));
    });

    it('existing-directory, existing-file and existing-path', () => {
      expect(existingDirectory(dir.path('var'))).to.equal(dir.path('var'));
      expect(rejects(existingDirectory, dir.path('var/existing.txt'))).to.contain('is not an existing directory');
      expect(existingFile(dir.path('var/existing.txt'))).to.equal(dir.path('var/existing.txt'));
      expect(rejects(existingFile, dir.path('missing'))).to.contain('is not an existing file');
      expect(existingPath(dir.path('var'))).to.equal(dir.path('var'));
      expect(rejects(existingPath, dir.path('missing'))).to.contain('is not an existing path');
    });
  });
});
