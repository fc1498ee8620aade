/**
 * The ZEO client storage sections: ZODB's `<zeoclient>`, ZEO's
 * `<clientstorage>` (with `<ssl>`) and zc.zkzeo's `<zkzeoclient>`, which
 * has every key of `<zeoclient>` plus `zookeeper`, and one `server` that is a
 * ZooKeeper path.
 */
import type { ConfigSection, SourceLocation } from './config-tree.js';
import { boolean, byteSize, existingDirpath, integer, string } from './datatypes.js';
import { ConfigValueError } from './errors.js';
import type { MatchContext, SectionType } from './section-matcher.js';
import { describeSection, key, matchSection, multiKey, slot } from './section-matcher.js';
import type { SocketAddress } from './socket-address.js';
import { socketConnectionAddress } from './socket-address.js';

const IGNORED_BY_ZEO5 = 'ZEO 5 and later (and zkzeo) no longer use it';
const PYTHON_ONLY = 'it names a Python function, which zkzeo cannot call';

/** `<ssl>` inside `<clientstorage>`: TLS for the connection to the server. */
export interface ClientSslConfig {
  /** `certificate`: the client certificate file (PEM). */
  readonly certificate: string;
  /** `key`: the private key file, if not in the certificate file. */
  readonly key: string | undefined;
  /** `password-function`: a Python dotted name; accepted and ignored. */
  readonly passwordFunction: string | undefined;
  /** `authenticate`: CA file or directory for the server certificate; system CAs when absent. */
  readonly authenticate: string | undefined;
  /** `check-hostname`: verify the host name in the server certificate. @defaultValue `true` */
  readonly checkHostname: boolean;
  /** `server-hostname`: the name to check; defaults to the host of the address. */
  readonly serverHostname: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
}

const CLIENT_SSL_SPEC = {
  keys: {
    certificate: key(existingDirpath, { required: true }),
    key: key(existingDirpath),
    'password-function': key(string, { unsupported: PYTHON_ONLY }),
    authenticate: key(existingDirpath),
    'check-hostname': key(boolean, { default: 'true' }),
    'server-hostname': key(string),
  },
  slots: {},
} as const;

const clientSslType: SectionType<ClientSslConfig> = {
  name: 'ssl',
  build(section, context) {
    const { values } = matchSection(section, CLIENT_SSL_SPEC, context);
    return {
      certificate: values.certificate,
      key: values.key,
      passwordFunction: values['password-function'],
      authenticate: values.authenticate,
      checkHostname: values['check-hostname'],
      serverHostname: values['server-hostname'],
      location: section.location,
    };
  },
};

/** The keys `<zeoclient>` and `<zkzeoclient>` share (everything but `server`). */
export interface ZeoClientOptions {
  /** The section name (lower-cased), if any. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `storage`: the storage name on the server. @defaultValue `'1'` */
  readonly storage: string;
  /** `cache-size` (byte-size): client cache size in bytes. @defaultValue 20 MB (20971520) */
  readonly cacheSizeBytes: number;
  /** `name`: the storage name the client reports; `''` means derived from the addresses. @defaultValue `''` */
  readonly name: string;
  /** `client`: enables a persistent cache file `<var>/<client>-<storage>.zec`. */
  readonly client: string | undefined;
  /** `var`: directory of the persistent cache file (current directory when absent). */
  readonly varDirectory: string | undefined;
  /** `blob-dir`: blob cache directory (needed for blobs). */
  readonly blobDir: string | undefined;
  /** `shared-blob-dir`: the blob directory is shared with the server. @defaultValue `false` */
  readonly sharedBlobDir: boolean;
  /** `blob-cache-size` (byte-size): blob cache limit in bytes; unbounded when absent. */
  readonly blobCacheSizeBytes: number | undefined;
  /** `blob-cache-size-check`: percent of the blob cache size loaded between size checks (the client uses 10 when absent). */
  readonly blobCacheSizeCheckPercent: number | undefined;
  /** `wait`: block at start-up until connected. @defaultValue `true` */
  readonly wait: boolean;
  /** `read-only`: open the storage read-only. @defaultValue `false` */
  readonly readOnly: boolean;
  /** `read-only-fallback`: accept a read-only server when no writable one is available. @defaultValue `false` */
  readonly readOnlyFallback: boolean;
  /** `client-label`: label shown in server logs. */
  readonly clientLabel: string | undefined;
  /** `min-disconnect-poll` (seconds): ignored by ZEO 5 and later. @defaultValue `5` */
  readonly minDisconnectPollSeconds: number;
  /** `max-disconnect-poll` (seconds): ignored by ZEO 5 and later. @defaultValue `300` */
  readonly maxDisconnectPollSeconds: number;
  /** `drop-cache-rather-verify`: ignored by ZEO 5 and later. @defaultValue `false` */
  readonly dropCacheRatherVerify: boolean;
  /** `username`: ignored by ZEO 5 and later. */
  readonly username: string | undefined;
  /** `password`: ignored by ZEO 5 and later. */
  readonly password: string | undefined;
  /** `realm`: ignored by ZEO 5 and later. */
  readonly realm: string | undefined;
}

