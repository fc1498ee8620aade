import { ZkzeoError } from '../errors.js';
import type { SourceLocation } from './config-tree.js';

/** Formats a location the way compilers do: `file:line`. */
function formatLocation(location: SourceLocation): string {
  return `${location.file}:${location.line}`;
}

/**
 * The root of every configuration error. The message starts with the file
 * (or `<string>`) and line when they are known, e.g.
 * `server.conf:7: unknown key 'adress' in <zeo>`; {@link ConfigError.reason}
 * holds the message without that prefix.
 */
export class ConfigError extends ZkzeoError {
  /** The file the error was found in (`<string>` for text without a file name), if known. */
  readonly file: string | undefined;
  /** The 1-based line the error was found on, if known. */
  readonly line: number | undefined;
  /** The message without the `file:line:` prefix. */
  readonly reason: string;

  /** @internal */
  constructor(code: string, reason: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super(code, location ? `${formatLocation(location)}: ${reason}` : reason, options);
    this.reason = reason;
    this.file = location?.file;
    this.line = location?.line;
  }

  /** The location as an object, or `undefined` when it is not known. */
  get location(): SourceLocation | undefined {
    return this.file !== undefined && this.line !== undefined ? { file: this.file, line: this.line } : undefined;
  }
}

/**
 * The text is not well-formed ZConfig: a malformed section header, an
 * unbalanced or unclosed section, an unknown directive, a bad `$`
 * substitution. Code `CONFIG_SYNTAX`.
 */
export class ConfigSyntaxError extends ConfigError {
  /** @internal */
  constructor(reason: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super('CONFIG_SYNTAX', reason, location, options);
  }
}

/**
 * An `%include` failed: the file cannot be read, is not a local file, or
 * includes itself directly or indirectly. Code `CONFIG_INCLUDE`.
 */
export class ConfigIncludeError extends ConfigError {
  /** @internal */
  constructor(reason: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super('CONFIG_INCLUDE', reason, location, options);
  }
}

/**
 * Well-formed text that does not fit the schema: an unknown key or section
 * type, a repeated single-valued key, a missing required key or section, a
 * section in the wrong place, an unknown `%import` package. Code
 * `CONFIG_SCHEMA`.
 */
export class ConfigSchemaError extends ConfigError {
  /** @internal */
  constructor(reason: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super('CONFIG_SCHEMA', reason, location, options);
  }
}

/**
 * A value that its datatype rejects (`not a valid boolean value: 'maybe'`),
 * or that breaks a section's own rule (a `<zkzeoclient>` server that is not
 * an absolute ZooKeeper path). Code `CONFIG_VALUE`.
 */
export class ConfigValueError extends ConfigError {
  /** @internal */
  constructor(reason: string, location?: SourceLocation, options?: { cause?: unknown }) {
    super('CONFIG_VALUE', reason, location, options);
  }
}
