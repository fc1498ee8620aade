import { expect } from 'chai';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ConfigSection } from '../../src/config/config-tree.js';
import { ConfigError, ConfigIncludeError, ConfigSyntaxError } from '../../src/config/errors.js';
import { parseZConfig, parseZConfigFile } from '../../src/config/zconfig-parser.js';
import { expectConfigError, expectConfigRejection } from './config-assertions.js';
import { TempConfigDir } from './temp-config-dir.js';

function only<T>(items: readonly T[]): T {
  expect(items).to.have.length(1);
  return items[0] as T;
}

function values(section: ConfigSection): Array<[string, string, number]> {
  return section.values.map((v) => [v.key, v.value, v.location.line]);
}

describe('config/zconfig-parser', () => {
  describe('lines, comments and key/value pairs', () => {
    it('ignores blank lines and lines starting with #, keeps # inside values', () => {
      const { root } = parseZConfig('# comment\n\n   # indented comment\npath /x.fs # note\n');
      expect(values(root)).to.deep.equal([['path', '/x.fs # note', 4]]);
    });

    it('splits key and value at the first whitespace and keeps inner whitespace', () => {
      const { root } = parseZConfig('  format   %(a)s   %(b)s  \nflag\nkey=value\n');
      expect(values(root)).to.deep.equal([
        ['format', '%(a)s   %(b)s', 1],
        ['flag', '', 2],
        ['key=value', '', 3],
      ]);
    });

    it('keeps the case of keys and values as written', () => {
      const { root } = parseZConfig('Read-Only YES\n');
      expect(values(root)).to.deep.equal([['Read-Only', 'YES', 1]]);
    });

    it('counts lines across CRLF, CR and LF line endings', () => {
      const { root } = parseZConfig('a 1\r\nb 2\rc 3\nd 4');
      expect(values(root)).to.deep.equal([
        ['a', '1', 1],
        ['b', '2', 2],
        ['c', '3', 3],
        ['d', '4', 4],
      ]);
    });

    it('rejects a line that starts with a parenthesis', () => {
      expectConfigError(() => parseZConfig('ok 1\n(bad value\n'), ConfigSyntaxError, '<string>', 2, 'malformed configuration data');
    });
  });

  describe('sections', () => {
    it('reads named, unnamed and nested sections and lower-cases types and names', () => {
      const { root } = parseZConfig('<ZEO>\n  address 1\n</zeo>\n<FileStorage Main>\n  path x\n</FILESTORAGE>\n<zodb>\n<zeoclient/>\n</zodb>\n');
      expect(root.sections.map((s) => [s.type, s.name, s.location.line, s.endLocation.line])).to.deep.equal([
        ['zeo', undefined, 1, 3],
        ['filestorage', 'main', 4, 6],
        ['zodb', undefined, 7, 9],
      ]);
      const zodb = root.sections[2] as ConfigSection;
      const client = only(zodb.sections);
      expect([client.type, client.name, client.location.line, client.endLocation.line]).to.deep.equal(['zeoclient', undefined, 8, 8]);
    });

    it('reads empty sections with and without names and spaces before the slash', () => {
      const { root } = parseZConfig('<mappingstorage/>\n<mappingstorage Two />\n<mappingstorage three/>\nkey v\n');
      expect(root.sections.map((s) => [s.type, s.name])).to.deep.equal([
        ['mappingstorage', undefined],
        ['mappingstorage', 'two'],
        ['mappingstorage', 'three'],
      ]);
      expect(values(root)).to.deep.equal([['key', 'v', 4]]);
    });

    it('puts keys in the innermost open section', () => {
      const { root } = parseZConfig('<zodb>\ncache-size 1\n<zeoclient>\nserver a\nserver b\n</zeoclient>\npool-size 2\n</zodb>\n');
      const zodb = only(root.sections);
      expect(values(zodb)).to.deep.equal([
        ['cache-size', '1', 2],
        ['pool-size', '2', 7],
      ]);
      expect(values(only(zodb.sections))).to.deep.equal([
        ['server', 'a', 4],
        ['server', 'b', 5],
      ]);
    });

    it('rejects a header with three words', () => {
      expectConfigError(() => parseZConfig('<zeo>\n</zeo>\n<filestorage a b>\n'), ConfigSyntaxError, '<string>', 3, 'malformed section header');
    });

    it('rejects a header with whitespace after the bracket, and an empty header', () => {
      expectConfigError(() => parseZConfig('< zeo>\n'), ConfigSyntaxError, '<string>', 1, 'malformed section header');
      expectConfigError(() => parseZConfig('<>\n'), ConfigSyntaxError, '<string>', 1, 'malformed section header');
    });

    it('rejects a start tag without ">"', () => {
      expectConfigError(() => parseZConfig('<zeo\n'), ConfigSyntaxError, '<string>', 1, 'malformed section start');
    });

    it('rejects an end tag without ">"', () => {
      expectConfigError(() => parseZConfig('<zeo>\n</zeo\n'), ConfigSyntaxError, '<string>', 2, 'malformed section end');
    });

    it('rejects a mismatched end tag, naming both tags', () => {
      const error = expectConfigError(
        () => parseZConfig('<zodb>\n  <zeoclient>\n  </zodb>\n</zeoclient>\n', { filename: 'db.conf' }),
        ConfigSyntaxError,
        'db.conf',
        3,
        'unbalanced section end',
      );
      expect(error.message).to.contain('</zodb>').and.contain('<zeoclient> opened at line 2');
    });

    it('rejects an end tag with nothing open', () => {
      expectConfigError(() => parseZConfig('a 1\n</zeo>\n'), ConfigSyntaxError, '<string>', 2, 'unexpected section end');
    });

    it('rejects an unterminated section at the last line', () => {
      const error = expectConfigError(
        () => parseZConfig('<zeo>\n  address 8100\n\n', { filename: 'server.conf' }),
        ConfigSyntaxError,
        'server.conf',
        3,
        'unclosed sections not allowed',
      );
      expect(error.reason).to.contain('<zeo> opened at line 1');
    });
  });

  describe('directives', () => {
    it('requires a known lower-case directive name', () => {
      expectConfigError(() => parseZConfig('%Define x 1\n'), ConfigSyntaxError, '<string>', 1, "unknown directive: 'Define'");
      expectConfigError(() => parseZConfig('\n%frobnicate x\n'), ConfigSyntaxError, '<string>', 2, "unknown directive: 'frobnicate'");
    });

    it('requires an argument', () => {
      expectConfigError(() => parseZConfig('%define\n'), ConfigSyntaxError, '<string>', 1, 'missing argument to %define directive');
      expectConfigError(() => parseZConfig('%include   \n'), ConfigSyntaxError, '<string>', 1, 'missing argument to %include directive');
      expectConfigError(() => parseZConfig('%import\n'), ConfigSyntaxError, '<string>', 1, 'missing argument to %import directive');
    });

    it('rejects a bare %', () => {
      expectConfigError(() => parseZConfig('%\n'), ConfigSyntaxError, '<string>', 1, 'missing or unrecognized directive');
    });

    it('records %import with its package name and location, anywhere', () => {
      const document = parseZConfig('%define pkg zc.zkzeo\n<zodb>\n%import $pkg\n</zodb>\n%import ZEO\n', { filename: 'db.conf' });
      expect(document.imports.map((i) => [i.packageName, i.location.file, i.location.line])).to.deep.equal([
        ['zc.zkzeo', 'db.conf', 3],
        ['ZEO', 'db.conf', 5],
      ]);
      const zodb = only(document.root.sections);
      expect(document.imports[0]?.sequence).to.be.greaterThan(zodb.sequence);
    });
  });

  describe('%define and substitution', () => {
    it('substitutes $name and ${name} case-insensitively, as in the syntax document', () => {
      const text = [
        '%define HOME /var/zeo',
        '%define port 8100',
        '<zeo>',
        '  address 127.0.0.1:$PORT',
        '</zeo>',
        '<filestorage>',
        '  path ${home}/Data.fs',
        '</filestorage>',
        '<eventlog>',
        '  <logfile>',
        '    path $(LOGDIR)/zeo.log',
        '  </logfile>',
        '</eventlog>',
      ].join('\n');
      const document = parseZConfig(text, { env: { LOGDIR: '/var/log' } });
      const [zeo, storage, eventlog] = document.root.sections as [ConfigSection, ConfigSection, ConfigSection];
      expect(values(zeo)).to.deep.equal([['address', '127.0.0.1:8100', 4]]);
      expect(values(storage)).to.deep.equal([['path', '/var/zeo/Data.fs', 7]]);
      expect(values(only(eventlog.sections))).to.deep.equal([['path', '/var/log/zeo.log', 11]]);
      expect([...document.defines]).to.deep.equal([
        ['home', '/var/zeo'],
        ['port', '8100'],
      ]);
    });

    it('substitutes at definition time and allows an empty value', () => {
      const document = parseZConfig('%define a x\n%define b ${a}y\n%define empty\nv [$b$empty]\n');
      expect(document.defines.get('b')).to.equal('xy');
      expect(document.defines.get('empty')).to.equal('');
      expect(values(document.root)).to.deep.equal([['v', '[xy]', 4]]);
    });

    it('keeps the whole rest of the line as the value, inner spaces included', () => {
      const document = parseZConfig('%define greeting  hello   world\n');
      expect(document.defines.get('greeting')).to.equal('hello   world');
    });

    it('allows repeating a definition with the same value and rejects a different one', () => {
      expect(parseZConfig('%define a 1\n%define A 1\n').defines.get('a')).to.equal('1');
      expectConfigError(() => parseZConfig('%define a 1\n%define A 2\n'), ConfigSyntaxError, '<string>', 2, "cannot redefine 'a'");
    });

    it('rejects an illegal name', () => {
      expectConfigError(() => parseZConfig('%define 9lives x\n'), ConfigSyntaxError, '<string>', 1, "not a substitution legal name: '9lives'");
    });

    it('requires names to be defined before use', () => {
      expectConfigError(() => parseZConfig('a $x\n%define x 1\n'), ConfigSyntaxError, '<string>', 1, "no replacement for 'x'");
    });

    it('does not substitute keys', () => {
      const document = parseZConfig('%define k v\n$k 1\n');
      expect(values(document.root)).to.deep.equal([['$k', '1', 2]]);
    });

    it('substitutes %include arguments', () => {
      const dir = new TempConfigDir();
      try {
        dir.write('sub/inc.conf', 'included yes\n');
        const main = dir.write('main.conf', '%define d sub\n%include $d/inc.conf\n');
        const document = parseZConfig('%define d sub\n%include $d/inc.conf\n', { filename: main });
        expect(values(document.root)).to.deep.equal([['included', 'yes', 1]]);
      } finally {
        dir.remove();
      }
    });
  });

  describe('%include', () => {
    let dir: TempConfigDir;
    beforeEach(() => {
      dir = new TempConfigDir();
    });
    afterEach(() => {
      dir.remove();
    });

    it('includes a file relative to the including file, inside the current section', async () => {
      dir.write('conf/storage.conf', '  path /tmp/Data.fs\n  %include more/quota.conf\n');
      dir.write('conf/more/quota.conf', '\n  quota 1MB\n');
      const main = dir.write('conf/server.conf', '<filestorage main>\n  %include storage.conf\n  read-only yes\n</filestorage>\n');
      const document = await parseZConfigFile(main);
      const storage = only(document.root.sections);
      expect(values(storage)).to.deep.equal([
        ['path', '/tmp/Data.fs', 1],
        ['quota', '1MB', 2],
        ['read-only', 'yes', 3],
      ]);
      expect(storage.values.map((v) => v.location.file)).to.deep.equal([
        dir.path('conf/storage.conf'),
        dir.path('conf/more/quota.conf'),
        main,
      ]);
      expect(document.files).to.deep.equal([main, dir.path('conf/storage.conf'), dir.path('conf/more/quota.conf')]);
    });

    it('names included files relative to the including file name as given', () => {
      dir.write('conf/bad.conf', 'ok 1\n<zeo\n');
      const relativeMain = path.relative(process.cwd(), dir.path('conf/main.conf'));
      expectConfigError(
        () => parseZConfig('%include bad.conf\n', { filename: relativeMain }),
        ConfigSyntaxError,
        path.join(path.dirname(relativeMain), 'bad.conf'),
        2,
        'malformed section start',
      );
    });

    it('shares %define names with included files in both directions', () => {
      dir.write('defs.conf', '%define port 8100\nseen $host\n');
      const main = dir.path('main.conf');
      const document = parseZConfig('%define host h\n%include defs.conf\naddress $host:$port\n', { filename: main });
      expect(values(document.root)).to.deep.equal([
        ['seen', 'h', 2],
        ['address', 'h:8100', 3],
      ]);
    });

    it('accepts an absolute path and a file: URL', () => {
      const target = dir.write('abs.conf', 'a 1\n');
      const document = parseZConfig(`%include ${target}\n%include ${pathToFileURL(target).href}\n`);
      expect(values(document.root).map(([key]) => key)).to.deep.equal(['a', 'a']);
    });

    it('requires an included file to close its own sections', () => {
      const inc = dir.write('open.conf', '<zeo>\n  address 1\n');
      expectConfigError(
        () => parseZConfig('%include open.conf\n</zeo>\n', { filename: dir.path('main.conf') }),
        ConfigSyntaxError,
        inc,
        2,
        'unclosed sections not allowed',
      );
    });

    it('rejects a file that includes itself', () => {
      const main = dir.write('self.conf', 'a 1\n%include self.conf\n');
      expectConfigError(() => parseZConfig('a 1\n%include self.conf\n', { filename: main }), ConfigIncludeError, main, 2, '%include cycle: self.conf -> self.conf');
    });

    it('rejects an include cycle through several files, at the include that closes it', () => {
      dir.write('a.conf', 'x 1\n%include b.conf\n');
      const b = dir.write('b.conf', '\n\n%include a.conf\n');
      expectConfigError(
        () => parseZConfig('x 1\n%include b.conf\n', { filename: dir.path('a.conf') }),
        ConfigIncludeError,
        b,
        3,
        '%include cycle: a.conf -> b.conf -> a.conf',
      );
    });

    it('allows including the same file twice when it is not a cycle', () => {
      dir.write('common.conf', 'k v\n');
      const document = parseZConfig('%include common.conf\n%include common.conf\n', { filename: dir.path('main.conf') });
      expect(values(document.root)).to.deep.equal([
        ['k', 'v', 1],
        ['k', 'v', 1],
      ]);
    });

    it('reports a missing included file at the %include line', () => {
      const error = expectConfigError(
        () => parseZConfig('\n%include nope.conf\n', { filename: dir.path('main.conf') }),
        ConfigIncludeError,
        dir.path('main.conf'),
        2,
        `cannot read included file '${dir.path('nope.conf')}'`,
      );
      expect(error.cause).to.be.instanceOf(Error);
    });

    it('refuses URLs other than file:', () => {
      expectConfigError(() => parseZConfig('%include http://example.com/x.conf\n'), ConfigIncludeError, '<string>', 1, 'only local files');
    });
  });

  describe('files', () => {
    it('reports an unreadable main file with its name', async () => {
      const error = await expectConfigRejection(parseZConfigFile('/nonexistent/zkzeo.conf'), ConfigIncludeError, "cannot read configuration file '/nonexistent/zkzeo.conf'");
      expect(error.code).to.equal('CONFIG_INCLUDE');
      expect(error).to.be.instanceOf(ConfigError);
    });

    it('gives the top level the last line as its end', () => {
      const document = parseZConfig('a 1\nb 2\n\n', { filename: 'x.conf' });
      expect(document.root.endLocation).to.deep.equal({ file: 'x.conf', line: 3 });
      expect(document.files).to.deep.equal(['x.conf']);
    });
  });
});
