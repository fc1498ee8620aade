/**
 * Errors of the server side of zkzeo: registering a ZEO server in
 * ZooKeeper (`zkrunzeo`) and its monitor server.
 */
import { ZkzeoError } from '../errors.js';

/** The stable `code` of each error in this module. */
export const ZKZEO_SERVER_ERROR_CODES = Object.freeze({
  /** The configuration asks for something registration cannot do. */
  config: 'ERR_ZKZEO_CONFIG',
  /** The registration path does not exist in ZooKeeper. */
  noPath: 'ERR_ZKZEO_NO_PATH',
  /** Registration stopped because the server was closed first. */
  closed: 'ERR_ZKZEO_CLOSED',
} as const);

/** One of the {@link ZKZEO_SERVER_ERROR_CODES} values. */
export type ZkzeoServerErrorCode = (typeof ZKZEO_SERVER_ERROR_CODES)[keyof typeof ZKZEO_SERVER_ERROR_CODES];

/** The root of the errors in this module. */
export class ZkzeoServerError extends ZkzeoError {
  /** @internal */
  constructor(code: ZkzeoServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/**
 * A configuration that cannot be registered, such as a Unix-socket ZEO
 * address with a `<zookeeper>` path; the message names the file and line.
 */
export class RegistrationConfigError extends ZkzeoServerError {
  /** @internal */
  constructor(message: string) {
    super(ZKZEO_SERVER_ERROR_CODES.config, message);
  }
}

/** The `<zookeeper>` `path` does not exist (zkzeo registers under it but never creates it). */
export class RegistrationPathError extends ZkzeoServerError {
  /** The path that was asked for. */
  readonly path: string;

  /** @internal */
  constructor(path: string, where: string, cause: unknown) {
    super(
      ZKZEO_SERVER_ERROR_CODES.noPath,
      `${where}: cannot register under ${path}: no such node in ZooKeeper (create it first; zkzeo does not)`,
      { cause },
    );
    this.path = path;
  }
}

/** Registration was abandoned because the server was closed before ZooKeeper answered. */
export class RegistrationClosedError extends ZkzeoServerError {
  /** @internal */
  constructor() {
    super(ZKZEO_SERVER_ERROR_CODES.closed, 'the server was closed before it could register in ZooKeeper');
  }
}
