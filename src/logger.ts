/**
 * One logging method, called the way pino is: with a message, or with
 * structured fields first and the message second.
 */
export interface LogFn {
  (message: string): void;
  (fields: Record<string, unknown>, message: string): void;
}

/**
 * The logger zkzeo writes to: any object with pino's four level methods
 * (a pino logger, `console`, or a test spy). Messages that zc.zkzeo users
 * know keep zc.zkzeo's exact wording.
 */
export interface Logger {
  /** Detail useful when debugging. */
  debug: LogFn;
  /** Normal but significant events. */
  info: LogFn;
  /** Something is wrong but zkzeo carries on. */
  warn: LogFn;
  /** Something failed. */
  error: LogFn;
}

const ignore = (): void => undefined;

/** A logger that drops everything: the default wherever a logger is optional. */
export const silentLogger: Logger = Object.freeze({
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
});
