/**
 * Opens the storages a server configuration names: `<filestorage>` and
 * `<mappingstorage>`. Other storage types are refused with an error that
 * names the section and where it is.
 */
import type { Logger } from '../logger.js';
import type { ServedStorage } from '../config/server-schema.js';
import type { StorageConfig } from '../config/storage-schema.js';
import { FileStorage } from '../storage/file-storage/file-storage.js';
import { MappingStorage } from '../storage/mapping-storage.js';
import type { Storage } from '../storage/storage.js';
import { UnsupportedStorageError } from './errors.js';

/** Options of {@link openStorages}. */
export interface OpenStoragesOptions {
  /** Open every storage read-only. @defaultValue false */
  readonly readOnly?: boolean;
  /** `fsync` FileStorages on commit. @defaultValue true */
  readonly fsync?: boolean;
  /** Passed to the storages. */
  readonly logger?: Logger;
}

/**
 * Opens `served` in order, as a map from served name to storage. If one
 * fails, those already open are closed again before the error is thrown.
 * @throws UnsupportedStorageError for a storage type the server cannot open;
 *   the storages' own errors (locked, corrupt file) as they come.
 */
export async function openStorages(served: readonly ServedStorage[], options: OpenStoragesOptions = {}): Promise<Map<string, Storage>> {
  const opened = new Map<string, Storage>();
  try {
    for (const { name, storage: config } of served) opened.set(name, await openLocalStorage(config, options));
  } catch (error) {
    await Promise.allSettled([...opened.values()].map((storage) => storage.close()));
    throw error;
  }
  return opened;
}

/**
 * Opens one `<filestorage>` or `<mappingstorage>` section.
 * @throws UnsupportedStorageError (naming the file and line) for other storage types
 */
export async function openLocalStorage(config: StorageConfig, options: OpenStoragesOptions = {}): Promise<Storage> {
  switch (config.type) {
    case 'filestorage':
      return FileStorage.open(config.path, {
        readOnly: options.readOnly === true || config.readOnly,
        create: config.create,
        packGc: config.packGc,
        packKeepOld: config.packKeepOld,
        fsync: options.fsync,
        logger: options.logger,
      });
    case 'mappingstorage':
      return new MappingStorage({ name: config.name, logger: options.logger });
    default: {
      const where = `${config.location.file}:${config.location.line}`;
      throw new UnsupportedStorageError(
        `${where}: <${config.type}> storages cannot be opened here (use <filestorage> or <mappingstorage>)`,
      );
    }
  }
}
