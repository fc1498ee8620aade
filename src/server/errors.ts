/**
 * Errors of the ZEO storage server: configuration and start-up problems
 * the server itself reports. Errors sent to clients are the ZEO layer's
 * typed errors (`src/zeo/errors.ts`), marshalled as Python's would be.
 */
import { ZkzeoError } from '../errors.js';

/** The stable codes of the server's errors. */
export const SERVER_ERROR_CODES = Object.freeze({
  /** A configured storage type the server cannot open (e.g. `<demostorage>`). */
  unsupportedStorage: 'SERVER_UNSUPPORTED_STORAGE',
  /** Listening on an address failed (in use, permission, bad host). */
  listen: 'SERVER_LISTEN',
  /** The server was closed. */
  closed: 'SERVER_CLOSED',
  /** The command line or options do not describe a server (no address, no storage). */
  usage: 'SERVER_USAGE',
} as const);

/** One of the strings in {@link SERVER_ERROR_CODES}. */
export type ServerErrorCode = (typeof SERVER_ERROR_CODES)[keyof typeof SERVER_ERROR_CODES];

/** The root of the server's own errors. */
export class ZeoServerError extends ZkzeoError {
  declare readonly code: ServerErrorCode;

  /** @internal */
  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A configured storage cannot be served; the message names the section and where it is. */
export class UnsupportedStorageError extends ZeoServerError {
  /** @internal */
  constructor(message: string) {
    super(SERVER_ERROR_CODES.unsupportedStorage, message);
  }
}

/** The server could not listen on an address; `cause` is the system error. */
export class ListenError extends ZeoServerError {
  /** The address as written, e.g. `127.0.0.1:8100` or `/run/zeo.sock`. */
  readonly address: string;

  /** @internal */
  constructor(address: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(SERVER_ERROR_CODES.listen, `cannot listen on ${address}: ${reason}`, { cause });
    this.address = address;
  }
}

/** The server is closed (or closing) and cannot do what was asked. */
export class ServerClosedError extends ZeoServerError {
  /** @internal */
  constructor(message = 'the storage server is closed') {
    super(SERVER_ERROR_CODES.closed, message);
  }
}

/** The options given to start a server are incomplete or contradictory. */
export class ServerUsageError extends ZeoServerError {
  /** @internal */
  constructor(message: string) {
    super(SERVER_ERROR_CODES.usage, message);
  }
}
