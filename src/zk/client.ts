import type { Socket } from 'node:net';
import { EventEmitter } from 'eventemitter3';
import { CreateMode, type Event as RawEvent } from 'node-zookeeper-client';
import { InvalidArgumentError } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import {
  parseConnectionString,
  type ConnectionStringOptions,
  type ParsedConnectionString,
  type ServerAddress,
} from './connection-string.js';
import {
  ClientClosedError,
  ConnectTimeoutError,
  NodeExistsError,
  NoNodeError,
  OperationTimeoutError,
  SessionExpiredError,
  UnimplementedError,
  type ZooKeeperError,
} from './errors.js';
import { nodeDataBytes, type NodeDataInput } from './node-data.js';
import { joinPath, parentPath, validatePath } from './paths.js';
import { retry, type RetryPolicy } from './retry.js';
import { ZkState, type ZkClientEvents } from './states.js';
import { ZkTransaction } from './transaction.js';
import {
  OPEN_ACL_UNSAFE,
  type Acl,
  type CreateOptions,
  type DeleteOptions,
  type SetOptions,
  type Stat,
  WatchEventType,
  type WatchEvent,
  type Watcher,
} from './types.js';
import {
  createRawClient,
  destroyRawClient,
  rawAddWatch,
  rawRemoveWatches,
  tapNotifications,
  dropOneShotWatcher,
  fromRawAcl,
  lastQueuedPacket,
  rawPing,
  withdrawPacket,
  rawPhase,
  rawSessionId,
  rawSocket,
  toRawAcl,
  toStat,
  toWatchEvent,
  toZooKeeperError,
  type RawClient,
} from './underlying.js';

/** Options for {@link ZkClient}. */
export interface ZkClientOptions {
  /** The session timeout asked of the server (it clamps it to its limits). @defaultValue `10000` */
  readonly sessionTimeoutMs?: number;
  /** How long {@link ZkClient.start} waits for the first connection. @defaultValue `15000` */
  readonly connectTimeoutMs?: number;
  /** How long one request may wait for its answer (including while disconnected). @defaultValue `10000` */
  readonly requestTimeoutMs?: number;
  /**
   * How long a connection may stay silent before it is dropped and another
   * server tried (the client pings after a third of the session timeout).
   * @defaultValue two thirds of the negotiated session timeout
   */
  readonly readTimeoutMs?: number;
  /** Pause between reconnect rounds over all servers (randomised up to this). @defaultValue `200` */
  readonly reconnectDelayMs?: number;
  /** The policy {@link ZkClient.retry} uses when given none. @defaultValue kazoo's: 1 retry after 100 ms */
  readonly retry?: RetryPolicy;
  /** Where to log state changes. @defaultValue {@link silentLogger} */
  readonly logger?: Logger;
  /** How to complete `zookeeper:` URLs and empty connection strings. */
  readonly connection?: ConnectionStringOptions;
}

/** Options of {@link ZkClient.addWatch} and {@link ZkClient.removeWatch}. */
export interface PersistentWatchOptions {
  /** Also report every node below the path, each event naming the node. @defaultValue `false` */
  readonly recursive?: boolean;
}

/** A persistent watch the client keeps on the server (one per path), with its listeners. */
interface PersistentWatch {
  readonly recursive: boolean;
  readonly listeners: Set<Watcher>;
}

/** Data and metadata of a node, from {@link ZkClient.get}. */
export interface NodeData {
  /** The node's data (empty when it has none). */
  readonly data: Buffer;
  /** The node's metadata. */
  readonly stat: Stat;
}

/** A node's ACL and metadata, from {@link ZkClient.getAcl}. */
export interface NodeAcl {
  /** The ACL entries. */
  readonly acl: Acl[];
  /** The node's metadata. */
  readonly stat: Stat;
}

interface PendingRequest {
  readonly raw: RawClient;
  readonly path: string | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The library's queued packet, while it is not yet written. */
  packet: object | undefined;
  readonly reject: (error: Error) => void;
}

const LOG_PREFIX = 'zookeeper';

/** How long a request may wait for its reply in silence before the client sends a ping. */
const NUDGE_AFTER_MS = 10;

