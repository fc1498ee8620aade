/**
 * JSON as Python 2's `json` module reads and writes it for zc.zk node data.
 * Unlike `JSON.parse`/`JSON.stringify` this keeps integers and floats apart
 * (`3` vs `3.0`, big integers as `bigint`), accepts and writes `NaN` and
 * `Infinity`, and writes `json.dumps(…, separators=(',', ':'))` output
 * exactly: ASCII only (`\u00e9`), `1e+16`, keys in the object's order.
 */
import { NodeDataError, PythonJsonSyntaxError } from './errors.js';
import {
  PythonFloat,
  type PropertyDict,
  type PropertyValue,
  dictKeys,
  floatValue,
  integerValue,
  isPropertyDict,
  keepDictOrder,
  setDictEntry,
} from './property-value.js';
import { formatFloatRepr } from './python-repr.js';

const MAX_DEPTH = 500;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });
const NUMBER = /(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;

class JsonReader {
  readonly #text: string;
  #pos = 0;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
  }

  #fail(reason: string): never {
    throw new PythonJsonSyntaxError(reason, this.#pos);
  }

  #skip(): void {
    const text = this.#text;
    for (;;) {
      const c = text.charCodeAt(this.#pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) this.#pos++;
      else return;
    }
  }

  readDocument(): PropertyValue {
    this.#skip();
    const value = this.#readValue();
    this.#skip();
    if (this.#pos < this.#text.length) this.#fail('extra data');
    return value;
  }

  #literal(word: string, value: PropertyValue): PropertyValue {
    if (!this.#text.startsWith(word, this.#pos)) this.#fail('expecting value');
    this.#pos += word.length;
    return value;
  }

  #readValue(): PropertyValue {
    const text = this.#text;
    switch (text[this.#pos]) {
      case '{':
        return this.#readObject();
      case '[':
        return this.#readArray();
      case '"':
        return this.#readString();
      case 'n':
        return this.#literal('null', null);
      case 't':
        return this.#literal('true', true);
      case 'f':
        return this.#literal('false', false);
      case 'N':
        return this.#literal('NaN', NaN);
      case 'I':
        return this.#literal('Infinity', Infinity);
      default:
        if (text.startsWith('-Infinity', this.#pos)) return this.#literal('-Infinity', -Infinity);
        return this.#readNumber();
    }
  }

  #readNumber(): PropertyValue {
    NUMBER.lastIndex = this.#pos;
    const m = NUMBER.exec(this.#text);
    if (!m) this.#fail('expecting value');
    this.#pos += m[0].length;
    if (m[2] === undefined && m[3] === undefined) return integerValue(BigInt(m[1] ?? '0'));
    return floatValue(Number(m[0]));
  }

  #enter(): void {
    if (++this.#depth > MAX_DEPTH) this.#fail('nested too deeply');
    this.#pos++;
    this.#skip();
  }

  #readArray(): PropertyValue {
    this.#enter();
    const items: PropertyValue[] = [];
    if (this.#text[this.#pos] === ']') {
      this.#pos++;
    } else {
      for (;;) {
        items.push(this.#readValue());
        this.#skip();
        const c = this.#text[this.#pos];
        if (c !== ']' && c !== ',') this.#fail('expecting "," or "]"');
        this.#pos++;
        if (c === ']') break;
        this.#skip();
      }
    }
    this.#depth--;
    return items;
  }

  #readObject(): PropertyValue {
    this.#enter();
    const dict: Record<string, PropertyValue> = {};
    const order: string[] = [];
    if (this.#text[this.#pos] === '}') {
      this.#pos++;
    } else {
      for (;;) {
        if (this.#text[this.#pos] !== '"') this.#fail('expecting property name in double quotes');
        const key = this.#readString();
        this.#skip();
        if (this.#text[this.#pos] !== ':') this.#fail('expecting ":"');
        this.#pos++;
        this.#skip();
        // Duplicate keys: the last value wins, as with a Python dict.
        if (!Object.hasOwn(dict, key)) order.push(key);
        setDictEntry(dict, key, this.#readValue());
        this.#skip();
        const c = this.#text[this.#pos];
        if (c !== '}' && c !== ',') this.#fail('expecting "," or "}"');
        this.#pos++;
        if (c === '}') break;
        this.#skip();
      }
    }
    this.#depth--;
    keepDictOrder(dict, order);
    return dict;
  }

  #readString(): string {
    const text = this.#text;
    this.#pos++;
    let out = '';
    let chunkStart = this.#pos;
    for (;;) {
      const c = text.charCodeAt(this.#pos);
      if (Number.isNaN(c)) this.#fail('unterminated string');
      if (c === 0x22) {
        out += text.slice(chunkStart, this.#pos);
        this.#pos++;
        return out;
      }
      if (c < 0x20) this.#fail('invalid control character in string');
      if (c !== 0x5c) {
        this.#pos++;
        continue;
      }
      out += text.slice(chunkStart, this.#pos);
      const e = text[this.#pos + 1];
      this.#pos += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const hex = text.slice(this.#pos, this.#pos + 4);
          if (!HEX4.test(hex)) this.#fail('invalid \\uXXXX escape');
          out += String.fromCharCode(parseInt(hex, 16));
          this.#pos += 4;
          break;
        }
        default:
          this.#pos -= 2;
          this.#fail('invalid escape');
      }
      chunkStart = this.#pos;
    }
  }
}

/**
 * Parse JSON text as Python 2's `json.loads` does (see the module
 * description). Throws {@link PythonJsonSyntaxError}.
 */
export function parsePythonJson(text: string): PropertyValue {
  return new JsonReader(text).readDocument();
}

/** Parse UTF-8 JSON bytes; a {@link PythonJsonSyntaxError} also for bad UTF-8. */
export function parsePythonJsonBytes(bytes: Uint8Array): PropertyValue {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    throw new PythonJsonSyntaxError('invalid UTF-8', 0);
  }
  return parsePythonJson(text);
}

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};

/** A JSON string literal with everything outside printable ASCII escaped, as `ensure_ascii` does. */
export function encodeJsonString(s: string): string {
  let out = '"';
  let chunkStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(chunkStart, i);
    out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    chunkStart = i + 1;
  }
  return `${out}${s.slice(chunkStart)}"`;
}

function encodeFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  return formatFloatRepr(x);
}

function encodeValue(value: PropertyValue, depth: number, where: string): string {
  if (depth > MAX_DEPTH) throw new NodeDataError(`${where}: value nested too deeply (or cyclic)`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return encodeJsonString(value);
    case 'bigint':
      return `${value}`;
    case 'number':
      return Number.isSafeInteger(value) ? `${value}` : encodeFloat(value);
    case 'object':
      break;
    default:
      throw new NodeDataError(`${where}: a ${typeof value} cannot be stored as JSON`);
  }
  if (value instanceof PythonFloat) return encodeFloat(value.value);
  if (value instanceof Uint8Array) {
    try {
      return encodeJsonString(STRICT_UTF8.decode(value));
    } catch (cause) {
      throw new NodeDataError(`${where}: bytes that are not UTF-8 cannot be stored as JSON`, { cause });
    }
  }
  if (Array.isArray(value)) {
    return `[${value.map((item: PropertyValue) => encodeValue(item, depth + 1, where)).join(',')}]`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (!isPropertyDict(value) || (proto !== Object.prototype && proto !== null)) {
    throw new NodeDataError(`${where}: a ${(value as object).constructor?.name ?? 'object'} cannot be stored as JSON`);
  }
  return encodeDict(value, depth, where);
}

function encodeDict(dict: PropertyDict, depth: number, where: string): string {
  const parts: string[] = [];
  for (const key of dictKeys(dict)) {
    parts.push(`${encodeJsonString(key)}:${encodeValue(dict[key] ?? null, depth + 1, where)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * Write a value as Python 2's `json.dumps(value, separators=(',', ':'))`.
 * `where` names the value in errors. Throws {@link NodeDataError} for values
 * JSON cannot hold.
 */
export function stringifyPythonJson(value: PropertyValue, where = 'value'): string {
  return encodeValue(value, 0, where);
}

/** Write ordered entries as a JSON object (Python 2 `json.dumps` of a dict with that order). */
export function stringifyPythonJsonEntries(entries: Iterable<readonly [string, PropertyValue]>): string {
  const parts: string[] = [];
  for (const [key, value] of entries) {
    parts.push(`${encodeJsonString(key)}:${encodeValue(value, 1, `property ${JSON.stringify(key)}`)}`);
  }
  return `{${parts.join(',')}}`;
}
