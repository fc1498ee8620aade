/**
 * The configuration of a ZEO server as `zkrunzeo` reads it: ZEO's server
 * schema (`<zeo>`, storage sections, `<eventlog>`, `<runner>`) plus
 * zc.zkzeo's `<zookeeper>` section.
 */
import type { SourceLocation } from './config-tree.js';
import { boolean, existingDirpath, float, integer, string } from './datatypes.js';
import { ConfigSchemaError, ConfigValueError } from './errors.js';
import type { EventLogConfig } from './eventlog-schema.js';
import { eventLogType } from './eventlog-schema.js';
import type { ConfigWarning, SectionType } from './section-matcher.js';
import { createMatchContext, key, matchSection, slot } from './section-matcher.js';
import type { SocketAddress } from './socket-address.js';
import { socketBindingAddress } from './socket-address.js';
import type { StorageConfig } from './storage-schema.js';
import { storageSlot } from './storage-schema.js';
import type { ZConfigParseOptions } from './zconfig-parser.js';
import { parseZConfig, readConfigText } from './zconfig-parser.js';

/** `<ssl>` inside `<zeo>`: TLS for client connections; client certificates are always required. */
export interface ServerSslConfig {
  /** `certificate` (existing-dirpath, required): the server certificate file (PEM). */
  readonly certificate: string;
  /** `key` (existing-dirpath): the private key file, if not in the certificate file. */
  readonly key: string | undefined;
  /** `password-function`: a Python dotted name; accepted and ignored. */
  readonly passwordFunction: string | undefined;
  /** `authenticate` (required): CA file or directory used to verify client certificates. */
  readonly authenticate: string;
  /** Where the section starts. */
  readonly location: SourceLocation;
}

/** `<zeo>`: how the ZEO server listens and behaves. */
export interface ZeoServerOptions {
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `address` (socket-binding-address, required): where to listen; a missing port means an OS-assigned one. */
  readonly address: SocketAddress;
  /** Where the `address` line is, for later errors about the address. */
  readonly addressLocation: SourceLocation;
  /** `read-only`: serve every storage read-only (pack is still allowed). @defaultValue `false` */
  readonly readOnly: boolean;
  /** `invalidation-queue-size`: recent transactions remembered for `getInvalidations`. @defaultValue `100` */
  readonly invalidationQueueSize: number;
  /** `invalidation-age` (float seconds): how old a client may be for invalidations computed by iterating the storage; off when absent. */
  readonly invalidationAgeSeconds: number | undefined;
  /** `transaction-timeout` (integer seconds): close a client holding the commit lock longer than this; no timeout when absent. */
  readonly transactionTimeoutSeconds: number | undefined;
  /**
   * `pid-filename` (existing-dirpath): where to write the process id. When
   * absent, `$INSTANCE_HOME/var/ZEO.pid` if `INSTANCE_HOME` is set, else no
   * file (the server decides; this is the value as configured).
   */
  readonly pidFilename: string | undefined;
  /** `client-conflict-resolution`: let clients resolve conflicts. @defaultValue `false` */
  readonly clientConflictResolution: boolean;
  /** `msgpack`: announce msgpack instead of pickle; when absent, a non-empty `ZEO_MSGPACK` environment variable decides. */
  readonly msgpack: boolean | undefined;
  /** `<ssl>`: TLS settings, if any. */
  readonly ssl: ServerSslConfig | undefined;
}

/** zc.zkzeo's `<zookeeper>` section: how the server registers itself. */
export interface ZookeeperRegistrationConfig {
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** `connection`: the ZooKeeper connection string (`host:port[,host:port…][/chroot]`). @defaultValue `'127.0.0.1:2181'` */
  readonly connection: string;
  /** `path`: the ZooKeeper node to register under; when absent the server does not register at all. */
  readonly path: string | undefined;
  /**
   * `session-timeout` (integer): the ZooKeeper session timeout in
   * milliseconds, as zc.zkzeo documents it (zc.zk 2.x passed the number as
   * seconds). The client library default (10 s) applies when absent.
   */
  readonly sessionTimeoutMs: number | undefined;
  /** `monitor-server` (socket-binding-address): start a monitor server here and publish its address. */
  readonly monitorServer: SocketAddress | undefined;
}

