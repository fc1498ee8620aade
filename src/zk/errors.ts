import { ZkzeoError } from '../errors.js';

/**
 * An error from the ZooKeeper layer. Errors the server returns carry its
 * numeric `zkCode` and the `path` of the request; `retryable` says whether
 * {@link retry} may run the operation again (connection loss, timeouts,
 * session expiry), never because of the error's message.
 */
export class ZooKeeperError extends ZkzeoError {
  /** ZooKeeper's numeric error code (e.g. -101 for no node), or 0 for errors of our own. */
  readonly zkCode: number;
  /** The node path the failed request named, when there was one. */
  readonly path: string | undefined;
  /** Whether running the same operation again may succeed. */
  readonly retryable: boolean;
  /** For a failed {@link ZkTransaction}: the index of the operation that failed. */
  operationIndex: number | undefined;

  /** @internal */
  constructor(
    code: string,
    message: string,
    details: { zkCode?: number; path?: string | undefined; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, { cause: details.cause });
    this.zkCode = details.zkCode ?? 0;
    this.path = details.path;
    this.retryable = details.retryable ?? false;
    this.operationIndex = undefined;
  }
}

function describe(what: string, path: string | undefined): string {
  return path === undefined ? what : `${what}: ${path}`;
}

/** The node does not exist. */
export class NoNodeError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_NO_NODE', describe('no node', path), { zkCode: -101, path });
  }
}

/** The node already exists. */
export class NodeExistsError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_NODE_EXISTS', describe('node exists', path), { zkCode: -110, path });
  }
}

/** The expected version did not match the node's version. */
export class BadVersionError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_BAD_VERSION', describe('bad version', path), { zkCode: -103, path });
  }
}

/** The node has children and cannot be deleted without `recursive`. */
export class NotEmptyError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_NOT_EMPTY', describe('node has children', path), { zkCode: -111, path });
  }
}

/** Ephemeral nodes cannot have children. */
export class NoChildrenForEphemeralsError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_NO_CHILDREN_FOR_EPHEMERALS', describe('ephemeral nodes cannot have children', path), {
      zkCode: -108,
      path,
    });
  }
}

/** The client's credentials do not allow the operation. */
export class NoAuthError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_NO_AUTH', describe('not authorised', path), { zkCode: -102, path });
  }
}

/** The ACL given is invalid. */
export class InvalidACLError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_INVALID_ACL', describe('invalid ACL', path), { zkCode: -114, path });
  }
}

/**
 * The connection to the server was lost before the reply arrived. The
 * operation may or may not have happened; it is retryable.
 */
export class ConnectionLossError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string, cause?: unknown) {
    super('ZK_CONNECTION_LOSS', describe('connection to ZooKeeper lost', path), {
      zkCode: -4,
      path,
      retryable: true,
      cause,
    });
  }
}

/** The session ended (expired, or declared lost); a new one replaces it. Retryable. */
export class SessionExpiredError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_SESSION_EXPIRED', describe('ZooKeeper session expired', path), { zkCode: -112, path, retryable: true });
  }
}

/**
 * A request got no answer in time: from our `requestTimeoutMs`, or the
 * server's own operation timeout. Retryable. `sent` says whether it may
 * have reached the server: a request still queued when it timed out is
 * withdrawn and certainly not applied.
 */
export class OperationTimeoutError extends ZooKeeperError {
  /** Whether the request was written to a server before it timed out. */
  readonly sent: boolean;

  /** @internal */
  constructor(path: string | undefined, timeoutMs: number | undefined, sent = true) {
    const what =
      timeoutMs === undefined
        ? 'ZooKeeper operation timed out'
        : `no answer from ZooKeeper within ${timeoutMs} ms${sent ? '' : ' (not sent; withdrawn)'}`;
    super('ZK_OPERATION_TIMEOUT', describe(what, path), { zkCode: -7, path, retryable: true });
    this.sent = sent;
  }
}

/** {@link ZkClient.start} could not connect within its timeout. */
export class ConnectTimeoutError extends ZooKeeperError {
  /** The connection string that could not be reached. */
  readonly connectionString: string;

  /** @internal */
  constructor(connectionString: string, timeoutMs: number) {
    super('ZK_CONNECT_TIMEOUT', `could not connect to ZooKeeper at '${connectionString}' within ${timeoutMs} ms`, {
      retryable: true,
    });
    this.connectionString = connectionString;
  }
}

/** The client was stopped or closed; the operation was not sent. */
export class ClientClosedError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_CLIENT_CLOSED', describe('the ZooKeeper client is closed', path), { path });
  }
}

/** A node path is malformed; the message says why and quotes it. */
export class InvalidPathError extends ZooKeeperError {
  /** @internal */
  constructor(path: unknown, reason: string) {
    super('ZK_INVALID_PATH', `invalid ZooKeeper path ${JSON.stringify(path)}: ${reason}`, {
      path: typeof path === 'string' ? path : undefined,
    });
  }
}

/** A connection string or `zookeeper:` URL is malformed; the message quotes it. */
export class ConnectionStringError extends ZooKeeperError {
  /** @internal */
  constructor(input: string, reason: string) {
    super('ZK_INVALID_CONNECTION_STRING', `invalid ZooKeeper connection string ${JSON.stringify(input)}: ${reason}`);
  }
}

/** {@link retry} gave up: too many attempts or past the deadline. The last error is the `cause`. */
export class RetryFailedError extends ZooKeeperError {
  /** @internal */
  constructor(reason: string, cause: unknown) {
    super('ZK_RETRY_FAILED', reason, { cause });
  }
}

/** The server does not know the request (addWatch before ZooKeeper 3.6, say). */
export class UnimplementedError extends ZooKeeperError {
  /** @internal */
  constructor(path?: string) {
    super('ZK_UNIMPLEMENTED', describe('not implemented by this ZooKeeper server', path), { zkCode: -6, path });
  }
}

/** Any other error code the server returned. */
export class ServerError extends ZooKeeperError {
  /** @internal */
  constructor(zkCode: number, name: string, path?: string) {
    super('ZK_SERVER_ERROR', describe(`ZooKeeper error ${name} (${zkCode})`, path), { zkCode, path });
  }
}

/**
 * Turns a ZooKeeper error code into our typed error for `path`.
 * @internal
 */
export function errorForCode(zkCode: number, name: string, path?: string): ZooKeeperError {
  switch (zkCode) {
    case -101:
      return new NoNodeError(path);
    case -110:
      return new NodeExistsError(path);
    case -103:
      return new BadVersionError(path);
    case -111:
      return new NotEmptyError(path);
    case -108:
      return new NoChildrenForEphemeralsError(path);
    case -102:
      return new NoAuthError(path);
    case -114:
      return new InvalidACLError(path);
    case -4:
      return new ConnectionLossError(path);
    case -112:
      return new SessionExpiredError(path);
    case -7:
      return new OperationTimeoutError(path, undefined);
    case -6:
      return new UnimplementedError(path);
    default:
      return new ServerError(zkCode, name, path);
  }
}