/** ZODB's `<zeoclient>` section. With it, ZEO 5/6 waits up to 30 s for a connection and does not sync with the server. */
export interface ZeoClientStorageConfig extends ZeoClientOptions {
  /** Discriminant: the section type. */
  readonly type: 'zeoclient';
  /** `server` (multikey, socket-connection-address, at least one): the server addresses in order. */
  readonly servers: readonly SocketAddress[];
}

/** zc.zkzeo's `<zkzeoclient>` section: a `<zeoclient>` whose server addresses come from ZooKeeper. */
export interface ZkZeoClientStorageConfig extends ZeoClientOptions {
  /** Discriminant: the section type. */
  readonly type: 'zkzeoclient';
  /** `zookeeper` (required): the ZooKeeper connection string. */
  readonly zookeeper: string;
  /** `server` (exactly one, required): the absolute ZooKeeper path whose children are the server addresses. */
  readonly zookeeperPath: string;
}

/** ZEO's `<clientstorage>` section (needs `%import ZEO`). */
export interface ClientStorageConfig {
  /** Discriminant: the section type. */
  readonly type: 'clientstorage';
  /** The section name (lower-cased), if any. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `server` (multikey, socket-connection-address, at least one): the server addresses in order. */
  readonly servers: readonly SocketAddress[];
  /** `storage`: the storage name on the server. @defaultValue `'1'` */
  readonly storage: string;
  /** `name`: the storage name the client reports. @defaultValue `''` */
  readonly name: string;
  /** `cache-size` (byte-size): client cache size in bytes. @defaultValue 20 MB (20971520) */
  readonly cacheSizeBytes: number;
  /** `cache-path`: persistent cache file. */
  readonly cachePath: string | undefined;
  /** `blob-dir`: blob cache directory. */
  readonly blobDir: string | undefined;
  /** `shared-blob-dir`: the blob directory is shared with the server. @defaultValue `false` */
  readonly sharedBlobDir: boolean;
  /** `blob-cache-size` (byte-size): blob cache limit in bytes. */
  readonly blobCacheSizeBytes: number | undefined;
  /** `blob-cache-size-check`: percent of the blob cache size loaded between size checks. */
  readonly blobCacheSizeCheckPercent: number | undefined;
  /** `read-only`. @defaultValue `false` */
  readonly readOnly: boolean;
  /** `read-only-fallback`. @defaultValue `false` */
  readonly readOnlyFallback: boolean;
  /** `server-sync`: make `sync()` a server round trip. @defaultValue `false` */
  readonly serverSync: boolean;
  /** `wait-timeout` (integer seconds): how long to wait for a connection. @defaultValue `30` */
  readonly waitTimeoutSeconds: number;
  /** `client-label`: label shown in server logs. */
  readonly clientLabel: string | undefined;
  /** `<ssl>`: TLS settings, if any. */
  readonly ssl: ClientSslConfig | undefined;
}

const ZEOCLIENT_KEYS = {
  'blob-dir': key(string),
  'shared-blob-dir': key(boolean, { default: 'no' }),
  'blob-cache-size': key(byteSize),
  'blob-cache-size-check': key(integer),
  storage: key(string, { default: '1' }),
  'cache-size': key(byteSize, { default: '20MB' }),
  name: key(string, { default: '' }),
  client: key(string),
  var: key(string),
  'min-disconnect-poll': key(integer, { default: '5', unsupported: IGNORED_BY_ZEO5 }),
  'max-disconnect-poll': key(integer, { default: '300', unsupported: IGNORED_BY_ZEO5 }),
  wait: key(boolean, { default: 'on' }),
  'read-only': key(boolean, { default: 'off' }),
  'read-only-fallback': key(boolean, { default: 'off' }),
  username: key(string, { unsupported: IGNORED_BY_ZEO5 }),
  password: key(string, { unsupported: IGNORED_BY_ZEO5 }),
  realm: key(string, { unsupported: IGNORED_BY_ZEO5 }),
  'drop-cache-rather-verify': key(boolean, { default: 'off', unsupported: IGNORED_BY_ZEO5 }),
  'client-label': key(string),
} as const;

const ZEOCLIENT_HINTS = {
  'wait-timeout': "'wait-timeout' is a key of ZEO's <clientstorage>; <zeoclient> has none and waits up to 30 seconds",
  'server-sync': "'server-sync' is a key of ZEO's <clientstorage>",
  'cache-path': "'cache-path' is a key of ZEO's <clientstorage>; <zeoclient> uses 'client' and 'var'",
} as const;

const ZEOCLIENT_SPEC = {
  keys: { server: multiKey(socketConnectionAddress, { required: true }), ...ZEOCLIENT_KEYS },
  slots: {},
  keyHints: ZEOCLIENT_HINTS,
} as const;

