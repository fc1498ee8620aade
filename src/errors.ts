/**
 * The root of every error zkzeo throws. Each layer has its own `errors.ts`
 * with subclasses; callers can catch `ZkzeoError` and switch on `code`.
 */
export class ZkzeoError extends Error {
  /** A stable, machine-readable error code such as `ZK_NO_NODE`. */
  readonly code: string;

  /** @internal */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An argument or option had the wrong type or value; the message names it. */
export class InvalidArgumentError extends ZkzeoError {
  /** @internal */
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}