/** zdaemon's `<runner>` section: process-control settings the server itself ignores. */
export interface RunnerConfig {
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** The keys given (lower-cased) and their values as written. */
  readonly settings: ReadonlyMap<string, string>;
  /** A nested `<eventlog>`, if any. */
  readonly eventlog: EventLogConfig | undefined;
}

/** A storage the server offers, under the name clients pass to `register`. */
export interface ServedStorage {
  /** The section name (lower-cased), or `'1'` for the one unnamed storage. */
  readonly name: string;
  /** The storage's configuration. */
  readonly storage: StorageConfig;
}

/** A whole server configuration file. */
export interface ServerConfig {
  /** The `<zeo>` section. */
  readonly zeo: ZeoServerOptions;
  /** The storages, in file order. */
  readonly storages: readonly ServedStorage[];
  /** The `<zookeeper>` section, if any. */
  readonly zookeeper: ZookeeperRegistrationConfig | undefined;
  /** The `<eventlog>` section, if any. */
  readonly eventlog: EventLogConfig | undefined;
  /** The `<runner>` section, if any. */
  readonly runner: RunnerConfig | undefined;
  /** Settings that were accepted but are ignored. */
  readonly warnings: readonly ConfigWarning[];
  /** The main file (or `<string>`) and every included file. */
  readonly files: readonly string[];
}

const PYTHON_ONLY = 'it names a Python function, which zkzeo cannot call';

const SERVER_SSL_SPEC = {
  keys: {
    certificate: key(existingDirpath, { required: true }),
    key: key(existingDirpath),
    'password-function': key(string, { unsupported: PYTHON_ONLY }),
    authenticate: key(string, { required: true }),
  },
  slots: {},
} as const;

const serverSslType: SectionType<ServerSslConfig> = {
  name: 'ssl',
  build(section, context) {
    const { values } = matchSection(section, SERVER_SSL_SPEC, context);
    return {
      certificate: values.certificate,
      key: values.key,
      passwordFunction: values['password-function'],
      authenticate: values.authenticate,
      location: section.location,
    };
  },
};

const ZEO_SPEC = {
  keys: {
    address: key(socketBindingAddress, { required: true }),
    'read-only': key(boolean, { default: 'false' }),
    'invalidation-queue-size': key(integer, { default: '100' }),
    'invalidation-age': key(float),
    'transaction-timeout': key(integer),
    'pid-filename': key(existingDirpath),
    'client-conflict-resolution': key(boolean, { default: 'false' }),
    msgpack: key(boolean),
  },
  slots: { ssl: slot({ ssl: serverSslType }, { max: 1, label: '<ssl> section' }) },
} as const;

const zeoType: SectionType<ZeoServerOptions> = {
  name: 'zeo',
  build(section, context) {
    const { values, locations, slots } = matchSection(section, ZEO_SPEC, context);
    return {
      location: section.location,
      address: values.address,
      addressLocation: locations.address[0] ?? section.location,
      readOnly: values['read-only'],
      invalidationQueueSize: values['invalidation-queue-size'],
      invalidationAgeSeconds: values['invalidation-age'],
      transactionTimeoutSeconds: values['transaction-timeout'],
      pidFilename: values['pid-filename'],
      clientConflictResolution: values['client-conflict-resolution'],
      msgpack: values.msgpack,
      ssl: slots.ssl[0],
    };
  },
};

const ZOOKEEPER_SPEC = {
  keys: {
    connection: key(string, { default: '127.0.0.1:2181' }),
    path: key(string),
    'session-timeout': key(integer),
    'monitor-server': key(socketBindingAddress),
  },
  slots: {},
} as const;

const zookeeperType: SectionType<ZookeeperRegistrationConfig> = {
  name: 'zookeeper',
  build(section, context) {
    const { values, locations } = matchSection(section, ZOOKEEPER_SPEC, context);
    const { path } = values;
    if (path !== undefined && !path.startsWith('/')) {
      throw new ConfigValueError(
        `invalid value for 'path' in <zookeeper>: '${path}' is not an absolute ZooKeeper path (it must start with '/')`,
        locations.path[0],
      );
    }
    return {
      location: section.location,
      connection: values.connection,
      path,
      sessionTimeoutMs: values['session-timeout'],
      monitorServer: values['monitor-server'],
    };
  },
};

