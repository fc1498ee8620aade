import { expect } from 'chai';
import { ConfigValueError } from '../../src/config/errors.js';
import { loadServerConfigFile, parseServerConfig } from '../../src/config/server-schema.js';
import { expectConfigRejection } from './config-assertions.js';
import { TempConfigDir } from './temp-config-dir.js';

const parse = (text: string) => parseServerConfig(text, { filename: 'server.conf' });

// zc.zkzeo README.rst, verbatim (indented by three spaces as in the README).
const README_SERVER = `   <zeo>
      address 127.0.0.1
   </zeo>

   <zookeeper>
      connection zookeeper.example.com:2181
      path /databases/demo
   </zookeeper>

   <filestorage>
      path demo.fs
   </filestorage>
`;

const README_MONITOR = `   <zeo>
      address 127.0.0.1
   </zeo>

   <zookeeper>
      connection zookeeper.example.com:2181
      path /databases/demo
      monitor-server 127.0.0.1
   </zookeeper>

   <filestorage>
      path demo.fs
   </filestorage>
`;

const README_MONITOR_UNIX = `   <zeo>
      address 127.0.0.1
   </zeo>

   <zookeeper>
      connection zookeeper.example.com:2181
      path /databases/demo
      monitor-server ./monitor.sock
   </zookeeper>

   <filestorage>
      path demo.fs
   </filestorage>
`;

// zconfig-syntax.md §6, verbatim.
const SYNTAX_DOC_EVENTLOG = `<eventlog>
  level info
  <logfile>
    path /var/log/zeo.log
    format %(asctime)s %(levelname)s %(name)s %(message)s
  </logfile>
</eventlog>
`;

