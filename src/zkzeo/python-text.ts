/**
 * Values written the way Python 3 prints them, for the messages zc.zkzeo,
 * zc.monitor and ZEO's Nagios plugin produce with `%r` and `str()`: the
 * wording of those messages is part of what monitoring scripts match on.
 */
import { encodeJsonString } from '../registry/python-json.js';
import { formatFloatRepr } from '../registry/python-repr.js';

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Python 3's `repr()` of a str: `'abc'`, `"it's"`, `'a\nb'`. */
export function pythonStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += `\\x${hex2(cp)}`;
    else out += ch;
  }
  return out + quote;
}

/** Python 3's `repr()` of a list of str: `['a', 'b']`. */
export function pythonStrListRepr(items: readonly string[]): string {
  return `[${items.map(pythonStrRepr).join(', ')}]`;
}

/** Python 3's `str()` of a number that Python holds as a float: `0.0`, `1.5`, `1e-05`. */
export function pythonFloatStr(value: number): string {
  return formatFloatRepr(value);
}

/** A value `JSON.parse` produces. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Python's `json.dumps(value)` with its default separators (`", "` and
 * `": "`), ASCII only. Numbers that are not integers, and any number under
 * a key in `floatKeys`, are written as Python writes floats (`1.0`).
 */
export function pythonJsonDumps(value: JsonValue, floatKeys: ReadonlySet<string> = new Set()): string {
  const dump = (item: JsonValue, key: string | undefined): string => {
    if (item === null) return 'null';
    if (typeof item === 'boolean') return item ? 'true' : 'false';
    if (typeof item === 'number') {
      return Number.isInteger(item) && !(key !== undefined && floatKeys.has(key)) ? String(item) : formatFloatRepr(item);
    }
    if (typeof item === 'string') return encodeJsonString(item);
    if (Array.isArray(item)) return `[${item.map((element: JsonValue) => dump(element, undefined)).join(', ')}]`;
    const entries = Object.entries(item as { readonly [key: string]: JsonValue });
    return `{${entries.map(([name, element]) => `${encodeJsonString(name)}: ${dump(element, name)}`).join(', ')}}`;
  };
  return dump(value, undefined);
}

/** Linux errno numbers and `strerror` texts of the errors a socket connect reports. */
const OS_ERRORS: Readonly<Record<string, readonly [errno: number, text: string]>> = {
  ENOENT: [2, 'No such file or directory'],
  EACCES: [13, 'Permission denied'],
  ENOTDIR: [20, 'Not a directory'],
  ENOTSOCK: [88, 'Socket operation on non-socket'],
  EADDRINUSE: [98, 'Address already in use'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
  ENETUNREACH: [101, 'Network is unreachable'],
  ECONNRESET: [104, 'Connection reset by peer'],
  ETIMEDOUT: [110, 'Connection timed out'],
  ECONNREFUSED: [111, 'Connection refused'],
  EHOSTUNREACH: [113, 'No route to host'],
  EPROTOTYPE: [91, 'Protocol wrong type for socket'],
};

/**
 * Python's `str()` of the `OSError` a failed connect raises, from Node's
 * system error: `[Errno 111] Connection refused`, `[Errno 2] No such file
 * or directory`; a failed name lookup reads as `socket.gaierror` does.
 */
export function pythonOsErrorStr(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME') return '[Errno -2] Name or service not known';
  if (code === 'EAI_AGAIN') return '[Errno -3] Temporary failure in name resolution';
  if (typeof code === 'string') {
    const known = OS_ERRORS[code];
    if (known !== undefined) return `[Errno ${known[0]}] ${known[1]}`;
    const errno = (error as { errno?: unknown }).errno;
    if (typeof errno === 'number') return `[Errno ${Math.abs(errno)}] ${code}`;
  }
  return error instanceof Error ? error.message : String(error);
}
