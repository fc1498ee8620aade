/**
 * The configuration of a ZODB client application: one or more `<zodb>`
 * database sections, each holding one storage section (`<zeoclient>`,
 * `<zkzeoclient>`, `<filestorage>` …), as ZODB's `config.xml` reads it; and
 * storage-only files as ZODB's `storage.xml` reads them.
 */
import type { SourceLocation } from './config-tree.js';
import { boolean, byteSize, integer, string, timeInterval } from './datatypes.js';
import { ConfigSchemaError } from './errors.js';
import type { ConfigWarning, SectionType } from './section-matcher.js';
import { createMatchContext, key, matchSection, slot } from './section-matcher.js';
import type { ConfigParseOptions } from './server-schema.js';
import type { StorageConfig } from './storage-schema.js';
import { storageSlot } from './storage-schema.js';
import { parseZConfig, readConfigText } from './zconfig-parser.js';

/** `<zodb>`: one database and its storage. */
export interface ZodbDatabaseConfig {
  /** The section name (lower-cased), if any. */
  readonly sectionName: string | undefined;
  /** Where the section starts. */
  readonly location: SourceLocation;
  /** The storage section inside. */
  readonly storage: StorageConfig;
  /** `cache-size`: target number of objects in each connection's cache. @defaultValue `5000` */
  readonly cacheSize: number;
  /** `cache-size-bytes` (byte-size): target estimated bytes of each connection's cache; 0 means no limit. @defaultValue `0` */
  readonly cacheSizeBytes: number;
  /** `large-record-size` (byte-size): warn when a record is at least this large. @defaultValue 16 MB (16777216) */
  readonly largeRecordSizeBytes: number;
  /** `pool-size`: expected number of simultaneously open connections. @defaultValue `7` */
  readonly poolSize: number;
  /** `pool-timeout` (time-interval, seconds): minimum time an unused connection is kept; the database default when absent. */
  readonly poolTimeoutSeconds: number | undefined;
  /** `historical-pool-size`: maximum number of historical connections. @defaultValue `3` */
  readonly historicalPoolSize: number;
  /** `historical-cache-size`: object cache size of historical connections. @defaultValue `1000` */
  readonly historicalCacheSize: number;
  /** `historical-cache-size-bytes` (byte-size). @defaultValue `0` */
  readonly historicalCacheSizeBytes: number;
  /** `historical-timeout` (time-interval, seconds): minimum time an unused historical connection is kept. @defaultValue 300 (`5m`) */
  readonly historicalTimeoutSeconds: number;
  /** `database-name`, else the section name, else `''`: the name in a multi-database. */
  readonly databaseName: string;
  /** `allow-implicit-cross-references`: allow references between databases; the database default (true) when absent. */
  readonly allowImplicitCrossReferences: boolean | undefined;
  /** `class-factory`: a Python dotted name; accepted and ignored. */
  readonly classFactory: string | undefined;
}

/** A database configuration file: the first database is the main one, all of them form a multi-database. */
export interface DatabaseConfig {
  /** The `<zodb>` sections in file order (at least one). */
  readonly databases: readonly ZodbDatabaseConfig[];
  /** Settings that were accepted but are ignored. */
  readonly warnings: readonly ConfigWarning[];
  /** The main file (or `<string>`) and every included file. */
  readonly files: readonly string[];
}

/** A storage-only configuration file: exactly one storage section. */
export interface StorageOnlyConfig {
  /** The storage section. */
  readonly storage: StorageConfig;
  /** Settings that were accepted but are ignored. */
  readonly warnings: readonly ConfigWarning[];
  /** The main file (or `<string>`) and every included file. */
  readonly files: readonly string[];
}

const ZODB_SPEC = {
  keys: {
    'cache-size': key(integer, { default: '5000' }),
    'cache-size-bytes': key(byteSize, { default: '0' }),
    'large-record-size': key(byteSize, { default: '16MB' }),
    'pool-size': key(integer, { default: '7' }),
    'pool-timeout': key(timeInterval),
    'historical-pool-size': key(integer, { default: '3' }),
    'historical-cache-size': key(integer, { default: '1000' }),
    'historical-cache-size-bytes': key(byteSize, { default: '0' }),
    'historical-timeout': key(timeInterval, { default: '5m' }),
    'database-name': key(string),
    'allow-implicit-cross-references': key(boolean),
    'class-factory': key(string, { unsupported: 'it names a Python callable, which zkzeo cannot call' }),
  },
  slots: { storage: storageSlot({ min: 1, max: 1 }) },
} as const;

