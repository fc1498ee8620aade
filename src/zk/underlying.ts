// Everything that knows node-zookeeper-client's shapes and internals lives
// here, so the rest of src/zk/ speaks only our own types. The package is
// unmaintained and pinned; the internals used below are stable in 1.1.3.
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import {
  ACL,
  createClient,
  Event,
  Exception,
  Id,
  type Client,
  type Stat as RawStat,
} from 'node-zookeeper-client';
import { InvalidArgumentError } from '../errors.js';
import { errorForCode, type ZooKeeperError } from './errors.js';
import type { ServerAddress } from './connection-string.js';
import type { Acl, Stat, WatchEvent } from './types.js';
import { WatchEventType } from './types.js';

/** The parts of node-zookeeper-client's ConnectionManager we look at. */
interface RawConnectionManager {
  servers: { host: string; port: number }[];
  socket: Socket | undefined;
  state: number;
  sessionTimeout: number;
  connect(): void;
  connectTimeoutHandler: NodeJS.Timeout | undefined;
  queue(request: object, callback?: (error: unknown) => void): void;
  watcherManager: RawWatcherManager;
  packetQueue: { queue: object[] };
}

/** ConnectionManager states (lib/ConnectionManager.js). */
const RAW_CONNECTING = 1;
const RAW_CONNECTED = 2;

/** A node-zookeeper-client client (internal). */
export type RawClient = Client;

