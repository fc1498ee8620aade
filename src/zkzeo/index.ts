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

// Registered servers (zkrunzeo) and monitoring (zkzeo-nagios, the monitor server)
export { startRegisteredZeoServer } from './run-zkzeo.js';
export type { RegisteredZeoServerOptions, RegisteredZeoServer } from './run-zkzeo.js';
export { ServerRegistration } from './server-registration.js';
export type { ServerRegistrationOptions } from './server-registration.js';
export { MonitorServer, MonitorMode } from './monitor-server.js';
export type { MonitorCommand, MonitorOutput, MonitorServerOptions } from './monitor-server.js';
export { RegisteredServers, serversCommand, statusCommand } from './monitor-commands.js';
export type { RegisteredServerRecord } from './monitor-commands.js';
export { findServer, checkRegisteredServer } from './nagios.js';
export type { FoundServer, FindServerOptions, RegisteredServerCheckOptions } from './nagios.js';
export { checkZeoServer, nagiosSocketTarget, NagiosStatus, TIME_UNITS } from './nagios-check.js';
export type { NagiosResult, TimeUnit, ZeoCheckOptions } from './nagios-check.js';
export {
  ZkzeoServerError,
  RegistrationConfigError,
  RegistrationPathError,
  RegistrationClosedError,
  ZKZEO_SERVER_ERROR_CODES,
} from './errors.js';
export type { ZkzeoServerErrorCode } from './errors.js';
