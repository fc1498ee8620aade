/**
 * zc.zkzeo's client API: a storage, a database or a connection whose ZEO
 * servers come from a ZooKeeper path and follow it.
 *
 * @example
 * ```ts
 * import { zkzeo } from 'zkzeo';
 * const conn = await zkzeo.connection('zk1:2181', '/databases/demo');
 * const root = await conn.root();
 * ```
 *
 * @packageDocumentation
 */
export { client, zkzeoDatabase as DB, connection, ZkZeoClientStorage } from './client.js';
export type { ZkZeoClientOptions, ZkZeoDBOptions } from './client.js';
export { AddressTracker, parseNames, NO_ADDRESSES_REPEAT_MS } from './address-tracker.js';
export type { RegisteredAddress, AddressTrackerOptions } from './address-tracker.js';
export { databaseFromString, databaseFromFile, storageFromString, openStorageConfig } from './database-config.js';
export type { OpenConfigOptions } from './database-config.js';
