/**
 * Errors of the ZEO client (ClientStorage, its connection manager and
 * cache). Wire-level and server errors live in `src/zeo/errors.ts`; these
 * are the client's own decisions.
 */
import { ClientDisconnected, ZEO_ERROR_CODES, ZeoError } from '../errors.js';

/** The stable codes of the client's own errors. */
export const ZEO_CLIENT_ERROR_CODES = Object.freeze({
  /** No server connection became ready within `waitTimeout`. */
  waitTimeout: 'ZEO_WAIT_TIMEOUT',
  /** The ClientStorage was closed. */
  closed: 'ZEO_CLIENT_CLOSED',
  /** The client's cache has seen a transaction the server has not (§10.4). */
  cacheNewerThanServer: 'ZEO_CACHE_NEWER_THAN_SERVER',
  /** The operation exists in the storage interface but a ZEO client cannot provide it. */
  unsupported: 'ZEO_UNSUPPORTED',
} as const);

/** One of the strings in {@link ZEO_CLIENT_ERROR_CODES}. */
export type ZeoClientErrorCode = (typeof ZEO_CLIENT_ERROR_CODES)[keyof typeof ZEO_CLIENT_ERROR_CODES];

/**
 * No connection to a server was ready within the allowed time (`waitTimeout`).
 * A {@link ClientDisconnected}, as in Python
 * (`ClientDisconnected('timed out waiting for connection')`), with its own code.
 */
export class WaitTimeoutError extends ClientDisconnected {
  /** Always `ZEO_WAIT_TIMEOUT`. */
  override readonly code: string = ZEO_CLIENT_ERROR_CODES.waitTimeout;
  /** How long the caller waited, in seconds. */
  readonly waitedSeconds: number;

  /** @internal */
  constructor(waitedSeconds: number, what: string) {
    super(`timed out after ${waitedSeconds} s waiting for a connection to ${what}`);
    this.waitedSeconds = waitedSeconds;
  }
}

/**
 * The ClientStorage was closed: every later call and every call still
 * waiting for a connection fails with this. Not retryable.
 */
export class ClientStorageClosedError extends ClientDisconnected {
  /** Always `ZEO_CLIENT_CLOSED`. */
  override readonly code: string = ZEO_CLIENT_ERROR_CODES.closed;
  /** A closed client stays closed. */
  override readonly retryable: boolean = false;

  /** @internal */
  constructor(what: string, action?: string) {
    super(action === undefined ? `${what} is closed` : `cannot ${action}: ${what} is closed`);
  }
}

/**
 * A connection attempt was refused by the client itself because its cache
 * holds a transaction newer than the server's last one (the server lost
 * data, or is another database). Python logs "Client cache is out of sync
 * with the server" and keeps retrying; so does this client.
 */
export class CacheNewerThanServerError extends ZeoError {
  /** Always `ZEO_CACHE_NEWER_THAN_SERVER`. */
  override readonly code: string = ZEO_CLIENT_ERROR_CODES.cacheNewerThanServer;
  /** The last transaction the cache knows, hex. */
  readonly cacheTid: string;
  /** The server's last transaction, hex. */
  readonly serverTid: string;

  /** @internal */
  constructor(cacheTid: Uint8Array, serverTid: Uint8Array, address: string) {
    const c = Buffer.from(cacheTid).toString('hex');
    const s = Buffer.from(serverTid).toString('hex');
    // ZeoError only takes the wire layer's codes; the field above replaces it.
    super(
      ZEO_ERROR_CODES.server,
      `client cache is out of sync with the server at ${address}: cache has seen ${c}, server's last transaction is ${s}`,
    );
    this.cacheTid = c;
    this.serverTid = s;
  }
}

/**
 * A method of the storage interface that a ZEO client cannot provide
 * (the protocol has no call for it).
 */
export class UnsupportedOperationError extends ZeoError {
  /** Always `ZEO_UNSUPPORTED`. */
  override readonly code: string = ZEO_CLIENT_ERROR_CODES.unsupported;
  /** The method that was called. */
  readonly method: string;

  /** @internal */
  constructor(method: string, reason: string) {
    super(ZEO_ERROR_CODES.server, `${method} is not supported by a ZEO client: ${reason}`);
    this.method = method;
  }
}
