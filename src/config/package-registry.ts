/**
 * What `%import PACKAGE` makes available: the Python packages whose ZConfig
 * components define the section types zkzeo understands. Importing a package
 * twice is a no-op; an unknown package is an error.
 */
import type { ConfigDocument } from './config-tree.js';
import { ConfigSchemaError } from './errors.js';

/** The package names `%import` accepts, with the section types each one contributes. */
export const KNOWN_PACKAGES: ReadonlyMap<string, readonly string[]> = new Map([
  ['ZODB', ['zodb', 'filestorage', 'mappingstorage', 'demostorage', 'blobstorage', 'zeoclient']],
  ['ZEO', ['clientstorage']],
  ['zc.zkzeo', ['zkzeoclient']],
  ['ZConfig.components.logger', ['eventlog', 'logfile', 'syslog']],
  ['zdaemon', ['runner']],
]);

/** Abstract section types: they name a slot, never a section. */
const ABSTRACT_TYPES: ReadonlySet<string> = new Set(['zodb.storage', 'zodb.database', 'zconfig.logger.handler', 'zconfig.logger.log']);

/** Section types that belong to a schema rather than a package (the server's own sections). */
const SCHEMA_TYPES: ReadonlySet<string> = new Set(['zeo', 'zookeeper', 'ssl']);

/** Section types that are valid ZConfig but that zkzeo does not implement, with the reason. */
const UNSUPPORTED_TYPES: ReadonlyMap<string, string> = new Map([
  ['fullstorage', 'BerkeleyDB storages are not available in zkzeo'],
  ['minimalstorage', 'BerkeleyDB storages are not available in zkzeo'],
  ['logger', 'only <eventlog> configures logging in zkzeo'],
  ['win32-eventlog', 'zkzeo log handlers are <logfile> and <syslog>'],
  ['http-logger', 'zkzeo log handlers are <logfile> and <syslog>'],
  ['email-notifier', 'zkzeo log handlers are <logfile> and <syslog>'],
  ['environment', "zdaemon's <runner> sections are accepted for their keys only"],
]);

/** Why zkzeo rejects a section type that ZConfig would accept, or `undefined` when it does not. */
export function unsupportedTypeReason(type: string): string | undefined {
  return UNSUPPORTED_TYPES.get(type);
}

/** The package that defines `type`, or `undefined` for schema-level types and unknown ones. */
export function packageOfType(type: string): string | undefined {
  for (const [packageName, types] of KNOWN_PACKAGES) if (types.includes(type)) return packageName;
  return undefined;
}

/** Whether any schema zkzeo knows defines the section type `type` (lower-cased). */
export function isKnownSectionType(type: string): boolean {
  return SCHEMA_TYPES.has(type) || packageOfType(type) !== undefined;
}

/** Whether `type` is an abstract section type such as `zodb.storage`. */
export function isAbstractSectionType(type: string): boolean {
  return ABSTRACT_TYPES.has(type);
}

/** Throws {@link ConfigSchemaError} at the first `%import` of a package zkzeo does not know. */
export function checkImports(document: ConfigDocument): void {
  for (const directive of document.imports) {
    if (!KNOWN_PACKAGES.has(directive.packageName)) {
      const known = [...KNOWN_PACKAGES.keys()].join(', ');
      throw new ConfigSchemaError(
        `cannot %import '${directive.packageName}': not a package zkzeo knows (known: ${known})`,
        directive.location,
      );
    }
  }
}
