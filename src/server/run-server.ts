/**
 * Starting a server the way `runzeo` does, from command-line style options
 * and/or a configuration file, and stopping it on a signal. Process-level
 * effects (signal handlers, exit) go through a {@link ProcessHooks} object
 * so tests can drive them.
 */
import type { ServerConfig } from '../config/server-schema.js';
import { loadServerConfigFile } from '../config/server-schema.js';
import { parseSocketAddress, SocketAddressRole } from '../config/socket-address.js';
import type { StorageConfig } from '../config/storage-schema.js';
import { silentLogger, type Logger } from '../logger.js';
import { ServerUsageError } from './errors.js';
import type { BoundAddress, ListenAddress } from './listen.js';
import { openStorages } from './open-storages.js';
import { StorageServer } from './storage-server.js';

/** What a `zeo-server` invocation asks for; command-line values win over the configuration file. */
export interface ZeoServerRunOptions {
  /** `-a`: where to listen (`host:port`, `:port`, a port, or a Unix socket path). */
  readonly address?: string;
  /** `-f`: FileStorage files to serve, named `'1'`, `'2'`, … in order. */
  readonly files?: readonly string[];
  /** `-r`: serve read-only. */
  readonly readOnly?: boolean;
  /** `-C`: a ZConfig server configuration file. */
  readonly configFile?: string;
  /** `-t`: transaction timeout in seconds. */
  readonly transactionTimeoutSeconds?: number;
  /** How long a graceful shutdown waits before dropping connections, in seconds (see {@link StorageServer.close}). @defaultValue 5 */
  readonly shutdownTimeoutSeconds?: number;
  /** Announce msgpack; otherwise the configuration, then a non-empty `ZEO_MSGPACK`, decide. */
  readonly msgpack?: boolean;
  /** `fsync` on commit. @defaultValue true */
  readonly fsync?: boolean;
  /** The environment (for `ZEO_MSGPACK`). @defaultValue `process.env` */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/** A started server. */
export interface RunningZeoServer {
  /** The server. */
  readonly server: StorageServer;
  /** Where it listens. */
  readonly address: BoundAddress;
  /** The configuration file, if one was read. */
  readonly config: ServerConfig | undefined;
  /** Shuts down gracefully (see {@link StorageServer.close}). */
  close(): Promise<void>;
}

function fileStorageConfig(path: string, index: number): { name: string; storage: StorageConfig } {
  return {
    name: String(index + 1),
    storage: {
      type: 'filestorage',
      sectionName: String(index + 1),
      location: { file: '<command line>', line: 0 },
      path,
      blobDir: undefined,
      create: false,
      readOnly: false,
      quotaBytes: undefined,
      packer: undefined,
      packGc: true,
      packKeepOld: true,
    },
  };
}

/**
 * Opens the storages and starts listening, as `runzeo` would for the same
 * options. Resolves once the server accepts connections.
 * @throws ServerUsageError when no address or no storage is given;
 *   `ConfigError` (with file and line) for a bad configuration file;
 *   `ListenError`, `UnsupportedStorageError` and storage errors as they come.
 */
export async function startZeoServer(options: ZeoServerRunOptions): Promise<RunningZeoServer> {
  const logger = options.logger ?? silentLogger;
  const config = options.configFile === undefined ? undefined : await loadServerConfigFile(options.configFile);
  for (const warning of config?.warnings ?? []) {
    logger.warn(`${warning.location.file}:${warning.location.line}: ${warning.message}`);
  }
  const zeo = config?.zeo;
  if (zeo?.ssl !== undefined) {
    // Serving in clear text what was meant to be encrypted would be worse than not serving.
    throw new ServerUsageError(`${zeo.ssl.location.file}:${zeo.ssl.location.line}: <ssl> is not supported by zkzeo's server yet`);
  }
  if (zeo?.invalidationAgeSeconds !== undefined) {
    logger.warn(`${zeo.location.file}:${zeo.location.line}: invalidation-age is not supported; clients older than the invalidation queue drop their caches`);
  }
  if (zeo?.pidFilename !== undefined) {
    logger.warn(`${zeo.location.file}:${zeo.location.line}: pid-filename is not supported; no pid file is written`);
  }
  const address: ListenAddress | undefined =
    options.address !== undefined ? parseSocketAddress(options.address, SocketAddressRole.binding) : config?.zeo.address;
  if (address === undefined) throw new ServerUsageError('no server address specified; use -a or -C');
  const served = options.files !== undefined && options.files.length > 0 ? options.files.map(fileStorageConfig) : config?.storages;
  if (served === undefined || served.length === 0) throw new ServerUsageError('no storages specified; use -f or -C');
  const readOnly = options.readOnly === true || config?.zeo.readOnly === true;
  const env = options.env ?? process.env;
  const msgpack = options.msgpack ?? config?.zeo.msgpack ?? (env.ZEO_MSGPACK !== undefined && env.ZEO_MSGPACK !== '');
  const timeoutSeconds = options.transactionTimeoutSeconds ?? config?.zeo.transactionTimeoutSeconds;
  const storages = await openStorages(served, { readOnly: false, fsync: options.fsync, logger });
  let server: StorageServer | undefined;
  try {
    server = await StorageServer.create({
      storages,
      readOnly,
      msgpack,
      invalidationQueueSize: config?.zeo.invalidationQueueSize,
      transactionTimeoutMs: timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      shutdownTimeoutMs: options.shutdownTimeoutSeconds === undefined ? undefined : options.shutdownTimeoutSeconds * 1000,
      clientConflictResolution: config?.zeo.clientConflictResolution,
      logger,
    });
    const bound = await server.listen(address);
    const running = server;
    return { server: running, address: bound, config, close: () => running.close() };
  } catch (error) {
    if (server !== undefined) await server.close();
    else await Promise.allSettled([...storages.values()].map((storage) => storage.close()));
    throw error;
  }
}

/** The process-level effects a running server needs; `process` itself fits. */
export interface ProcessHooks {
  /** Registers a signal handler. */
  once(signal: 'SIGTERM' | 'SIGINT', handler: () => void): unknown;
  /** Unregisters it. */
  off(signal: 'SIGTERM' | 'SIGINT', handler: () => void): unknown;
}

/**
 * Shuts `running` down on the first SIGTERM or SIGINT. Resolves with the
 * signal's name once the server is closed (the caller then exits).
 */
export function closeOnSignal(running: RunningZeoServer, hooks: ProcessHooks, logger: Logger = silentLogger): Promise<string> {
  return new Promise((resolve, reject) => {
    const handlers = new Map<'SIGTERM' | 'SIGINT', () => void>();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const handler = (): void => {
        for (const [other, h] of handlers) if (other !== signal) hooks.off(other, h);
        logger.info(`${signal} received; shutting down`);
        running.close().then(() => resolve(signal), reject);
      };
      handlers.set(signal, handler);
      hooks.once(signal, handler);
    }
  });
}