describe('config/server-schema', () => {
  describe("zc.zkzeo's README examples", () => {
    it('reads the registering server', () => {
      const config = parseServerConfig(README_SERVER);
      expect(config.zeo.address).to.deep.equal({ family: 'ipv4', host: '127.0.0.1', port: undefined });
      expect(config.zookeeper).to.deep.include({
        connection: 'zookeeper.example.com:2181',
        path: '/databases/demo',
        sessionTimeoutMs: undefined,
        monitorServer: undefined,
      });
      expect(config.storages).to.have.length(1);
      expect(config.storages[0]?.name).to.equal('1');
      expect(config.storages[0]?.storage).to.deep.include({ type: 'filestorage', path: 'demo.fs', sectionName: undefined });
      expect(config.warnings).to.deep.equal([]);
      expect(config.files).to.deep.equal(['<string>']);
    });

    it('reads a TCP monitor server', () => {
      const config = parseServerConfig(README_MONITOR);
      expect(config.zookeeper?.monitorServer).to.deep.equal({ family: 'ipv4', host: '127.0.0.1', port: undefined });
    });

    it('reads a Unix-socket monitor server', () => {
      const config = parseServerConfig(README_MONITOR_UNIX);
      expect(config.zookeeper?.monitorServer).to.deep.equal({ family: 'unix', path: './monitor.sock' });
    });
  });

  it("reads the syntax document's <eventlog> example", () => {
    const config = parse(`<zeo>\naddress 8100\n</zeo>\n<mappingstorage/>\n${SYNTAX_DOC_EVENTLOG}`);
    expect(config.eventlog?.level).to.equal(20);
    expect(config.eventlog?.handlers).to.have.length(1);
    expect(config.eventlog?.handlers[0]).to.deep.include({
      type: 'logfile',
      path: '/var/log/zeo.log',
      format: '%(asctime)s %(levelname)s %(name)s %(message)s',
    });
  });

  describe('minimal and full configurations', () => {
    let dir: TempConfigDir;
    before(() => {
      dir = new TempConfigDir();
      dir.write('var/placeholder', '');
      dir.write('ssl/server.pem', '');
    });
    after(() => {
      dir.remove();
    });

    it('fills every default of a minimal configuration', () => {
      const config = parse('<zeo>\n  address 8100\n</zeo>\n<mappingstorage/>\n');
      expect(config.zeo).to.deep.equal({
        location: { file: 'server.conf', line: 1 },
        address: { family: 'ipv4', host: '', port: 8100 },
        addressLocation: { file: 'server.conf', line: 2 },
        readOnly: false,
        invalidationQueueSize: 100,
        invalidationAgeSeconds: undefined,
        transactionTimeoutSeconds: undefined,
        pidFilename: undefined,
        clientConflictResolution: false,
        msgpack: undefined,
        ssl: undefined,
      });
      expect(config.storages).to.deep.equal([
        { name: '1', storage: { type: 'mappingstorage', sectionName: undefined, location: { file: 'server.conf', line: 4 }, name: 'Mapping Storage' } },
      ]);
      expect(config.zookeeper).to.equal(undefined);
      expect(config.eventlog).to.equal(undefined);
      expect(config.runner).to.equal(undefined);
    });

    it('reads every key of every server section', () => {
      const text = `%define var ${dir.path('var')}
<ZEO>
  Address [::1]:8100
  read-only on
  invalidation-queue-size 500
  invalidation-age 3600.5
  transaction-timeout 30
  pid-filename $var/zeo.pid
  client-conflict-resolution true
  msgpack yes
  <ssl>
    certificate ${dir.path('ssl/server.pem')}
    key ${dir.path('ssl/server.key')}
    authenticate ${dir.path('ssl/clients')}
  </ssl>
</ZEO>
<filestorage Main>
  path $var/Data.fs
  blob-dir $var/blobs
  create true
  read-only false
  quota 2GB
  pack-gc off
  pack-keep-old no
</filestorage>
<mappingstorage scratch>
  name Scratch
</mappingstorage>
<zookeeper>
  connection zk1:2181,zk2:2181/chroot
  path /databases/demo
  session-timeout 4242
  monitor-server :0
</zookeeper>
<eventlog>
  level warning
  <logfile>
    path STDOUT
    format %(message)s\\n--
    dateformat %H:%M
    level blather
    style format
    arbitrary-fields on
    old-files 3
    max-size 10MB
    when midnight
    interval 2
    encoding utf-8
    delay yes
  </logfile>
  <syslog>
    facility LOCAL3
    address /dev/log
  </syslog>
</eventlog>
`;
      const config = parse(text);
      expect(config.zeo).to.deep.include({
        address: { family: 'ipv6', host: '::1', port: 8100 },
        readOnly: true,
        invalidationQueueSize: 500,
        invalidationAgeSeconds: 3600.5,
        transactionTimeoutSeconds: 30,
        pidFilename: dir.path('var/zeo.pid'),
        clientConflictResolution: true,
        msgpack: true,
      });
      expect(config.zeo.ssl).to.deep.equal({
        certificate: dir.path('ssl/server.pem'),
        key: dir.path('ssl/server.key'),
        passwordFunction: undefined,
        authenticate: dir.path('ssl/clients'),
        location: { file: 'server.conf', line: 11 },
      });
      expect(config.storages.map((s) => s.name)).to.deep.equal(['main', 'scratch']);
      expect(config.storages[0]?.storage).to.deep.equal({
        type: 'filestorage',
        sectionName: 'main',
        location: { file: 'server.conf', line: 17 },
        path: dir.path('var/Data.fs'),
        blobDir: dir.path('var/blobs'),
        create: true,
        readOnly: false,
        quotaBytes: 2 * 1024 ** 3,
        packer: undefined,
        packGc: false,
        packKeepOld: false,
      });
      expect(config.storages[1]?.storage).to.deep.include({ type: 'mappingstorage', name: 'Scratch' });
      expect(config.zookeeper).to.deep.equal({
        location: { file: 'server.conf', line: 29 },
        connection: 'zk1:2181,zk2:2181/chroot',
        path: '/databases/demo',
        sessionTimeoutMs: 4242,
        monitorServer: { family: 'ipv4', host: '', port: 0 },
      });
      expect(config.eventlog?.level).to.equal(30);
      expect(config.eventlog?.handlers).to.deep.equal([
        {
          type: 'logfile',
          location: { file: 'server.conf', line: 37 },
          format: '%(message)s\n--',
          dateFormat: '%H:%M',
          level: 15,
          formatter: undefined,
          style: 'format',
          arbitraryFields: true,
          path: 'STDOUT',
          oldFiles: 3,
          maxSizeBytes: 10 * 1024 ** 2,
          when: 'midnight',
          interval: 2,
          encoding: 'utf-8',
          delay: true,
        },
        {
          type: 'syslog',
          location: { file: 'server.conf', line: 51 },
          format: '%(name)s %(message)s',
          dateFormat: '%Y-%m-%dT%H:%M:%S',
          level: 0,
          formatter: undefined,
          style: 'classic',
          arbitraryFields: false,
          facility: 'local3',
          address: { family: 'unix', path: '/dev/log' },
        },
      ]);
      expect(config.warnings).to.deep.equal([]);
    });

    it('gives logfile handlers their defaults', () => {
      const config = parse('<zeo>\naddress 1\n</zeo>\n<mappingstorage/>\n<eventlog>\n<logfile>\npath zeo.log\n</logfile>\n</eventlog>\n');
      expect(config.eventlog?.level).to.equal(20);
      expect(config.eventlog?.handlers[0]).to.deep.include({
        format: '------\n%(asctime)s %(levelname)s %(name)s %(message)s',
        dateFormat: '%Y-%m-%dT%H:%M:%S',
        level: 0,
        style: 'classic',
        oldFiles: 0,
        maxSizeBytes: 0,
        when: '',
        interval: 0,
        encoding: undefined,
        delay: false,
      });
    });

    it('accepts an empty <zookeeper> section with its defaults', () => {
      const config = parse('<zeo>\naddress :\n</zeo>\n<mappingstorage/>\n<zookeeper>\n</zookeeper>\n');
      expect(config.zookeeper).to.deep.include({ connection: '127.0.0.1:2181', path: undefined });
      expect(config.zeo.address).to.deep.equal({ family: 'ipv4', host: '', port: undefined });
    });

    it('accepts a Unix-socket address', () => {
      const config = parse('<zeo>\naddress /tmp/zeo.sock\n</zeo>\n<mappingstorage/>\n');
      expect(config.zeo.address).to.deep.equal({ family: 'unix', path: '/tmp/zeo.sock' });
    });

    it('accepts and reports settings zkzeo ignores', () => {
      const config = parse(
        '<zeo>\naddress 1\n<ssl>\ncertificate c.pem\nauthenticate SIGNED\npassword-function my.module.pw\n</ssl>\n</zeo>\n<filestorage>\npath x.fs\npacker my.packer\n</filestorage>\n<runner>\nprogram runzeo\ndaemon on\n</runner>\n',
      );
      expect(config.warnings.map((w) => [w.location.line, w.message])).to.deep.equal([
        [6, "'password-function' in <ssl> is ignored: it names a Python function, which zkzeo cannot call"],
        [11, "'packer' in <filestorage> is ignored: it names a Python pack implementation, which zkzeo cannot load"],
        [13, 'the <runner> section configures zdaemon, which zkzeo does not use; ignored'],
      ]);
      expect(config.storages[0]?.storage).to.deep.include({ packer: 'my.packer' });
      expect(config.runner?.settings).to.deep.equal(
        new Map([
          ['program', 'runzeo'],
          ['daemon', 'on'],
        ]),
      );
    });

    it('serves demo, blob and ZEO-client storages', () => {
      const config = parse(`%import ZEO
<zeo>
  address 1
</zeo>
<demostorage demo>
  <filestorage>
    path base.fs
  </filestorage>
  <mappingstorage changes/>
</demostorage>
<blobstorage blobs>
  blob-dir /tmp/blobs
  <mappingstorage/>
</blobstorage>
<zeoclient upstream>
  server upstream:8100
</zeoclient>
<clientstorage other>
  server [::1]:8100
</clientstorage>
`);
      expect(config.storages.map((s) => [s.name, s.storage.type])).to.deep.equal([
        ['demo', 'demostorage'],
        ['blobs', 'blobstorage'],
        ['upstream', 'zeoclient'],
        ['other', 'clientstorage'],
      ]);
      const demo = config.storages[0]?.storage;
      expect(demo?.type === 'demostorage' && [demo.base?.type, demo.changes?.type]).to.deep.equal(['filestorage', 'mappingstorage']);
      const blob = config.storages[1]?.storage;
      expect(blob?.type === 'blobstorage' && [blob.blobDir, blob.base.type]).to.deep.equal(['/tmp/blobs', 'mappingstorage']);
    });

    it('loads a file with includes relative to it', async () => {
      dir.write('etc/storages.conf', '<filestorage>\n  path demo.fs\n</filestorage>\n');
      const main = dir.write('etc/server.conf', '<zeo>\n  address 127.0.0.1:8100\n</zeo>\n%include storages.conf\n');
      const config = await loadServerConfigFile(main);
      expect(config.files).to.deep.equal([main, dir.path('etc/storages.conf')]);
      expect(config.storages[0]?.storage.location).to.deep.equal({ file: dir.path('etc/storages.conf'), line: 1 });
    });

    it('reports errors in an included file with that file and line', async () => {
      const storages = dir.write('etc2/storages.conf', '<filestorage>\n  path demo.fs\n  quota lots\n</filestorage>\n');
      const main = dir.write('etc2/server.conf', '<zeo>\n  address 127.0.0.1:8100\n</zeo>\n%include storages.conf\n');
      const error = await expectConfigRejection(loadServerConfigFile(main), ConfigValueError, `${storages}:3: invalid value for 'quota' in <filestorage>`);
      expect(error.line).to.equal(3);
    });
  });
});
