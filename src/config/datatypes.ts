/**
 * ZConfig's standard datatypes (`ZConfig/datatypes.py`) as functions from
 * the text of a value to a typed result. They throw
 * {@link ConfigValueError} without a location; the schema layer adds the
 * file, line and key.
 */
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { ConfigValueError } from './errors.js';

/** A conversion from the text of a value to its typed form. */
export type Datatype<T> = (text: string) => T;

/** Renders a value the way Python's `repr` renders a simple string, for messages. */
export function quote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** `string`: the text unchanged. */
export const string: Datatype<string> = (text) => text;

/** `boolean`: `yes`/`true`/`on` or `no`/`false`/`off`, in any case. */
export const boolean: Datatype<boolean> = (text) => {
  const lower = text.toLowerCase();
  if (lower === 'yes' || lower === 'true' || lower === 'on') return true;
  if (lower === 'no' || lower === 'false' || lower === 'off') return false;
  throw new ConfigValueError(`not a valid boolean value: ${quote(text)}`);
};

// Python int(): optional sign, decimal digits with single underscores between them.
const PYTHON_INT = /^[+-]?\d+(?:_\d+)*$/;

function parseInteger(text: string, what: string): number {
  const trimmed = text.trim();
  if (!PYTHON_INT.test(trimmed)) throw new ConfigValueError(`${what}: ${quote(text)}`);
  const value = Number(trimmed.replaceAll('_', ''));
  if (!Number.isSafeInteger(value)) throw new ConfigValueError(`integer out of range: ${quote(text)}`);
  return value;
}

/** `integer`: base-10 integers as Python's `int()` reads them (`+7`, `-3`, `1_000`, surrounding spaces). */
export const integer: Datatype<number> = (text) => parseInteger(text, 'not a valid integer');

const PYTHON_FLOAT = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?|\d+(?:_\d+)*\.(?:[eE][+-]?\d+(?:_\d+)*)?)$/;
const PYTHON_FLOAT_WORD = /^[+-]?(?:inf|infinity|nan)$/i;

/** `float`: Python's `float()` syntax (`3.5`, `1e3`, `.5`, `inf`, `nan`). */
export const float: Datatype<number> = (text) => {
  const trimmed = text.trim();
  if (PYTHON_FLOAT_WORD.test(trimmed)) {
    const negative = trimmed.startsWith('-');
    if (/nan/i.test(trimmed)) return Number.NaN;
    return negative ? -Infinity : Infinity;
  }
  if (!PYTHON_FLOAT.test(trimmed)) throw new ConfigValueError(`not a valid float: ${quote(text)}`);
  return Number(trimmed.replaceAll('_', ''));
};

function suffixMultiplier(suffixes: Readonly<Record<string, number>>, suffixLength: number, what: string): Datatype<number> {
  return (text) => {
    const multiplier = suffixes[text.slice(-suffixLength).toLowerCase()];
    const digits = multiplier === undefined ? text : text.slice(0, -suffixLength);
    let value: number;
    try {
      value = parseInteger(digits, 'not a valid integer') * (multiplier ?? 1);
    } catch {
      throw new ConfigValueError(`not a valid ${what}: ${quote(text)}`);
    }
    if (!Number.isSafeInteger(value)) throw new ConfigValueError(`value out of range: ${quote(text)}`);
    return value;
  };
}

/** `byte-size`: an integer with an optional `KB`, `MB` or `GB` suffix (powers of 1024); `20MB` is 20971520. */
export const byteSize: Datatype<number> = suffixMultiplier(
  { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 },
  2,
  'byte size (an integer with an optional KB, MB or GB suffix)',
);

/** `time-interval`: an integer with an optional `s`, `m`, `h` or `d` suffix, in seconds; `5m` is 300. */
export const timeInterval: Datatype<number> = suffixMultiplier(
  { s: 1, m: 60, h: 3600, d: 86400 },
  1,
  'time interval (an integer with an optional s, m, h or d suffix)',
);

const IDENTIFIER = '[_a-zA-Z][_a-zA-Z0-9]*';
const DOTTED_NAME = new RegExp(`^${IDENTIFIER}(?:\\.${IDENTIFIER})*$`);

/** `dotted-name`: `ident(.ident)*`, such as a Python `module.name`. */
export const dottedName: Datatype<string> = (text) => {
  if (!DOTTED_NAME.test(text)) throw new ConfigValueError(`not a valid dotted name: ${quote(text)}`);
  return text;
};

/** `port-number`: an integer from 0 to 65535. */
export const portNumber: Datatype<number> = (text) => {
  const port = integer(text);
  if (port < 0) throw new ConfigValueError(`${port} is below lower bound (0)`);
  if (port > 0xffff) throw new ConfigValueError(`${port} is above upper bound (65535)`);
  return port;
};

/** Expands a leading `~` or `~/` to the home directory, like Python's `os.path.expanduser` for the current user. */
export function expandUser(text: string): string {
  if (text === '~') return homedir();
  if (text.startsWith('~/') || text.startsWith(`~${path.sep}`)) return path.join(homedir(), text.slice(2));
  return text;
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * `existing-dirpath`: a file path whose directory part, if any, exists
 * (`~` expanded; a bare file name is accepted). Relative paths are checked
 * against the current directory, as ZConfig does.
 */
export const existingDirpath: Datatype<string> = (text) => {
  const expanded = expandUser(text);
  const directory = path.dirname(expanded);
  // A bare file name has no directory part to check.
  if (directory === '.' || isDirectory(directory)) return expanded;
  throw new ConfigValueError(`the directory named as part of the path ${text} does not exist`);
};

/** `existing-directory`: a directory that exists (`~` expanded). */
export const existingDirectory: Datatype<string> = (text) => {
  const expanded = expandUser(text);
  if (isDirectory(expanded)) return expanded;
  throw new ConfigValueError(`${text} is not an existing directory`);
};

/** `existing-path`: anything that exists (`~` expanded). */
export const existingPath: Datatype<string> = (text) => {
  const expanded = expandUser(text);
  if (exists(expanded)) return expanded;
  throw new ConfigValueError(`${text} is not an existing path`);
};

/** `existing-file`: anything that exists, as ZConfig checks it (`~` expanded). */
export const existingFile: Datatype<string> = (text) => {
  const expanded = expandUser(text);
  if (exists(expanded)) return expanded;
  throw new ConfigValueError(`${text} is not an existing file`);
};
