// ZODB-style database configuration files: <zodb> sections with a
// <zkzeoclient> (or <zeoclient>, <filestorage>, <mappingstorage>) storage,
// opened as zkzeo objects. The parsing and checking (file and line in every
// error) is src/config's; this module only opens what it describes.
import type { ZeoClientOptions } from '../config/client-storage-schema.js';
import {
  loadDatabaseConfigFile,
  parseDatabaseConfig,
  parseStorageConfig,
  type ZodbDatabaseConfig,
} from '../config/database-schema.js';
import type { ConfigParseOptions } from '../config/server-schema.js';
import type { StorageConfig } from '../config/storage-schema.js';
import { formatSocketAddress } from '../config/socket-address.js';
import { DB } from '../db/db.js';
import type { Logger } from '../logger.js';
import { openLocalStorage } from '../server/open-storages.js';
import type { Storage } from '../storage/storage.js';
import { ClientStorage } from '../zeo/client/client-storage.js';
import type { ClientStorageOptions } from '../zeo/client/options.js';
import { client } from './client.js';

/** Options for opening a configuration. */
export interface OpenConfigOptions extends ConfigParseOptions {
  /** Where the storages and zc.zkzeo's messages log. */
  readonly logger?: Logger;
}

function clientOptions(config: ZeoClientOptions, logger: Logger | undefined): Omit<ClientStorageOptions, 'addresses'> {
  return {
    storage: config.storage,
    cacheSize: config.cacheSizeBytes,
    readOnly: config.readOnly,
    readOnlyFallback: config.readOnlyFallback,
    wait: config.wait,
    name: config.name,
    minDisconnectPoll: config.minDisconnectPollSeconds,
    maxDisconnectPoll: config.maxDisconnectPollSeconds,
    ...(config.clientLabel === undefined ? {} : { clientLabel: config.clientLabel }),
    ...(logger === undefined ? {} : { logger }),
  };
}

/**
 * Opens the storage a storage section describes: a `<zkzeoclient>` becomes
 * {@link client} on its ZooKeeper path, a `<zeoclient>` a ClientStorage,
 * `<filestorage>` and `<mappingstorage>` local storages.
 */
export async function openStorageConfig(config: StorageConfig, logger?: Logger): Promise<Storage> {
  switch (config.type) {
    case 'zkzeoclient':
      return (await client(config.zookeeper, config.zookeeperPath, clientOptions(config, logger))).asStorage();
    case 'zeoclient': {
      const storage = await ClientStorage.open({
        ...clientOptions(config, logger),
        addresses: config.servers.map((address) => formatSocketAddress(address)),
      });
      return storage.asStorage();
    }
    default:
      return openLocalStorage(config, logger === undefined ? {} : { logger });
  }
}

async function openDatabase(config: ZodbDatabaseConfig, logger: Logger | undefined): Promise<DB> {
  const storage = await openStorageConfig(config.storage, logger);
  try {
    const db = new DB(storage, {
      databaseName: config.databaseName,
      cacheSize: config.cacheSize,
      poolSize: config.poolSize,
      ...(config.poolTimeoutSeconds === undefined ? {} : { poolTimeoutMS: config.poolTimeoutSeconds * 1000 }),
      closeStorage: true,
      ...(logger === undefined ? {} : { logger }),
    });
    await db.ready();
    return db;
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/**
 * Opens the first `<zodb>` database of a configuration text (ZODB's
 * `databaseFromString`). `%import zc.zkzeo` makes `<zkzeoclient>` available.
 *
 * @throws ConfigError naming the file (or `<string>`) and line of any mistake
 */
export async function databaseFromString(text: string, options: OpenConfigOptions = {}): Promise<DB> {
  const [database] = parseDatabaseConfig(text, options).databases;
  return openDatabase(database!, options.logger);
}

/** Opens the first `<zodb>` database of a configuration file (ZODB's `databaseFromFile`). */
export async function databaseFromFile(path: string, options: Omit<OpenConfigOptions, 'filename'> = {}): Promise<DB> {
  const [database] = (await loadDatabaseConfigFile(path, options)).databases;
  return openDatabase(database!, options.logger);
}

/** Opens the storage of a configuration text holding one storage section (ZODB's `storageFromString`). */
export async function storageFromString(text: string, options: OpenConfigOptions = {}): Promise<Storage> {
  return openStorageConfig(parseStorageConfig(text, options).storage, options.logger);
}