/** Whether `path` is `base` or a node below it. */
function isAtOrBelow(path: string, base: string): boolean {
  return path === base || (path.startsWith(base) && (base === '/' || path[base.length] === '/'));
}

function checkTimeout(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${name} must be a positive number of milliseconds, got ${String(value)}`);
  }
  return value;
}

/**
 * A ZooKeeper client with a promise API, kazoo's connection states and the
 * gaps of `node-zookeeper-client` closed: a connect timeout, per-request
 * timeouts, a read timeout that notices a silent server, `LOST` declared
 * once the session timeout has passed while suspended (as Curator does),
 * and a fresh session opened by itself after a session is lost.
 *
 * @example
 * ```ts
 * const zk = new ZkClient('127.0.0.1:2181');
 * zk.on('state', (state) => console.log('now', state));
 * await zk.start();
 * await zk.create('/app/config', '{"debug":false}', { makepath: true });
 * const { data } = await zk.get('/app/config');
 * await zk.close();
 * ```
 */
export class ZkClient extends EventEmitter<ZkClientEvents> {
  readonly #target: ParsedConnectionString;
  readonly #sessionTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #readTimeoutMs: number | undefined;
  readonly #reconnectDelayMs: number;
  readonly #retryPolicy: RetryPolicy;
  readonly #logger: Logger;

  #raw: RawClient | undefined;
  #state: ZkState = ZkState.LOST;
  #sessionId = 0n;
  #closed = false;
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #stopSignal: AbortController | undefined;
  #lostTimer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #watchedSocket: Socket | undefined;
  #lastReceived = 0;
  #nudgeTimer: NodeJS.Timeout | undefined;
  readonly #pending = new Set<PendingRequest>();
  readonly #persistentWatches = new Map<string, PersistentWatch>();
  readonly #rawWatchers = new WeakMap<Watcher, (event: RawEvent) => void>();
  #persistentUnsupported = false;

  /**
   * @param connection - a connection string or `zookeeper:` URL (see
   *   {@link parseConnectionString}); empty means `ZC_ZK_CONNECTION_STRING`
   *   or 127.0.0.1:2181
   * @param options - timeouts, retry policy, logger
   * @throws ConnectionStringError when the connection string is malformed
   * @throws InvalidArgumentError when an option is out of range
   */
  constructor(connection?: string, options: ZkClientOptions = {}) {
    super();
    this.#target = parseConnectionString(connection, options.connection);
    this.#sessionTimeoutMs = checkTimeout('sessionTimeoutMs', options.sessionTimeoutMs, 10_000);
    this.#connectTimeoutMs = checkTimeout('connectTimeoutMs', options.connectTimeoutMs, 15_000);
    this.#requestTimeoutMs = checkTimeout('requestTimeoutMs', options.requestTimeoutMs, 10_000);
    this.#readTimeoutMs =
      options.readTimeoutMs === undefined ? undefined : checkTimeout('readTimeoutMs', options.readTimeoutMs, 0);
    this.#reconnectDelayMs = checkTimeout('reconnectDelayMs', options.reconnectDelayMs, 200);
    this.#retryPolicy = options.retry ?? {};
    this.#logger = options.logger ?? silentLogger;
  }

  /** The current connection state. */
  get state(): ZkState {
    return this.#state;
  }

  /** Whether the client is connected (state `CONNECTED`). */
  get connected(): boolean {
    return this.#state === ZkState.CONNECTED;
  }

  /** The current session's id, or `0n` without a session. */
  get sessionId(): bigint {
    return this.#sessionId;
  }

  /** The current session's password (for tests that force session expiry). */
  get sessionPassword(): Buffer {
    return this.#raw?.getSessionPassword() ?? Buffer.alloc(16);
  }

  /** The session timeout the server granted, or the one asked for before connecting. */
  get sessionTimeoutMs(): number {
    return this.connected && this.#raw !== undefined ? this.#raw.getSessionTimeout() : this.#sessionTimeoutMs;
  }

  /** The servers this client connects to. */
  get servers(): readonly ServerAddress[] {
    return this.#target.servers;
  }

  /** The chroot all paths are relative to, if the connection string had one. */
  get chroot(): string | undefined {
    return this.#target.chroot;
  }

  /** For a `zookeeper:` URL: the node path it named. */
  get urlPath(): string | undefined {
    return this.#target.path;
  }

  /** The servers and chroot as a plain connection string. */
  get connectionString(): string {
    return this.#target.connectionString;
  }

  /** Whether {@link ZkClient.start} has been called and {@link ZkClient.stop} has not. */
  get started(): boolean {
    return this.#raw !== undefined;
  }

  /**
   * Connects and resolves once `CONNECTED`. After that the client stays
   * connected by itself until stopped. Calling it again while started waits
   * for the connection. A client can be started again after {@link stop}.
   *
   * @param options - `timeoutMs` overrides the constructor's `connectTimeoutMs`
   * @throws ConnectTimeoutError (after stopping the client) when no server answered in time
   * @throws ClientClosedError after {@link close}
   */
  async start(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs, this.#connectTimeoutMs);
    if (this.#stopping !== undefined) await this.#stopping;
    if (this.#closed) throw new ClientClosedError();
    if (this.#raw === undefined) {
      this.#raw = this.#openRaw();
      this.#startWatchdog();
      this.#stopSignal = new AbortController();
      // Only the start that opened the client gives up on it after its timeout.
      this.#starting = this.#waitFirstConnection(timeoutMs, this.#stopSignal.signal);
      return this.#starting;
    }
    if (this.connected) return;
    if (this.#starting !== undefined) return this.#starting;
    // Started already and reconnecting: wait, but leave the client running.
    if (!(await this.waitForState(ZkState.CONNECTED, timeoutMs))) {
      throw new ConnectTimeoutError(this.connectionString, timeoutMs);
    }
  }

  async #waitFirstConnection(timeoutMs: number, stopped: AbortSignal): Promise<void> {
    try {
      const connected = await this.waitForState(ZkState.CONNECTED, timeoutMs, stopped);
      if (stopped.aborted) throw new ClientClosedError();
      if (!connected) {
        await this.stop();
        throw new ConnectTimeoutError(this.connectionString, timeoutMs);
      }
    } finally {
      this.#starting = undefined;
    }
  }

  /**
   * Waits until the client reaches `state` (resolves `true` at once if it is
   * there), or `timeoutMs` passes or `signal` aborts (resolves `false`).
   */
  waitForState(state: ZkState, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#state === state) return Promise.resolve(true);
    if (signal?.aborted === true) return Promise.resolve(false);
    return new Promise((resolve) => {
      const finish = (reached: boolean): void => {
        clearTimeout(timer);
        this.off('state', onState);
        signal?.removeEventListener('abort', onAbort);
        resolve(reached);
      };
      const onState = (now: ZkState): void => {
        if (now === state) finish(true);
      };
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.on('state', onState);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Closes the session (its ephemeral nodes go at once), fails every
   * request still waiting with {@link ClientClosedError} and reports
   * `LOST`. A pending {@link start} rejects with ClientClosedError.
   * Idempotent; concurrent calls share one stop.
   */
  stop(): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping;
    const raw = this.#raw;
    if (raw === undefined) return Promise.resolve();
    this.#raw = undefined;
    this.#stopSignal?.abort();
    this.#stopWatchdog();
    this.#clearLostTimer();
    this.#failPending(raw, (path) => new ClientClosedError(path));
    const wasConnected = this.#state === ZkState.CONNECTED;
    this.#sessionId = 0n;
    this.#setState(ZkState.LOST);
    this.#stopping = this.#closeRaw(raw, wasConnected).finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  /** Stops the client for good: a closed client cannot be started again. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.stop();
  }

  /** Whether {@link close} was called (a closed client cannot be started again). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Creates a node and returns its path (with the sequence number appended
   * for sequential nodes).
   *
   * @throws NodeExistsError, NoNodeError (missing parent without `makepath`), NoChildrenForEphemeralsError
   */
  async create(path: string, data?: NodeDataInput, options: CreateOptions = {}): Promise<string> {
    validatePath(path, options.sequence === true);
    const bytes = nodeDataBytes(path, data);
    const mode =
      (options.ephemeral === true ? CreateMode.EPHEMERAL : CreateMode.PERSISTENT) + (options.sequence === true ? 2 : 0);
    const acl = toRawAcl(options.acl ?? OPEN_ACL_UNSAFE);
    const createOnce = (): Promise<string> =>
      this.#request<string>(path, (raw, done) => raw.create(path, bytes, acl, mode, (error, created) => done(error, created)));
    if (options.makepath !== true) return createOnce();
    try {
      return await createOnce();
    } catch (error) {
      if (!(error instanceof NoNodeError)) throw error;
      await this.ensurePath(parentPath(path), options.acl);
      return createOnce();
    }
  }

  /** Creates `path` and any missing ancestors as empty persistent nodes; existing ones are left alone. */
  async ensurePath(path: string, acl: readonly Acl[] = OPEN_ACL_UNSAFE): Promise<void> {
    validatePath(path);
    if (path === '/' || (await this.exists(path)) !== null) return;
    const names = path.slice(1).split('/');
    let current = '';
    for (const name of names) {
      current = `${current}/${name}`;
      try {
        await this.create(current, undefined, { acl });
      } catch (error) {
        if (!(error instanceof NodeExistsError)) throw error;
      }
    }
  }

  /**
   * Reads a node's data and metadata; `watcher` is called once on the next
   * change or deletion.
   *
   * @throws NoNodeError
   */
  async get(path: string, watcher?: Watcher): Promise<NodeData> {
    validatePath(path);
    return this.#request<NodeData>(path, (raw, done) => {
      const callback = (error: unknown, data: Buffer | undefined, stat: Parameters<typeof toStat>[0]): void =>
        error ? done(error) : done(null, { data: data ?? Buffer.alloc(0), stat: toStat(stat) });
      if (watcher === undefined) raw.getData(path, callback);
      else raw.getData(path, this.#rawWatcher(watcher), callback);
    });
  }

  /**
   * Returns a node's metadata, or `null` when it does not exist; `watcher`
   * is called once when it is created, changed or deleted.
   */
  async exists(path: string, watcher?: Watcher): Promise<Stat | null> {
    validatePath(path);
    return this.#request<Stat | null>(path, (raw, done) => {
      const callback = (error: unknown, stat: Parameters<typeof toStat>[0] | null): void =>
        error ? done(error) : done(null, stat ? toStat(stat) : null);
      if (watcher === undefined) raw.exists(path, callback);
      else raw.exists(path, this.#rawWatcher(watcher), callback);
    });
  }

  /**
   * Lists a node's children (names, not paths); `watcher` is called once
   * when a child is added or removed or the node is deleted.
   *
   * @throws NoNodeError
   */
  async getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    validatePath(path);
    return this.#request<string[]>(path, (raw, done) => {
      const callback = (error: unknown, children: string[]): void => (error ? done(error) : done(null, children));
      if (watcher === undefined) raw.getChildren(path, callback);
      else raw.getChildren(path, this.#rawWatcher(watcher), callback);
    });
  }

  /**
   * Takes back a watcher given to {@link get}, {@link exists} or
   * {@link getChildren} for `path` before it fired: it is not called, and
   * not kept (with all it holds) until the node changes. ZooKeeper keeps
   * its one-shot watch until it fires or the connection ends; nothing is
   * called then.
   */
  forgetWatcher(path: string, watcher: Watcher): void {
    const raw = this.#rawWatchers.get(watcher);
    if (raw !== undefined && this.#raw !== undefined) dropOneShotWatcher(this.#raw, path, raw);
  }

  /**
   * The library's watcher for ours, one per watcher: it registers a function
   * once per path and kind, so a watch read again before it fired (after a
   * reconnection, say) is still called once.
   */
  #rawWatcher(watcher: Watcher): (event: RawEvent) => void {
    let raw = this.#rawWatchers.get(watcher);
    if (raw === undefined) {
      raw = (event) => watcher(toWatchEvent(event));
      this.#rawWatchers.set(watcher, raw);
    }
    return raw;
  }

  /**
   * Adds a persistent watch (ZooKeeper 3.6+): `listener` is called with
   * every change of `path` (created, data changed, deleted) and, with
   * `recursive`, of every node below it, each event naming the node that
   * changed; it stays until {@link removeWatch}. Nothing has to be re-armed
   * and a change costs no read, so nothing is missed while connected. The
   * client adds the watch again after each reconnection and new session,
   * but changes made while it was disconnected are not reported: read
   * again when the client reports `CONNECTED`.
   *
   * Listeners are a set: adding one twice keeps one. A path has one kind
   * of persistent watch per session (ZooKeeper keeps one mode per path),
   * and a recursive watch is sent every change below the path: keep it for
   * small subtrees. ZooKeeper before 3.9 also mixes up a persistent and a
   * one-shot watch that one session keeps on the same path
   * (ZOOKEEPER-4466): do not do both.
   *
   * @throws InvalidArgumentError when `path` already has the other kind of persistent watch
   * @throws UnimplementedError from servers older than 3.6 (which also
   *   close the connection; the client then answers later calls itself)
   */
  async addWatch(path: string, listener: Watcher, options: PersistentWatchOptions = {}): Promise<void> {
    validatePath(path);
    if (this.#persistentUnsupported) throw new UnimplementedError(path);
    const recursive = options.recursive === true;
    let watch = this.#persistentWatches.get(path);
    if (watch !== undefined && watch.recursive !== recursive) {
      const kind = (r: boolean): string => (r ? 'recursive' : 'non-recursive');
      throw new InvalidArgumentError(
        `${path} has a ${kind(watch.recursive)} persistent watch; ZooKeeper keeps one kind per path, so a ${kind(recursive)} one cannot be added`,
      );
    }
    if (watch === undefined) {
      watch = { recursive, listeners: new Set() };
      this.#persistentWatches.set(path, watch);
    }
    watch.listeners.add(listener);
    try {
      // Sent for every listener: adding a watch the server has is harmless.
      await this.#request<void>(path, (raw, done) => rawAddWatch(raw, path, recursive, (error) => done(error)));
    } catch (error) {
      const unsupported = error instanceof UnimplementedError;
      if (unsupported) this.#persistentUnsupported = true;
      // A request that timed out may still have reached the server: take it back there too.
      if (this.#dropListener(path, listener) && !unsupported) void this.#removeWatchesOnServer(path);
      throw error;
    }
  }

  /**
   * Removes a listener added with {@link addWatch} (same path and
   * `recursive`). With the last listener on the path, the session's
   * watches on it leave the server: one-shot ones too, as ZooKeeper before
   * 3.9 can only remove them all.
   */
  async removeWatch(path: string, listener: Watcher, options: PersistentWatchOptions = {}): Promise<void> {
    const watch = this.#persistentWatches.get(path);
    if (watch === undefined || watch.recursive !== (options.recursive === true)) return;
    if (this.#dropListener(path, listener)) await this.#removeWatchesOnServer(path);
  }

  /** Drops a persistent listener; returns true when it was the path's last. */
  #dropListener(path: string, listener: Watcher): boolean {
    const watch = this.#persistentWatches.get(path);
    if (watch === undefined || !watch.listeners.delete(listener) || watch.listeners.size > 0) return false;
    this.#persistentWatches.delete(path);
    return true;
  }

  async #removeWatchesOnServer(path: string): Promise<void> {
    // Sent even while disconnected: an addWatch still queued would otherwise
    // reach the server with nobody listening.
    try {
      await this.#request<void>(path, (raw, done) => rawRemoveWatches(raw, path, (error) => done(error)));
    } catch (error) {
      // Not there (never added, or a reconnection dropped it), or no connection: either way it is gone.
      this.#logger.debug({ err: error, path }, `${LOG_PREFIX}: removing the persistent watch failed`);
    }
  }

  /** Hands a notification to the persistent watches it concerns. */
  #notifyPersistent(raw: RawClient, event: WatchEvent): void {
    if (raw !== this.#raw || this.#persistentWatches.size === 0) return;
    for (const [path, watch] of [...this.#persistentWatches]) {
      const concerned = watch.recursive
        ? // A recursive watch names the node itself; a children-changed event is some one-shot watch's (ZOOKEEPER-4475).
          event.type !== WatchEventType.CHILD && isAtOrBelow(event.path, path)
        : event.path === path;
      if (!concerned) continue;
      for (const listener of [...watch.listeners]) {
        try {
          listener(event);
        } catch (error) {
          this.#logger.error({ err: error, path }, `${LOG_PREFIX}: a persistent watch listener threw`);
        }
      }
    }
  }

  /** Adds the persistent watches again on a new connection (the server dropped them with the old one). */
  #restorePersistentWatches(raw: RawClient): void {
    for (const [path, { recursive }] of this.#persistentWatches) {
      rawAddWatch(raw, path, recursive, (error) => {
        if (error) this.#logger.warn({ err: error, path }, `${LOG_PREFIX}: could not add the persistent watch on ${path} again`);
      });
    }
  }

  /**
   * Replaces a node's data and returns its new metadata.
   *
   * @throws NoNodeError, BadVersionError (when `version` is given and differs)
   */
  async set(path: string, data: NodeDataInput, options: SetOptions = {}): Promise<Stat> {
    validatePath(path);
    const bytes = nodeDataBytes(path, data);
    return this.#request<Stat>(path, (raw, done) =>
      raw.setData(path, bytes, options.version ?? -1, (error, stat) => (error ? done(error) : done(null, toStat(stat)))),
    );
  }

  /**
   * Deletes a node; with `recursive`, its descendants first (depth first,
   * as deep as the tree goes).
   *
   * @throws NoNodeError, NotEmptyError, BadVersionError
   */
  async delete(path: string, options: DeleteOptions = {}): Promise<void> {
    validatePath(path);
    if (options.recursive === true) {
      let children: string[] = [];
      try {
        children = await this.getChildren(path);
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
      }
      for (const child of children) {
        try {
          await this.delete(joinPath(path, child), { recursive: true });
        } catch (error) {
          if (!(error instanceof NoNodeError)) throw error;
        }
      }
    }
    await this.#request<void>(path, (raw, done) => raw.remove(path, options.version ?? -1, (error) => done(error)));
  }

  /** Reads a node's ACL. @throws NoNodeError */
  async getAcl(path: string): Promise<NodeAcl> {
    validatePath(path);
    return this.#request(path, (raw, done) =>
      raw.getACL(path, (error, acl, stat) => (error ? done(error) : done(null, { acl: fromRawAcl(acl), stat: toStat(stat) }))),
    );
  }

  /**
   * Replaces a node's ACL; with `version`, only if the ACL is at that version.
   *
   * @throws NoNodeError, BadVersionError, InvalidACLError
   */
  async setAcl(path: string, acl: readonly Acl[], options: SetOptions = {}): Promise<Stat> {
    validatePath(path);
    return this.#request<Stat>(path, (raw, done) =>
      raw.setACL(path, toRawAcl(acl), options.version ?? -1, (error, stat) => (error ? done(error) : done(null, toStat(stat)))),
    );
  }

  /** Starts a multi-operation transaction: all its operations happen, or none. */
  transaction(): ZkTransaction {
    return new ZkTransaction((commit) => this.#request(undefined, (raw, done) => commit(raw, done)));
  }

  /**
   * Runs `operation` with the client's retry policy (or `policy`): it is
   * run again after connection loss, request timeouts and session expiry.
   * See {@link retry}.
   */
  retry<T>(operation: (attempt: number) => Promise<T>, policy?: RetryPolicy): Promise<T> {
    return retry(operation, { ...this.#retryPolicy, ...policy });
  }

  /**
   * Sends one request on the current underlying client, with a timeout and
   * bookkeeping so it fails (instead of hanging) when the session is
   * replaced or the client stopped.
   */
  #request<T>(
    path: string | undefined,
    send: (raw: RawClient, done: (error: unknown, value?: T) => void) => void,
  ): Promise<T> {
    const raw = this.#raw;
    if (raw === undefined) {
      return Promise.reject(new ClientClosedError(path));
    }
    return new Promise<T>((resolve, reject) => {
      const entry: PendingRequest = { raw, path, reject, timer: undefined, packet: undefined };
      this.#pending.add(entry);
      const done = (error: unknown, value?: T): void => {
        if (!this.#pending.delete(entry)) return;
        clearTimeout(entry.timer);
        if (error) reject(toZooKeeperError(error, path));
        else resolve(value as T);
      };
      const queuedBefore = lastQueuedPacket(raw);
      try {
        send(raw, done);
      } catch (error) {
        done(error);
        return;
      }
      // The library queues synchronously; remember the packet so a request
      // that times out before it is written can be taken back, and so can
      // never be applied later behind the caller's back.
      // Answered (or failed) synchronously: no timer to arm.
      if (!this.#pending.has(entry)) return;
      const queued = lastQueuedPacket(raw);
      if (queued !== queuedBefore) entry.packet = queued;
      this.#armNudge();
      entry.timer = setTimeout(() => {
        if (!this.#pending.delete(entry)) return;
        const withdrawn = entry.packet !== undefined && withdrawPacket(raw, entry.packet);
        reject(new OperationTimeoutError(path, this.#requestTimeoutMs, !withdrawn));
      }, this.#requestTimeoutMs);
    });
  }

  #failPending(raw: RawClient, makeError: (path: string | undefined) => ZooKeeperError): void {
    for (const entry of this.#pending) {
      if (entry.raw !== raw) continue;
      this.#pending.delete(entry);
      clearTimeout(entry.timer);
      if (entry.packet !== undefined) withdrawPacket(raw, entry.packet);
      entry.reject(makeError(entry.path));
    }
  }

  #openRaw(): RawClient {
    const raw = createRawClient(this.#target.servers, this.#target.chroot, this.#sessionTimeoutMs, this.#reconnectDelayMs);
    raw.on('connected', () => this.#onConnected(raw));
    raw.on('disconnected', () => this.#onDisconnected(raw));
    raw.on('expired', () => this.#onExpired(raw));
    raw.on('authenticationFailed', () => this.#onAuthenticationFailed(raw));
    tapNotifications(raw, (event) => this.#notifyPersistent(raw, event));
    raw.connect();
    return raw;
  }

  #onConnected(raw: RawClient): void {
    if (raw !== this.#raw) return;
    this.#clearLostTimer();
    const sessionId = rawSessionId(raw);
    const isNew = sessionId !== this.#sessionId;
    this.#sessionId = sessionId;
    // Before CONNECTED is reported, so reads made on it come after the watches are back.
    this.#restorePersistentWatches(raw);
    this.#setState(ZkState.CONNECTED);
    if (isNew) {
      this.#logger.info({ sessionId: sessionId.toString(16) }, `${LOG_PREFIX}: new session`);
      this.#emitSafely('session', sessionId);
    }
  }

  #onDisconnected(raw: RawClient): void {
    if (raw !== this.#raw || this.#state !== ZkState.CONNECTED) return;
    this.#setState(ZkState.SUSPENDED);
    // The server expires the session once it has not heard from us for the
    // session timeout (counted from the last thing we heard, which is close
    // enough); past that, waiting for a reconnect is pointless.
    const timeoutMs = raw.getSessionTimeout();
    const silentMs = this.#watchedSocket !== undefined && this.#watchedSocket === rawSocket(raw) ? Date.now() - this.#lastReceived : 0;
    const remainingMs = Math.max(0, timeoutMs - silentMs);
    this.#lostTimer = setTimeout(() => {
      this.#lostTimer = undefined;
      if (raw === this.#raw && this.#state === ZkState.SUSPENDED) {
        this.#logger.warn(`${LOG_PREFIX}: no connection for the session timeout (${timeoutMs} ms); session lost`);
        this.#replaceSession(raw);
      }
    }, remainingMs);
  }

  #onExpired(raw: RawClient): void {
    if (raw !== this.#raw) return;
    this.#logger.warn(`${LOG_PREFIX}: session expired`);
    this.#replaceSession(raw);
  }

  #onAuthenticationFailed(raw: RawClient): void {
    if (raw !== this.#raw) return;
    this.#logger.error(`${LOG_PREFIX}: authentication failed; stopping`);
    void this.stop();
  }

  /** Drops a lost session's client and opens a new one, then reports `LOST`. */
  #replaceSession(old: RawClient): void {
    this.#clearLostTimer();
    this.#failPending(old, (path) => new SessionExpiredError(path));
    destroyRawClient(old);
    this.#sessionId = 0n;
    // The new client exists before LOST is reported, so listeners that call
    // ZooKeeper from their handler reach the new session.
    this.#raw = this.#openRaw();
    this.#setState(ZkState.LOST);
  }

  async #closeRaw(raw: RawClient, connected: boolean): Promise<void> {
    // A connected client sends closeSession and the server closes the
    // socket; wait for that briefly so ephemeral nodes go at once.
    if (connected && rawPhase(raw) === 'connected') {
      const closed = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2_000);
        raw.once('disconnected', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      raw.close();
      await closed;
    }
    destroyRawClient(raw);
  }

  #setState(state: ZkState): void {
    const previous = this.#state;
    if (state === previous) return;
    this.#state = state;
    this.#logger.info(`${LOG_PREFIX}: state ${previous} -> ${state}`);
    this.#emitSafely('state', state, previous);
  }

  // A throwing listener must not break the client's own bookkeeping (it
  // does stop later listeners, as with any EventEmitter).
  #emitSafely<E extends keyof ZkClientEvents>(event: E, ...args: ZkClientEvents[E]): void {
    try {
      (this.emit as (event: E, ...a: ZkClientEvents[E]) => boolean)(event, ...args);
    } catch (error) {
      this.#logger.error({ err: error }, `${LOG_PREFIX}: a '${event}' listener threw`);
    }
  }

  #clearLostTimer(): void {
    if (this.#lostTimer !== undefined) clearTimeout(this.#lostTimer);
    this.#lostTimer = undefined;
  }

  /**
   * node-zookeeper-client never checks that the server answers: a frozen
   * server or a handshake that never completes leaves it waiting for ever.
   * This timer drops a socket that has been silent too long, so the client
   * reconnects (to another server if it has one).
   */
  #startWatchdog(): void {
    // Never shorter than the library's ping interval (a third of the session
    // timeout) plus slack, or a quiet but healthy connection would be dropped.
    const limit = (): number =>
      Math.max(this.#readTimeoutMs ?? Math.floor((this.sessionTimeoutMs * 2) / 3), this.sessionTimeoutMs / 3 + 250);
    const tick = (): void => {
      const raw = this.#raw;
      if (raw === undefined) return;
      const socket = rawSocket(raw);
      const now = Date.now();
      if (socket !== this.#watchedSocket) {
        this.#watchedSocket = socket;
        this.#lastReceived = now;
        socket?.on('data', () => {
          if (socket === this.#watchedSocket) this.#lastReceived = Date.now();
        });
      } else if (socket !== undefined && !socket.connecting && !socket.destroyed && rawPhase(raw) !== 'other') {
        const silentMs = now - this.#lastReceived;
        if (silentMs > limit()) {
          this.#logger.warn(`${LOG_PREFIX}: no answer from the server for ${silentMs} ms; reconnecting`);
          socket.destroy();
        }
      }
      // Often enough to start watching a new socket soon (the nudge needs that).
      this.#watchdog = setTimeout(tick, Math.max(20, Math.min(100, limit() / 8)));
      this.#watchdog.unref();
    };
    tick();
  }

  /**
   * While requests wait, pings a server that has said nothing for
   * NUDGE_AFTER_MS. A one-member ZooKeeper 3.8 quorum sometimes holds a
   * write (its reply and its watch events) until a client sends something
   * else: seen for about 1 request in 1,000, held for a whole ping interval.
   * A ping costs nothing and frees it. The timer runs only while requests wait.
   */
  #armNudge(): void {
    if (this.#nudgeTimer !== undefined) return;
    this.#nudgeTimer = setTimeout(() => {
      this.#nudgeTimer = undefined;
      const raw = this.#raw;
      if (raw === undefined || !this.#hasPending(raw)) return;
      const watched = this.#watchedSocket !== undefined && this.#watchedSocket === rawSocket(raw);
      if (watched && rawPhase(raw) === 'connected' && Date.now() - this.#lastReceived >= NUDGE_AFTER_MS) rawPing(raw);
      this.#armNudge();
    }, NUDGE_AFTER_MS);
    this.#nudgeTimer.unref();
  }

  #hasPending(raw: RawClient): boolean {
    for (const entry of this.#pending) if (entry.raw === raw) return true;
    return false;
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== undefined) clearTimeout(this.#watchdog);
    clearTimeout(this.#nudgeTimer);
    this.#nudgeTimer = undefined;
    this.#watchdog = undefined;
    this.#watchedSocket = undefined;
  }
}
