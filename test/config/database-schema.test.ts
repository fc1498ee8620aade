import { expect } from 'chai';
import {
  loadDatabaseConfigFile,
  loadStorageConfigFile,
  parseDatabaseConfig,
  parseStorageConfig,
} from '../../src/config/database-schema.js';
import { ConfigSchemaError, ConfigValueError } from '../../src/config/errors.js';
import type { StorageConfig } from '../../src/config/storage-schema.js';
import { expectConfigError } from './config-assertions.js';
import { TempConfigDir } from './temp-config-dir.js';

const parse = (text: string) => parseDatabaseConfig(text, { filename: 'db.conf' });

function storageOf(text: string): StorageConfig {
  const [database] = parse(text).databases;
  if (!database) throw new Error('no database');
  return database.storage;
}

// zc.zkzeo README.rst ("Defining ZEO clients in configuration files"), verbatim.
const README_CLIENT = `    %import zc.zkzeo

    <zodb>
       <zkzeoclient>
          zookeeper zookeeper.example.com:2181
          server /databases/demo
          max-disconnect-poll 1
       </zkzeoclient>
    </zodb>
`;

describe('config/database-schema', () => {
  describe('<zkzeoclient>', () => {
    it("reads zc.zkzeo's README example", () => {
      const config = parseDatabaseConfig(README_CLIENT);
      expect(config.databases).to.have.length(1);
      const storage = config.databases[0]?.storage;
      expect(storage).to.deep.equal({
        type: 'zkzeoclient',
        zookeeper: 'zookeeper.example.com:2181',
        zookeeperPath: '/databases/demo',
        sectionName: undefined,
        location: { file: '<string>', line: 4 },
        storage: '1',
        cacheSizeBytes: 20 * 1024 * 1024,
        name: '',
        client: undefined,
        varDirectory: undefined,
        blobDir: undefined,
        sharedBlobDir: false,
        blobCacheSizeBytes: undefined,
        blobCacheSizeCheckPercent: undefined,
        wait: true,
        readOnly: false,
        readOnlyFallback: false,
        clientLabel: undefined,
        minDisconnectPollSeconds: 5,
        maxDisconnectPollSeconds: 1,
        dropCacheRatherVerify: false,
        username: undefined,
        password: undefined,
        realm: undefined,
      });
      expect(config.warnings).to.deep.equal([
        {
          message: "'max-disconnect-poll' in <zkzeoclient> is ignored: ZEO 5 and later (and zkzeo) no longer use it",
          location: { file: '<string>', line: 7 },
        },
      ]);
    });

    it('accepts every <zeoclient> key', () => {
      const storage = storageOf(`%import zc.zkzeo
<zodb main>
  <zkzeoclient>
    zookeeper zk1:2181,zk2:2181
    server /databases/demo
    storage main
    cache-size 100MB
    name demo-client
    client cachefile
    var /var/cache
    blob-dir /var/blobs
    shared-blob-dir yes
    blob-cache-size 1GB
    blob-cache-size-check 20
    wait off
    read-only on
    read-only-fallback on
    client-label worker-1
    min-disconnect-poll 1
    max-disconnect-poll 2
    drop-cache-rather-verify on
    username u
    password p
    realm r
  </zkzeoclient>
</zodb>
`);
      expect(storage).to.deep.include({
        type: 'zkzeoclient',
        zookeeper: 'zk1:2181,zk2:2181',
        zookeeperPath: '/databases/demo',
        storage: 'main',
        cacheSizeBytes: 100 * 1024 ** 2,
        name: 'demo-client',
        client: 'cachefile',
        varDirectory: '/var/cache',
        blobDir: '/var/blobs',
        sharedBlobDir: true,
        blobCacheSizeBytes: 1024 ** 3,
        blobCacheSizeCheckPercent: 20,
        wait: false,
        readOnly: true,
        readOnlyFallback: true,
        clientLabel: 'worker-1',
        minDisconnectPollSeconds: 1,
        maxDisconnectPollSeconds: 2,
        dropCacheRatherVerify: true,
        username: 'u',
        password: 'p',
        realm: 'r',
      });
    });

    it('rejects two server keys at the second one', () => {
      expectConfigError(
        () => parse('%import zc.zkzeo\n<zodb>\n<zkzeoclient>\nzookeeper zk:2181\nserver /a\nserver /b\n</zkzeoclient>\n</zodb>\n'),
        ConfigValueError,
        'db.conf',
        6,
        'Only one server option is allowed in <zkzeoclient>',
      );
    });

    it('rejects a server that is not an absolute ZooKeeper path', () => {
      for (const value of ['databases/demo', 'zk.example.com:2181', './demo']) {
        expectConfigError(
          () => parse(`%import zc.zkzeo\n<zodb>\n<zkzeoclient>\nzookeeper zk:2181\n\nserver ${value}\n</zkzeoclient>\n</zodb>\n`),
          ConfigValueError,
          'db.conf',
          6,
          `server must be a ZooKeeper path, '${value}'`,
        );
      }
    });

    it('requires zookeeper and server', () => {
      expectConfigError(
        () => parse('%import zc.zkzeo\n<zodb>\n<zkzeoclient>\nserver /a\n</zkzeoclient>\n</zodb>\n'),
        ConfigSchemaError,
        'db.conf',
        3,
        "missing required key 'zookeeper' in <zkzeoclient>",
      );
      expectConfigError(
        () => parse('%import zc.zkzeo\n<zodb>\n<zkzeoclient>\nzookeeper zk:2181\n</zkzeoclient>\n</zodb>\n'),
        ConfigSchemaError,
        'db.conf',
        3,
        "missing required key 'server' in <zkzeoclient>",
      );
    });

    it('needs %import zc.zkzeo before the section, and accepts it anywhere before', () => {
      expectConfigError(
        () => parse('<zodb>\n<zkzeoclient>\nzookeeper zk:2181\nserver /a\n</zkzeoclient>\n</zodb>\n'),
        ConfigSchemaError,
        'db.conf',
        2,
        "unknown type name: 'zkzeoclient' (it needs '%import zc.zkzeo' before it)",
      );
      const storage = storageOf('<zodb>\n%import zc.zkzeo\n%import zc.zkzeo\n<zkzeoclient>\nzookeeper zk:2181\nserver /a\n</zkzeoclient>\n</zodb>\n');
      expect(storage.type).to.equal('zkzeoclient');
    });

    it('rejects keys <zkzeoclient> does not have, with a hint for wait-timeout', () => {
      expectConfigError(
        () => parse('%import zc.zkzeo\n<zodb>\n<zkzeoclient>\nzookeeper zk:2181\nserver /a\nwait-timeout 10\n</zkzeoclient>\n</zodb>\n'),
        ConfigSchemaError,
        'db.conf',
        6,
        "unknown key 'wait-timeout' in <zkzeoclient> ('wait-timeout' is a key of ZEO's <clientstorage>",
      );
    });
  });

  describe('<zeoclient> and <clientstorage>', () => {
    it('reads several servers in order with connection defaults', () => {
      const storage = storageOf('<zodb>\n<zeoclient>\nserver 8100\nserver zeo2.example.com:8100\nserver /tmp/zeo.sock\n</zeoclient>\n</zodb>\n');
      expect(storage.type === 'zeoclient' && storage.servers).to.deep.equal([
        { family: 'ipv4', host: '127.0.0.1', port: 8100 },
        { family: 'ipv4', host: 'zeo2.example.com', port: 8100 },
        { family: 'unix', path: '/tmp/zeo.sock' },
      ]);
      expect(storage).to.deep.include({ storage: '1', cacheSizeBytes: 20971520, wait: true, readOnly: false });
    });

    it('requires at least one server and checks each', () => {
      expectConfigError(() => parse('<zodb>\n<zeoclient>\n</zeoclient>\n</zodb>\n'), ConfigSchemaError, 'db.conf', 2, "missing required key 'server' in <zeoclient>");
      expectConfigError(
        () => parse('<zodb>\n<zeoclient>\nserver 1\nserver host:70000\n</zeoclient>\n</zodb>\n'),
        ConfigValueError,
        'db.conf',
        4,
        "invalid value for 'server' in <zeoclient>: 70000 is above upper bound (65535)",
      );
    });

    it('reads <clientstorage> with every key and <ssl> after %import ZEO', () => {
      const dir = new TempConfigDir();
      try {
        dir.write('ssl/client.pem', '');
        const storage = storageOf(`%import ZEO
<zodb>
  <clientstorage>
    server [::1]:8100
    storage two
    name n
    cache-size 1KB
    cache-path /var/cache.zec
    blob-dir /var/blobs
    shared-blob-dir on
    blob-cache-size 5MB
    blob-cache-size-check 50
    read-only on
    read-only-fallback on
    server-sync on
    wait-timeout 5
    client-label l
    <ssl>
      certificate ${dir.path('ssl/client.pem')}
      key ${dir.path('ssl/client.key')}
      authenticate ${dir.path('ssl/ca.pem')}
      check-hostname off
      server-hostname zeo.example.com
    </ssl>
  </clientstorage>
</zodb>
`);
        expect(storage).to.deep.include({
          type: 'clientstorage',
          servers: [{ family: 'ipv6', host: '::1', port: 8100 }],
          storage: 'two',
          name: 'n',
          cacheSizeBytes: 1024,
          cachePath: '/var/cache.zec',
          blobDir: '/var/blobs',
          sharedBlobDir: true,
          blobCacheSizeBytes: 5 * 1024 ** 2,
          blobCacheSizeCheckPercent: 50,
          readOnly: true,
          readOnlyFallback: true,
          serverSync: true,
          waitTimeoutSeconds: 5,
          clientLabel: 'l',
        });
        expect(storage.type === 'clientstorage' && storage.ssl).to.deep.equal({
          certificate: dir.path('ssl/client.pem'),
          key: dir.path('ssl/client.key'),
          passwordFunction: undefined,
          authenticate: dir.path('ssl/ca.pem'),
          checkHostname: false,
          serverHostname: 'zeo.example.com',
          location: { file: 'db.conf', line: 18 },
        });
      } finally {
        dir.remove();
      }
    });

    it('gives <clientstorage> its defaults', () => {
      const storage = storageOf('%import ZEO\n<zodb>\n<clientstorage>\nserver 8100\n</clientstorage>\n</zodb>\n');
      expect(storage).to.deep.include({ waitTimeoutSeconds: 30, serverSync: false, cacheSizeBytes: 20971520, storage: '1', ssl: undefined });
    });
  });

  describe('<zodb>', () => {
    it('fills every default', () => {
      const [database] = parse('<zodb>\n<mappingstorage/>\n</zodb>\n').databases;
      expect(database).to.deep.equal({
        sectionName: undefined,
        location: { file: 'db.conf', line: 1 },
        storage: { type: 'mappingstorage', sectionName: undefined, location: { file: 'db.conf', line: 2 }, name: 'Mapping Storage' },
        cacheSize: 5000,
        cacheSizeBytes: 0,
        largeRecordSizeBytes: 16 * 1024 ** 2,
        poolSize: 7,
        poolTimeoutSeconds: undefined,
        historicalPoolSize: 3,
        historicalCacheSize: 1000,
        historicalCacheSizeBytes: 0,
        historicalTimeoutSeconds: 300,
        databaseName: '',
        allowImplicitCrossReferences: undefined,
        classFactory: undefined,
      });
    });

    it('reads every key', () => {
      const config = parse(`<zodb Main>
  cache-size 10000
  cache-size-bytes 100MB
  large-record-size 1MB
  pool-size 20
  pool-timeout 10m
  historical-pool-size 5
  historical-cache-size 200
  historical-cache-size-bytes 1MB
  historical-timeout 1h
  database-name catalog
  allow-implicit-cross-references false
  class-factory my.factory
  <filestorage>
    path Data.fs
  </filestorage>
</zodb>
`);
      expect(config.databases[0]).to.deep.include({
        sectionName: 'main',
        cacheSize: 10000,
        cacheSizeBytes: 100 * 1024 ** 2,
        largeRecordSizeBytes: 1024 ** 2,
        poolSize: 20,
        poolTimeoutSeconds: 600,
        historicalPoolSize: 5,
        historicalCacheSize: 200,
        historicalCacheSizeBytes: 1024 ** 2,
        historicalTimeoutSeconds: 3600,
        databaseName: 'catalog',
        allowImplicitCrossReferences: false,
        classFactory: 'my.factory',
      });
      expect(config.warnings.map((w) => w.location.line)).to.deep.equal([13]);
    });

    it('uses the section name as the database name and reads several databases in order', () => {
      const config = parse('<zodb Main>\n<mappingstorage/>\n</zodb>\n<zodb catalog>\n<mappingstorage/>\n</zodb>\n');
      expect(config.databases.map((d) => d.databaseName)).to.deep.equal(['main', 'catalog']);
    });

    it('rejects two databases with the same name', () => {
      expectConfigError(
        () => parse('<zodb>\n<mappingstorage/>\n</zodb>\n<zodb x>\ndatabase-name \n<mappingstorage/>\n</zodb>\n<zodb y>\ndatabase-name x\n<mappingstorage/>\n</zodb>\n'),
        ConfigSchemaError,
        'db.conf',
        8,
        "database name 'x' is already used by the <zodb> section at line 4",
      );
    });

    it('needs exactly one storage', () => {
      expectConfigError(() => parse('<zodb>\n  cache-size 10\n</zodb>\n'), ConfigSchemaError, 'db.conf', 1, 'not enough storage sections in <zodb>: 0 found, 1 required');
      expectConfigError(
        () => parse('<zodb>\n<mappingstorage/>\n<mappingstorage/>\n</zodb>\n'),
        ConfigSchemaError,
        'db.conf',
        3,
        "too many instances of 'mappingstorage' section in <zodb>",
      );
    });

    it('needs at least one <zodb>', () => {
      expectConfigError(() => parse('# nothing\n'), ConfigSchemaError, 'db.conf', 1, 'not enough <zodb> sections in the top level');
    });

    it('rejects bad values with their lines', () => {
      expectConfigError(() => parse('<zodb>\n  pool-timeout 1.5h\n<mappingstorage/>\n</zodb>\n'), ConfigValueError, 'db.conf', 2, "invalid value for 'pool-timeout' in <zodb>");
      expectConfigError(() => parse('<zodb>\n  cache-size 20MB\n<mappingstorage/>\n</zodb>\n'), ConfigValueError, 'db.conf', 2, "not a valid integer: '20MB'");
    });

    it('rejects top-level keys and server sections', () => {
      expectConfigError(() => parse('cache-size 1\n'), ConfigSchemaError, 'db.conf', 1, "unknown key 'cache-size' in the top level");
      expectConfigError(() => parse('<zeo>\n</zeo>\n'), ConfigSchemaError, 'db.conf', 1, 'a <zeo> section is not allowed in the top level');
    });
  });

  describe('files and storage-only configurations', () => {
    let dir: TempConfigDir;
    beforeEach(() => {
      dir = new TempConfigDir();
    });
    afterEach(() => {
      dir.remove();
    });

    it('loads a database file with an included client section', async () => {
      dir.write('conf/client.conf', '<zkzeoclient>\n  zookeeper $zk\n  server /databases/demo\n</zkzeoclient>\n');
      const main = dir.write('conf/db.conf', '%import zc.zkzeo\n%define zk zk.example.com:2181\n<zodb>\n  %include client.conf\n</zodb>\n');
      const config = await loadDatabaseConfigFile(main);
      expect(config.databases[0]?.storage).to.deep.include({ type: 'zkzeoclient', zookeeper: 'zk.example.com:2181' });
      expect(config.files).to.deep.equal([main, dir.path('conf/client.conf')]);
    });

    it('parses a storage-only configuration', async () => {
      const file = dir.write('storage.conf', `<filestorage>\n  path ${dir.path('Data.fs')}\n  read-only true\n</filestorage>\n`);
      const config = await loadStorageConfigFile(file);
      expect(config.storage).to.deep.include({ type: 'filestorage', path: dir.path('Data.fs'), readOnly: true });
      expectConfigError(() => parseStorageConfig('<mappingstorage/>\n<mappingstorage/>\n'), ConfigSchemaError, '<string>', 2, 'too many instances');
      expectConfigError(() => parseStorageConfig('\n'), ConfigSchemaError, '<string>', 1, 'not enough storage sections');
    });
  });
});
