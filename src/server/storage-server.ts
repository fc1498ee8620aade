/**
 * The ZEO storage server: serves named storages to ZEO clients (Python's
 * `ZEO.StorageServer.StorageServer` and its acceptor) over any number of
 * TCP and Unix-socket listeners, both encodings.
 */
import net from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { Storage } from '../storage/storage.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../zeo/wire/frame-decoder.js';
import { ZEO_ENCODINGS } from '../zeo/wire/marshaller.js';
import { ClientSession } from './client-session.js';
import { ServerClosedError } from './errors.js';
import { HostedStorage } from './hosted-storage.js';
import { formatBoundAddress, listenOn, type BoundAddress, type ListenAddress } from './listen.js';
import { ruokJson, type StorageStatus } from './status.js';
import type { SessionContext } from './storage-session.js';

/** Options of {@link StorageServer.create}. */
export interface StorageServerOptions {
  /** The storages to serve, by the name clients register with (conventionally `'1'`). */
  readonly storages: ReadonlyMap<string, Storage> | Readonly<Record<string, Storage>>;
  /** Serve every storage read-only. @defaultValue false */
  readonly readOnly?: boolean;
  /** Transactions remembered for `getInvalidations`. @defaultValue 100 */
  readonly invalidationQueueSize?: number;
  /** Disconnect a client holding a commit lock longer than this many milliseconds. @defaultValue no limit */
  readonly transactionTimeoutMs?: number;
  /** Send write conflicts back to clients to resolve instead of failing the vote. @defaultValue false */
  readonly clientConflictResolution?: boolean;
  /** Announce msgpack (`M5`) instead of pickle (`Z5`); clients choose either way. @defaultValue false */
  readonly msgpack?: boolean;
  /** The largest frame accepted from a client, in bytes. @defaultValue 256 MiB */
  readonly maxFrameBytes?: number;
  /** Stop reading from a client while this many of its calls await replies. @defaultValue 1000 */
  readonly maxPendingCalls?: number;
  /** Stop reading from a client while this many reply bytes wait to be sent to it. @defaultValue 1 MiB */
  readonly maxBufferedBytes?: number;
  /**
   * Disconnect a client that takes none of the bytes sent to it between
   * two checks this many milliseconds apart while more than
   * `maxBufferedBytes` wait (so after one to two times this): one that
   * stopped reading would otherwise have every invalidation pile up in the
   * server's memory. A client reading a big reply slowly is not stalled.
   * It reconnects (and checks its cache) once it reads again.
   * @defaultValue 60000
   */
  readonly stalledClientTimeoutMs?: number;
  /**
   * How long {@link StorageServer.close} lets the `tpc_finish` calls in
   * progress complete and their replies reach the clients, in milliseconds,
   * before it drops the connections (0: drop them at once). The storages
   * are closed only once their commits in progress are done, even after
   * this time. @defaultValue 5000
   */
  readonly shutdownTimeoutMs?: number;
  /** Close the storages when the server closes. @defaultValue true */
  readonly closeStorages?: boolean;
  /** The current time in milliseconds since the epoch (status times). @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
}

/** A client connection, as events describe it. */
export interface ConnectionInfo {
  /** The connection's number. */
  readonly id: number;
  /** The peer's address. */
  readonly remote: string;
  /** Why the server closed it, when it did (undefined when the client hung up). */
  readonly closedReason?: string | undefined;
}

/** Events of a {@link StorageServer}. */
export interface StorageServerEvents {
  /** A listener is bound. */
  listening: (address: BoundAddress) => void;
  /** A client connected (before the handshake). */
  connectionOpened: (connection: ConnectionInfo) => void;
  /** A client connection closed and its transaction, if any, was aborted. */
  connectionClosed: (connection: ConnectionInfo) => void;
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Under the 10 s that `docker stop` and similar supervisors grant before killing. */
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/** Resolves true once `promise` settles, or false after `ms` milliseconds, whichever comes first. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, expired]).finally(() => clearTimeout(timer));
}

function storageEntries(storages: StorageServerOptions['storages']): Array<[string, Storage]> {
  const entries = storages instanceof Map ? [...storages] : Object.entries(storages as Record<string, Storage>);
  if (entries.length === 0) throw new InvalidArgumentError('a storage server needs at least one storage');
  return entries;
}

/** A ZEO server. Create it with {@link StorageServer.create}, then {@link StorageServer.listen}. */
export class StorageServer extends EventEmitter<StorageServerEvents> {
  readonly #hosted: ReadonlyMap<string, HostedStorage>;
  readonly #options: StorageServerOptions;
  readonly #logger: Logger;
  readonly #context: SessionContext;
  readonly #listeners: Array<{ readonly server: net.Server; readonly address: BoundAddress }> = [];
  readonly #sessions = new Set<ClientSession>();
  readonly #closedWaiters = new Map<ClientSession, () => void>();
  #nextId = 1;
  #closing: Promise<void> | undefined;