// The ZooKeeper path is checked by zkzeo's own rule, so `server` is read as text here.
const ZKZEOCLIENT_SPEC = {
  keys: { server: multiKey(string, { required: true }), zookeeper: key(string, { required: true }), ...ZEOCLIENT_KEYS },
  slots: {},
  keyHints: ZEOCLIENT_HINTS,
} as const;

type ZeoClientKeyValues = ReturnType<typeof matchSection<typeof ZEOCLIENT_SPEC.keys, Record<never, never>>>['values'];

function zeoClientOptions(section: ConfigSection, values: Omit<ZeoClientKeyValues, 'server'>): ZeoClientOptions {
  return {
    sectionName: section.name,
    location: section.location,
    storage: values.storage,
    cacheSizeBytes: values['cache-size'],
    name: values.name,
    client: values.client,
    varDirectory: values.var,
    blobDir: values['blob-dir'],
    sharedBlobDir: values['shared-blob-dir'],
    blobCacheSizeBytes: values['blob-cache-size'],
    blobCacheSizeCheckPercent: values['blob-cache-size-check'],
    wait: values.wait,
    readOnly: values['read-only'],
    readOnlyFallback: values['read-only-fallback'],
    clientLabel: values['client-label'],
    minDisconnectPollSeconds: values['min-disconnect-poll'],
    maxDisconnectPollSeconds: values['max-disconnect-poll'],
    dropCacheRatherVerify: values['drop-cache-rather-verify'],
    username: values.username,
    password: values.password,
    realm: values.realm,
  };
}

/** `<zeoclient>` (ZODB). */
export const zeoClientType: SectionType<ZeoClientStorageConfig> = {
  name: 'zeoclient',
  packageName: 'ZODB',
  build(section: ConfigSection, context: MatchContext) {
    const { values } = matchSection(section, ZEOCLIENT_SPEC, context);
    return { type: 'zeoclient', servers: values.server, ...zeoClientOptions(section, values) };
  },
};

/** `<zkzeoclient>` (zc.zkzeo): exactly one `server`, an absolute ZooKeeper path. */
export const zkZeoClientType: SectionType<ZkZeoClientStorageConfig> = {
  name: 'zkzeoclient',
  packageName: 'zc.zkzeo',
  build(section: ConfigSection, context: MatchContext) {
    const { values, locations } = matchSection(section, ZKZEOCLIENT_SPEC, context);
    const where = describeSection(section);
    if (values.server.length > 1) {
      throw new ConfigValueError(
        `Only one server option is allowed in ${where}: it is the ZooKeeper path of the servers (first given at line ${locations.server[0]?.line})`,
        locations.server[1],
      );
    }
    const zookeeperPath = values.server[0] ?? '';
    if (!zookeeperPath.startsWith('/')) {
      throw new ConfigValueError(
        `server must be a ZooKeeper path, '${zookeeperPath}' (in ${where}, 'server' is the absolute ZooKeeper path under which the servers register, such as /databases/demo)`,
        locations.server[0],
      );
    }
    return { type: 'zkzeoclient', zookeeper: values.zookeeper, zookeeperPath, ...zeoClientOptions(section, values) };
  },
};

const CLIENTSTORAGE_SPEC = {
  keys: {
    server: multiKey(socketConnectionAddress, { required: true }),
    'cache-size': key(byteSize, { default: '20MB' }),
    'cache-path': key(string),
    'blob-dir': key(string),
    'shared-blob-dir': key(boolean, { default: 'no' }),
    'blob-cache-size': key(byteSize),
    'blob-cache-size-check': key(integer),
    'read-only': key(boolean, { default: 'off' }),
    'read-only-fallback': key(boolean, { default: 'off' }),
    'server-sync': key(boolean, { default: 'off' }),
    'wait-timeout': key(integer, { default: '30' }),
    'client-label': key(string),
    storage: key(string, { default: '1' }),
    name: key(string, { default: '' }),
  },
  slots: { ssl: slot({ ssl: clientSslType }, { max: 1, label: '<ssl> section' }) },
} as const;

/** `<clientstorage>` (ZEO). */
export const clientStorageType: SectionType<ClientStorageConfig> = {
  name: 'clientstorage',
  packageName: 'ZEO',
  build(section: ConfigSection, context: MatchContext) {
    const { values, slots } = matchSection(section, CLIENTSTORAGE_SPEC, context);
    return {
      type: 'clientstorage',
      sectionName: section.name,
      location: section.location,
      servers: values.server,
      storage: values.storage,
      name: values.name,
      cacheSizeBytes: values['cache-size'],
      cachePath: values['cache-path'],
      blobDir: values['blob-dir'],
      sharedBlobDir: values['shared-blob-dir'],
      blobCacheSizeBytes: values['blob-cache-size'],
      blobCacheSizeCheckPercent: values['blob-cache-size-check'],
      readOnly: values['read-only'],
      readOnlyFallback: values['read-only-fallback'],
      serverSync: values['server-sync'],
      waitTimeoutSeconds: values['wait-timeout'],
      clientLabel: values['client-label'],
      ssl: slots.ssl[0],
    };
  },
};