const zodbType: SectionType<ZodbDatabaseConfig> = {
  name: 'zodb',
  packageName: 'ZODB',
  build(section, context) {
    const { values, slots } = matchSection(section, ZODB_SPEC, context);
    const [storage] = slots.storage;
    // The slot's minimum of one makes this unreachable; it narrows the type.
    if (storage === undefined) throw new ConfigSchemaError('missing storage section in <zodb>', section.location);
    return {
      sectionName: section.name,
      location: section.location,
      storage,
      cacheSize: values['cache-size'],
      cacheSizeBytes: values['cache-size-bytes'],
      largeRecordSizeBytes: values['large-record-size'],
      poolSize: values['pool-size'],
      poolTimeoutSeconds: values['pool-timeout'],
      historicalPoolSize: values['historical-pool-size'],
      historicalCacheSize: values['historical-cache-size'],
      historicalCacheSizeBytes: values['historical-cache-size-bytes'],
      historicalTimeoutSeconds: values['historical-timeout'],
      // ZODB uses the section name when database-name is absent or empty.
      databaseName: values['database-name'] || section.name || '',
      allowImplicitCrossReferences: values['allow-implicit-cross-references'],
      classFactory: values['class-factory'],
    };
  },
};

const DATABASE_SPEC = {
  keys: {},
  slots: { databases: slot({ zodb: zodbType }, { min: 1, label: '<zodb> section' }) },
} as const;

const STORAGE_ONLY_SPEC = { keys: {}, slots: { storage: storageSlot({ min: 1, max: 1 }) } } as const;

/** Packages ZODB's `config.xml` and `storage.xml` include without `%import`. */
const DATABASE_PACKAGES = ['ZODB'] as const;

function checkDatabaseNames(databases: readonly ZodbDatabaseConfig[]): void {
  const seen = new Map<string, ZodbDatabaseConfig>();
  for (const database of databases) {
    const other = seen.get(database.databaseName);
    if (other) {
      throw new ConfigSchemaError(
        `database name '${database.databaseName}' is already used by the <zodb> section at line ${other.location.line}; each database of a multi-database needs its own name`,
        database.location,
      );
    }
    seen.set(database.databaseName, database);
  }
}

/**
 * Parses the text of a database configuration (`<zodb>` sections) and
 * applies ZODB's schema, plus zc.zkzeo's `<zkzeoclient>` after
 * `%import zc.zkzeo` and ZEO's `<clientstorage>` after `%import ZEO`.
 * Throws a `ConfigError` naming the file and line of the first problem.
 */
export function parseDatabaseConfig(text: string, options: ConfigParseOptions = {}): DatabaseConfig {
  const document = parseZConfig(text, options);
  const context = createMatchContext(document, DATABASE_PACKAGES);
  const { slots } = matchSection(document.root, DATABASE_SPEC, context);
  checkDatabaseNames(slots.databases);
  return { databases: slots.databases, warnings: context.warnings, files: document.files };
}

/** Reads a database configuration file and parses it with {@link parseDatabaseConfig}. */
export async function loadDatabaseConfigFile(
  filename: string,
  options: Omit<ConfigParseOptions, 'filename'> = {},
): Promise<DatabaseConfig> {
  return parseDatabaseConfig(await readConfigText(filename), { ...options, filename });
}

/** Parses a storage-only configuration (one storage section at the top level, as ZODB's `storageFromString`). */
export function parseStorageConfig(text: string, options: ConfigParseOptions = {}): StorageOnlyConfig {
  const document = parseZConfig(text, options);
  const context = createMatchContext(document, DATABASE_PACKAGES);
  const { slots } = matchSection(document.root, STORAGE_ONLY_SPEC, context);
  const [storage] = slots.storage;
  // The slot's minimum of one makes this unreachable; it narrows the type.
  if (storage === undefined) throw new ConfigSchemaError('missing storage section', document.root.endLocation);
  return { storage, warnings: context.warnings, files: document.files };
}

/** Reads a storage-only configuration file and parses it with {@link parseStorageConfig}. */
export async function loadStorageConfigFile(
  filename: string,
  options: Omit<ConfigParseOptions, 'filename'> = {},
): Promise<StorageOnlyConfig> {
  return parseStorageConfig(await readConfigText(filename), { ...options, filename });
}