  private constructor(hosted: ReadonlyMap<string, HostedStorage>, options: StorageServerOptions, context: SessionContext) {
    super();
    this.#hosted = hosted;
    this.#options = options;
    this.#logger = context.logger;
    this.#context = context;
  }

  /**
   * Prepares a server for `options.storages` (reading each storage's last
   * transactions into its invalidation queue). It does not listen yet.
   * @throws InvalidArgumentError for a bad option.
   */
  static async create(options: StorageServerOptions): Promise<StorageServer> {
    const entries = storageEntries(options.storages);
    const queueSize = positiveInteger(options.invalidationQueueSize, 100, 'invalidationQueueSize');
    const timeout = options.transactionTimeoutMs;
    if (timeout !== undefined && !(Number.isFinite(timeout) && timeout > 0)) {
      throw new InvalidArgumentError(`transactionTimeoutMs must be a positive number, got ${timeout}`);
    }
    const stalled = options.stalledClientTimeoutMs;
    if (stalled !== undefined && !(Number.isFinite(stalled) && stalled > 0)) {
      throw new InvalidArgumentError(`stalledClientTimeoutMs must be a positive number, got ${stalled}`);
    }
    const shutdownTimeout = options.shutdownTimeoutMs;
    if (shutdownTimeout !== undefined && !(Number.isFinite(shutdownTimeout) && shutdownTimeout >= 0)) {
      throw new InvalidArgumentError(`shutdownTimeoutMs must be a non-negative number, got ${shutdownTimeout}`);
    }
    positiveInteger(options.maxFrameBytes, DEFAULT_MAX_FRAME_BYTES, 'maxFrameBytes');
    positiveInteger(options.maxPendingCalls, 1000, 'maxPendingCalls');
    positiveInteger(options.maxBufferedBytes, 1 << 20, 'maxBufferedBytes');
    const logger = options.logger ?? silentLogger;
    const now = options.now ?? Date.now;
    const hosting = { invalidationQueueSize: queueSize, hasTransactionTimeout: timeout !== undefined, now, logger };
    const hosted = new Map<string, HostedStorage>();
    for (const [name, storage] of entries) hosted.set(name, await HostedStorage.host(name, storage, hosting));
    const context: SessionContext = {
      storages: hosted,
      readOnly: options.readOnly === true,
      clientConflictResolution: options.clientConflictResolution === true,
      transactionTimeoutMs: timeout,
      now,
      logger,
    };
    const described = [...hosted.values()].map((h) => `${h.name}:${h.storage.isReadOnly() ? 'RO' : 'RW'}:${h.storage.getName()}`);
    logger.info(`StorageServer created ${context.readOnly ? 'RO' : 'RW'} with storages: ${described.join(', ')}`);
    return new StorageServer(hosted, options, context);
  }

  /** The names of the storages served. */
  get storageNames(): string[] {
    return [...this.#hosted.keys()];
  }

  /** The storage served as `name`. @throws InvalidArgumentError for an unknown name. */
  storage(name: string): Storage {
    return this.#host(name).storage;
  }

  #host(name: string): HostedStorage {
    const hosted = this.#hosted.get(name);
    if (hosted === undefined) throw new InvalidArgumentError(`unknown storage: ${name}`);
    return hosted;
  }

  /** Where the server listens. */
  get addresses(): readonly BoundAddress[] {
    return this.#listeners.map((l) => l.address);
  }

  /** The number of open client connections. */
  get connectionCount(): number {
    return this.#sessions.size;
  }