/** Creates an unconnected client for `servers` with the chroot, honouring IPv6 hosts. */
export function createRawClient(
  servers: readonly ServerAddress[],
  chroot: string | undefined,
  sessionTimeoutMs: number,
  spinDelayMs: number,
): RawClient {
  // The library splits host:port on ':' and cannot read IPv6 hosts, so it is
  // given placeholders and then the real list (same length, so its connect
  // timeout per server stays right).
  const placeholder = servers.map(() => '127.0.0.1:2181').join(',') + (chroot ?? '');
  const client = createClient(placeholder, { sessionTimeout: sessionTimeoutMs, spinDelay: spinDelayMs, retries: 0 });
  const shuffled = servers.map((server) => ({ host: server.host, port: server.port }));
  for (let i = shuffled.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  manager(client).servers = shuffled;
  return client;
}

function manager(client: RawClient): RawConnectionManager {
  return (client as unknown as { connectionManager: RawConnectionManager }).connectionManager;
}

/** The socket the client currently uses, if any. */
export function rawSocket(client: RawClient): Socket | undefined {
  return manager(client).socket;
}

/** Whether the client is waiting for a handshake answer or is connected. */
export function rawPhase(client: RawClient): 'connecting' | 'connected' | 'other' {
  const state = manager(client).state;
  return state === RAW_CONNECTING ? 'connecting' : state === RAW_CONNECTED ? 'connected' : 'other';
}

/** The session id as a bigint (0n before the first connection). */
export function rawSessionId(client: RawClient): bigint {
  return client.getSessionId().readBigUInt64BE(0);
}

/** ConnectionManager states that mean the client is shutting down or done. */
const RAW_CLOSING = -1;
const RAW_CLOSED = -2;

/**
 * Ends a client for good. `close()` alone is not enough: the library may
 * have a reconnect scheduled (its "spin delay"), which would open a new
 * socket and offer the old session again. So after closing, every later
 * socket is destroyed as soon as it is made, and reconnecting is disabled.
 */
export function destroyRawClient(client: RawClient): void {
  const cm = manager(client);
  // close() writes closeSession on the current socket; without one
  // (never connected) there is nobody to tell, and the library would throw.
  if (cm.socket !== undefined && cm.state !== RAW_CLOSING && cm.state !== RAW_CLOSED) client.close();
  let current = cm.socket;
  current?.destroy();
  Object.defineProperty(cm, 'socket', {
    configurable: true,
    get: () => current,
    set: (socket: Socket) => {
      socket.destroy();
      current = socket;
    },
  });
  cm.connect = () => undefined;
  // A connect attempt already scheduled arms a connect timer right after
  // making its socket; nothing would clear it, and it would hold the
  // process open for the session timeout.
  clearTimeout(cm.connectTimeoutHandler);
  Object.defineProperty(cm, 'connectTimeoutHandler', {
    configurable: true,
    get: () => undefined,
    set: (timer: NodeJS.Timeout | undefined) => clearTimeout(timer),
  });
}

/** The library's protocol classes (not part of its typed API). */
interface Jute {
  Request: new (header: object, payload: object | null) => { toBuffer(): Buffer };
  protocol: { RequestHeader: new (xid: number, type: number) => { type: number } };
  XID_PING: number;
  OP_CODES: { PING: number; DELETE: number };
}
const requireLib = createRequire(import.meta.url);
const jute = requireLib('node-zookeeper-client/lib/jute/index.js') as Jute;

/** The library's WatcherManager: where notifications are dispatched. */
interface RawWatcherManager {
  emit(event: { type: number; path: string }): void;
  dataWatchers: Record<string, NodeJS.EventEmitter>;
  childWatchers: Record<string, NodeJS.EventEmitter>;
  existenceWatchers: Record<string, NodeJS.EventEmitter>;
}

/**
 * Takes a one-shot watcher back from the library: it is not called, and
 * not set again on a new connection. The library would keep it, and what
 * it holds, until the node changes.
 */
export function dropOneShotWatcher(client: RawClient, path: string, watcher: (event: Event) => void): void {
  const watchers = manager(client).watcherManager;
  for (const byPath of [watchers.dataWatchers, watchers.childWatchers, watchers.existenceWatchers]) {
    const emitter = byPath[path];
    if (emitter === undefined) continue;
    emitter.removeListener('notification', watcher);
    if (emitter.listenerCount('notification') === 0) delete byPath[path];
  }
}

/**
 * ZooKeeper error codes newer than the library (3.5+). It throws on a code
 * it does not know, inside its socket handler, which would take the whole
 * process down; these names keep messages readable.
 */
const NEWER_ERROR_NAMES: Readonly<Record<number, string>> = {
  [-12]: 'UNKNOWN_SESSION',
  [-13]: 'NEW_CONFIG_NO_QUORUM',
  [-14]: 'RECONFIG_IN_PROGRESS',
  [-118]: 'SESSION_MOVED',
  [-119]: 'NOT_READ_ONLY',
  [-120]: 'EPHEMERAL_ON_LOCAL_SESSION',
  [-121]: 'NO_WATCHER',
  [-122]: 'REQUEST_TIMEOUT',
  [-123]: 'RECONFIG_DISABLED',
  [-124]: 'SESSION_CLOSED_REQUIRE_SASL_AUTH',
  [-125]: 'QUOTA_EXCEEDED',
  [-127]: 'THROTTLED_OP',
};

// Make the library's Exception factory accept any code (once, for every client).
{
  const exceptions = requireLib('node-zookeeper-client/lib/Exception.js') as {
    create: (code: number, path?: string) => Exception;
  };
  const create = exceptions.create;
  exceptions.create = (code: number, path?: string): Exception => {
    try {
      return create(code, path);
    } catch {
      const name = NEWER_ERROR_NAMES[code] ?? `ERROR_${code}`;
      const unknown = Object.create(Exception.prototype) as Exception & { code: number; name: string; path?: string; message: string };
      Object.assign(unknown, { code, name, path, message: `Exception: ${name}[${code}]${path === undefined ? '' : `@${path}`}` });
      return unknown;
    }
  };
}

/** Op codes the library does not know (ZooKeeper 3.6+). */
const OP_REMOVE_WATCHES = 18;
const OP_ADD_WATCH = 106;

/** `AddWatchMode` of ZooKeeper 3.6. */
const ADD_WATCH_PERSISTENT = 0;
const ADD_WATCH_PERSISTENT_RECURSIVE = 1;
/** `WatcherType.Any`: ZooKeeper before 3.9 refuses the persistent types (4, 5) in removeWatches. */
const WATCHER_TYPE_ANY = 3;

const Record = Object.getPrototypeOf(jute.protocol.RequestHeader.prototype).constructor as new (
  specification: { name: string; type: string }[],
  args: unknown[],
) => object;

/**
 * Queues a request the library has no method for. Its reply has no body
 * (true of addWatch and removeWatches); the library reads replies by the
 * request's op code and drops the connection for codes it does not know,
 * so once the request is written its code is changed to one whose reply
 * has no body either.
 */
function queueBodilessRequest(client: RawClient, opCode: number, path: string, mode: number, callback: (error: unknown) => void): void {
  const header = new jute.protocol.RequestHeader(0, opCode);
  const payload = new Record(
    [
      { name: 'path', type: 'ustring' },
      { name: 'mode', type: 'int' },
    ],
    [path, mode],
  );
  const request = new jute.Request(header, payload);
  const toBuffer = request.toBuffer.bind(request);
  request.toBuffer = () => {
    const bytes = toBuffer();
    header.type = jute.OP_CODES.DELETE;
    return bytes;
  };
  manager(client).queue(request, (error: unknown) => callback(error));
}

/** Sends `addWatch(path, mode)` (ZooKeeper 3.6+; older servers answer UNIMPLEMENTED). */
export function rawAddWatch(client: RawClient, path: string, recursive: boolean, callback: (error: unknown) => void): void {
  const mode = recursive ? ADD_WATCH_PERSISTENT_RECURSIVE : ADD_WATCH_PERSISTENT;
  queueBodilessRequest(client, OP_ADD_WATCH, path, mode, callback);
}

/** Sends `removeWatches(path, Any)`: every watch this connection has on `path` leaves the server. */
export function rawRemoveWatches(client: RawClient, path: string, callback: (error: unknown) => void): void {
  queueBodilessRequest(client, OP_REMOVE_WATCHES, path, WATCHER_TYPE_ANY, callback);
}

/**
 * Calls `listener` with every notification the client receives, before the
 * library hands it to its one-shot watchers (which ignore what is not
 * theirs, such as the events of a persistent watch).
 */
export function tapNotifications(client: RawClient, listener: (event: WatchEvent) => void): void {
  const watchers = manager(client).watcherManager;
  const emit = watchers.emit.bind(watchers);
  watchers.emit = (event) => {
    listener(toWatchEvent(event));
    emit(event);
  };
}

/** Sends a ping now, as the library does after an idle third of the session timeout. */
export function rawPing(client: RawClient): void {
  manager(client).queue(new jute.Request(new jute.protocol.RequestHeader(jute.XID_PING, jute.OP_CODES.PING), null));
}

/** The request the library has queued but not yet written, if `send` just queued one. */
export function lastQueuedPacket(client: RawClient): object | undefined {
  return manager(client).packetQueue.queue.at(-1);
}

/**
 * Takes a queued request back before it is written. Returns false when it
 * was written already (its outcome is then unknown).
 */
export function withdrawPacket(client: RawClient, packet: object): boolean {
  const queue = manager(client).packetQueue.queue;
  const index = queue.indexOf(packet);
  if (index === -1) return false;
  queue.splice(index, 1);
  return true;
}

/** Converts the library's Stat (Buffers for 64-bit fields) to ours. */
export function toStat(raw: RawStat): Stat {
  return {
    czxid: raw.czxid.readBigInt64BE(0),
    mzxid: raw.mzxid.readBigInt64BE(0),
    pzxid: raw.pzxid.readBigInt64BE(0),
    ctime: Number(raw.ctime.readBigInt64BE(0)),
    mtime: Number(raw.mtime.readBigInt64BE(0)),
    version: raw.version,
    cversion: raw.cversion,
    aversion: raw.aversion,
    ephemeralOwner: raw.ephemeralOwner.readBigInt64BE(0),
    dataLength: raw.dataLength,
    numChildren: raw.numChildren,
  };
}

/** Converts our ACL entries to the library's. */
export function toRawAcl(acl: readonly Acl[]): ACL[] {
  return acl.map((entry) => new ACL(entry.perms, new Id(entry.scheme, entry.id)));
}

/** Converts the library's ACL entries to ours. */
export function fromRawAcl(acl: readonly ACL[]): Acl[] {
  // The type definitions say `perms`; the library's field is `permission`.
  return acl.map((entry) => ({
    perms: (entry as unknown as { permission: number }).permission,
    scheme: entry.id.scheme,
    id: entry.id.id,
  }));
}

/** Converts a watch notification to ours. */
export function toWatchEvent(raw: Pick<Event, 'type' | 'path'>): WatchEvent {
  const type =
    raw.type === Event.NODE_CREATED
      ? WatchEventType.CREATED
      : raw.type === Event.NODE_DELETED
        ? WatchEventType.DELETED
        : raw.type === Event.NODE_DATA_CHANGED
          ? WatchEventType.CHANGED
          : WatchEventType.CHILD;
  return { type, path: raw.path };
}

/**
 * Turns whatever the library reported (an Exception with a code, or an
 * assertion error thrown for bad arguments) into our typed error for `path`.
 */
export function toZooKeeperError(error: unknown, path: string | undefined): ZooKeeperError | InvalidArgumentError | Error {
  if (error instanceof Exception) return errorForCode(error.getCode(), error.getName(), path);
  if (error instanceof Error && error.name.startsWith('AssertionError')) {
    return new InvalidArgumentError(`${error.message}${path === undefined ? '' : ` (path ${path})`}`, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