const RUNNER_KEYS = [
  'program', 'python', 'zdrun', 'socket-name', 'daemon', 'directory', 'backoff-limit', 'forever', 'exit-codes',
  'start-test-program', 'start-timeout', 'stop-timeout', 'user', 'umask', 'hang-around', 'default-to-interactive',
  'logfile', 'transcript', 'prompt',
] as const;

const RUNNER_SPEC = {
  keys: Object.fromEntries(RUNNER_KEYS.map((name) => [name, key(string)])),
  slots: { eventlog: slot({ eventlog: eventLogType }, { max: 1, label: '<eventlog> section' }) },
} as const;

const runnerType: SectionType<RunnerConfig> = {
  name: 'runner',
  packageName: 'zdaemon',
  build(section, context) {
    const { values, slots } = matchSection(section, RUNNER_SPEC, context);
    const settings = new Map<string, string>();
    for (const [name, value] of Object.entries(values)) if (value !== undefined) settings.set(name, value);
    context.warnings.push({ message: "the <runner> section configures zdaemon, which zkzeo does not use; ignored", location: section.location });
    return { location: section.location, settings, eventlog: slots.eventlog[0] };
  },
};

const SERVER_SPEC = {
  keys: {},
  slots: {
    zeo: slot({ zeo: zeoType }, { min: 1, max: 1, label: '<zeo> section' }),
    storages: storageSlot({ min: 1 }),
    eventlog: slot({ eventlog: eventLogType }, { max: 1, label: '<eventlog> section' }),
    runner: slot({ runner: runnerType }, { max: 1, label: '<runner> section' }),
    zookeeper: slot({ zookeeper: zookeeperType }, { max: 1, label: '<zookeeper> section' }),
  },
} as const;

/** Packages the server schema includes without `%import` (ZEO's `schema.xml` imports them). */
const SERVER_PACKAGES = ['ZODB', 'ZConfig.components.logger', 'zdaemon'] as const;

/** Options of {@link parseServerConfig} and {@link parseDatabaseConfig}. */
export type ConfigParseOptions = ZConfigParseOptions;

/** Gives the unnamed storage the name `1`, as `runzeo` does, and checks the names. */
function nameStorages(storages: readonly StorageConfig[]): ServedStorage[] {
  const unnamed = storages.filter((storage) => storage.sectionName === undefined);
  const [first, second] = unnamed;
  if (first && second) {
    throw new ConfigSchemaError(
      `No more than one storage may be unnamed (another unnamed storage is at line ${first.location.line})`,
      second.location,
    );
  }
  const namedOne = storages.find((storage) => storage.sectionName === '1');
  if (first && namedOne) {
    const later = first.location.line > namedOne.location.line ? first : namedOne;
    throw new ConfigSchemaError("Can't have an unnamed storage and a storage named 1", later.location);
  }
  return storages.map((storage) => ({ name: storage.sectionName ?? '1', storage }));
}

/**
 * Parses the text of a server configuration file and applies the server
 * schema. Throws a `ConfigError` naming the file and line of the
 * first problem.
 */
export function parseServerConfig(text: string, options: ConfigParseOptions = {}): ServerConfig {
  const document = parseZConfig(text, options);
  const context = createMatchContext(document, SERVER_PACKAGES);
  const { slots } = matchSection(document.root, SERVER_SPEC, context);
  const [zeo] = slots.zeo;
  // The slot's minimum of one makes this unreachable; it narrows the type.
  if (zeo === undefined) throw new ConfigSchemaError('missing <zeo> section', document.root.endLocation);
  return {
    zeo,
    storages: nameStorages(slots.storages),
    zookeeper: slots.zookeeper[0],
    eventlog: slots.eventlog[0],
    runner: slots.runner[0],
    warnings: context.warnings,
    files: document.files,
  };
}

/** Reads a server configuration file and parses it with {@link parseServerConfig}. */
export async function loadServerConfigFile(
  filename: string,
  options: Omit<ConfigParseOptions, 'filename'> = {},
): Promise<ServerConfig> {
  return parseServerConfig(await readConfigText(filename), { ...options, filename });
}