  /**
   * Starts listening on `address` (TCP: port 0 or none picks a free port;
   * Unix socket: a stale socket file is replaced). Can be called more than
   * once for several addresses.
   * @throws ListenError if the address cannot be bound; ServerClosedError after close.
   */
  async listen(address: ListenAddress): Promise<BoundAddress> {
    if (this.#closing !== undefined) throw new ServerClosedError();
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    const bound = await listenOn(server, address);
    this.#listeners.push({ server, address: bound });
    this.#logger.info({ address: bound }, `listening on ${formatBoundAddress(bound)}`);
    this.emit('listening', bound);
    return bound;
  }

  /** Serves a connection accepted elsewhere (e.g. through TLS). */
  accept(socket: net.Socket): void {
    if (this.#closing !== undefined) {
      socket.destroy();
      return;
    }
    const session = new ClientSession(this.#nextId++, socket, {
      announce: this.#options.msgpack === true ? ZEO_ENCODINGS.msgpack : ZEO_ENCODINGS.pickle,
      maxFrameBytes: this.#options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      maxPendingCalls: this.#options.maxPendingCalls ?? 1000,
      maxBufferedBytes: this.#options.maxBufferedBytes ?? 1 << 20,
      stalledClientTimeoutMs: this.#options.stalledClientTimeoutMs ?? 60_000,
      context: this.#context,
      ruok: () => this.ruok(),
      onClosed: (closed) => this.#sessionClosed(closed),
      logger: this.#logger,
    });
    this.#sessions.add(session);
    this.emit('connectionOpened', { id: session.id, remote: session.remote });
  }

  #sessionClosed(session: ClientSession): void {
    this.#sessions.delete(session);
    this.#closedWaiters.get(session)?.();
    this.#closedWaiters.delete(session);
    this.emit('connectionClosed', { id: session.id, remote: session.remote, closedReason: session.closedReason });
  }

  /** The status of the storage `name` (what `server_status` reports). */
  status(name: string): StorageStatus {
    return this.#host(name).status();
  }

  /** The `ruok` answer: the status of every storage as Python's JSON. */
  ruok(): string {
    return ruokJson(new Map([...this.#hosted].map(([name, hosted]) => [name, hosted.status()])));
  }

  /**
   * Shuts down gracefully: stops listening (removing Unix sockets) and
   * taking calls, lets every `tpc_finish` in progress complete and its
   * reply be written, closes the connections once what is queued for them
   * is sent (aborting the other transactions; other calls still running
   * get no reply), then closes the storages unless `closeStorages` was
   * false. Connections still open after `shutdownTimeoutMs` are dropped.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    // A listener's close completes only once its connections are gone, so it is awaited last.
    const unbound = Promise.all(this.#listeners.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    const sessions = [...this.#sessions];
    const timeoutMs = this.#options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
    const deadline = performance.now() + timeoutMs;
    this.#logger.info(`shutting down: ${sessions.length} connection(s) get up to ${timeoutMs} ms to finish commits and replies`);
    // Nothing new starts, so no commit can become durable after its connection closed.
    for (const session of sessions) session.stopReading();
    const closed = Promise.all(
      sessions.map(
        (session) =>
          new Promise<void>((resolve) => {
            if (!this.#sessions.has(session)) return resolve();
            this.#closedWaiters.set(session, resolve);
          }),
      ),
    );
    const finishing = sessions.map((s) => s.finishing).filter((f) => f !== undefined);
    if (finishing.length > 0 && !(await settlesWithin(Promise.all(finishing), timeoutMs))) {
      this.#logger.warn(`tpc_finish still running after ${timeoutMs} ms of shutdown; dropping the connections`);
    }
    const left = deadline - performance.now();
    for (const session of sessions) {
      if (left > 0) session.close('server shutting down', left);
      else session.destroy('server shutting down');
    }
    await closed;
    await unbound;
    for (const hosted of this.#hosted.values()) {
      hosted.detach();
      if (this.#options.closeStorages !== false) {
        this.#logger.info(`closing storage ${JSON.stringify(hosted.name)}`);
        await hosted.storage.close().catch((error: unknown) => this.#logger.error({ err: error }, `closing storage ${hosted.name} failed`));
      }
    }
  }
}
