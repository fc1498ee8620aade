/**
 * A parser for the Python 2 literals zc.zk tree text uses as property values
 * (`threads = 3`, `address = u'1.2.3.4:80'`). zc.zk `eval`s the text; this
 * reads only literals, with Python 2 semantics, and never evaluates code:
 *
 * - strings with any Python 2 prefix (`u`, `b`, `r`, `ur`, `br`, any case),
 *   single, double or triple quoted, adjacent literals concatenated;
 *   Python 2 escapes (`\u` only in unicode literals; `\N{…}` unsupported).
 *   Byte strings become JS strings when they are UTF-8 (as `json.dumps`
 *   decodes them) and `Uint8Array`s otherwise;
 * - integers (decimal, `0x`, `0o`, `0b`, legacy octal `017`, `L` suffix),
 *   as `number` when safe and `bigint` beyond; floats; unary `-`, `+`, `~`;
 * - `True`, `False`, `None`; lists, tuples (→ arrays), dicts (keys converted
 *   to strings as `json.dumps` does); `#` comments;
 * - `inf` and `nan`, which zc.zk's export writes for such floats, so that its
 *   output reads back (Python's `eval` does not know them).
 *
 * Sets and complex numbers are refused because zc.zk could not store them.
 */
import { PythonLiteralError } from './errors.js';
import {
  PythonFloat,
  type PropertyValue,
  floatValue,
  integerValue,
  keepDictOrder,
  setDictEntry,
} from './property-value.js';
import { formatFloatRepr } from './python-repr.js';

const MAX_DEPTH = 200;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

const STRING_START = /(?:[uU][rR]?|[bB][rR]?|[rR])?(?:'|")/y;
const HEX_INT = /0[xX][0-9a-fA-F]+[lL]?/y;
const OCT_INT = /0[oO][0-7]+[lL]?/y;
const BIN_INT = /0[bB][01]+[lL]?/y;
const FLOAT = /(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?[jJ]?|\d+[eE][+-]?\d+[jJ]?/y;
const DEC_INT = /\d+(?:[lL]|[jJ])?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const OCTAL_DIGITS = /[0-7]{1,3}/y;

/** A string literal's content before concatenation: text, or bytes as a latin-1 string. */
interface StringPart {
  readonly unicode: boolean;
  readonly text: string;
}

function utf8Latin1(ch: string): string {
  return Buffer.from(ch, 'utf8').toString('latin1');
}

function decodeBytes(latin1: string): string | Uint8Array {
  const bytes = Buffer.from(latin1, 'latin1');
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return new Uint8Array(bytes);
  }
}

function isNumeric(value: PropertyValue): value is number | bigint | PythonFloat {
  return typeof value === 'number' || typeof value === 'bigint' || value instanceof PythonFloat;
}

/**
 * The JSON key Python 2.7's (C) `json.dumps` makes of a dict key, or
 * undefined if it has none. Booleans are ints there, hence `"True"`.
 */
function dictKey(key: PropertyValue): string | undefined {
  if (typeof key === 'string') return key;
  if (key === true) return 'True';
  if (key === false) return 'False';
  if (key === null) return 'null';
  if (typeof key === 'bigint') return `${key}`;
  if (typeof key === 'number') {
    if (Number.isSafeInteger(key)) return `${key}`;
    if (Number.isNaN(key)) return 'NaN';
    if (!Number.isFinite(key)) return key > 0 ? 'Infinity' : '-Infinity';
    return formatFloatRepr(key);
  }
  if (key instanceof PythonFloat) return formatFloatRepr(key.value);
  return undefined;
}

class LiteralReader {
  readonly #text: string;
  #pos = 0;
  #depth = 0;

  constructor(text: string) {
    this.#text = text;
  }

  fail(reason: string, at = this.#pos): never {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < this.#text.length; i++) {
      if (this.#text.charCodeAt(i) === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    throw new PythonLiteralError(reason, line, at - lineStart + 1);
  }

  /** Skip blanks and comments; newlines only inside brackets (implicit line joining). */
  skipBlanks(): void {
    const text = this.#text;
    while (this.#pos < text.length) {
      const ch = text[this.#pos];
      if (ch === ' ' || ch === '\t' || ch === '\f' || ch === '\r') this.#pos++;
      else if (ch === '\n' && this.#depth > 0) this.#pos++;
      else if (ch === '#') {
        const end = text.indexOf('\n', this.#pos);
        this.#pos = end < 0 ? text.length : end;
      } else break;
    }
  }

  #match(re: RegExp): string | undefined {
    re.lastIndex = this.#pos;
    const m = re.exec(this.#text);
    return m ? m[0] : undefined;
  }

  #peek(): string | undefined {
    return this.#text[this.#pos];
  }

  /** Whole input: one expression or a bare tuple, then only blanks and comments. */
  readTop(): PropertyValue {
    this.skipBlanks();
    if (this.#pos >= this.#text.length) this.fail('expected a value');
    const value = this.#readTestList(undefined);
    this.skipBlanks();
    while (this.#peek() === '\n') {
      this.#pos++;
      this.skipBlanks();
    }
    if (this.#pos < this.#text.length) this.fail(`unexpected ${JSON.stringify(this.#peek())} after the value`);
    return value;
  }

  /** `a` or `a, b, …` (a tuple) up to `close` (or the end of input at top level). */
  #readTestList(close: string | undefined): PropertyValue {
    const first = this.#readValue();
    this.skipBlanks();
    if (this.#peek() !== ',') return first;
    const items: PropertyValue[] = [first];
    while (this.#peek() === ',') {
      this.#pos++;
      this.skipBlanks();
      const next = this.#peek();
      if (next === undefined || next === close || (close === undefined && (next === '\n' || next === '#'))) break;
      items.push(this.#readValue());
      this.skipBlanks();
    }
    return items;
  }

  #readValue(): PropertyValue {
    this.skipBlanks();
    const start = this.#pos;
    const ch = this.#peek();
    if (ch === undefined) this.fail('unexpected end of input, expected a value');
    if (ch === '-' || ch === '+' || ch === '~') return this.#readUnary(ch);
    if (ch === '[') return this.#nested(() => this.#readList());
    if (ch === '(') return this.#nested(() => this.#readParens());
    if (ch === '{') return this.#nested(() => this.#readBraces());
    if (this.#match(STRING_START) !== undefined) return this.#readStrings();
    if ((ch >= '0' && ch <= '9') || (ch === '.' && /[0-9]/.test(this.#text[start + 1] ?? ''))) {
      return this.#readNumber();
    }
    const name = this.#match(NAME);
    if (name !== undefined) {
      this.#pos += name.length;
      if (name === 'True') return true;
      if (name === 'False') return false;
      if (name === 'None') return null;
      // What zc.zk's export writes for infinities and NaN (Python's eval would refuse them).
      if (name === 'inf') return Infinity;
      if (name === 'nan') return NaN;
      this.fail(`${name} is not a literal (only strings, numbers, True, False, None, lists, tuples and dicts are)`, start);
    }
    this.fail(`unexpected ${JSON.stringify(ch)}, expected a value`);
  }

  #nested(read: () => PropertyValue): PropertyValue {
    if (++this.#depth > MAX_DEPTH) this.fail('value nested too deeply');
    this.#pos++; // the opening bracket; readers find it at #pos - 1
    const value = read();
    this.#depth--;
    return value;
  }

  #readUnary(op: string): PropertyValue {
    const start = this.#pos;
    this.#pos++;
    const operand = this.#readValue();
    if (!isNumeric(operand)) this.fail(`unary ${op} applies only to numbers`, start);
    if (op === '+') return operand;
    if (op === '~') {
      if (typeof operand === 'bigint') return integerValue(-operand - 1n);
      if (typeof operand === 'number' && Number.isSafeInteger(operand)) return integerValue(-BigInt(operand) - 1n);
      this.fail('unary ~ applies only to integers', start);
    }
    if (typeof operand === 'bigint') return integerValue(-operand);
    if (operand instanceof PythonFloat) return new PythonFloat(-operand.value);
    return Number.isSafeInteger(operand) ? integerValue(-BigInt(operand)) : -operand;
  }

  #expectClose(close: string, open: number): void {
    this.skipBlanks();
    if (this.#peek() !== close) {
      if (this.#pos >= this.#text.length) this.fail(`unterminated ${this.#text[open]}…${close}`, open);
      this.fail(`expected ${JSON.stringify(close)} or ",", got ${JSON.stringify(this.#peek())}`);
    }
    this.#pos++;
  }

  #readList(): PropertyValue {
    const open = this.#pos - 1;
    const items: PropertyValue[] = [];
    this.skipBlanks();
    while (this.#peek() !== ']') {
      if (this.#pos >= this.#text.length) this.fail('unterminated [', open);
      items.push(this.#readValue());
      this.skipBlanks();
      if (this.#peek() !== ',') break;
      this.#pos++;
      this.skipBlanks();
    }
    this.#expectClose(']', open);
    return items;
  }

  #readParens(): PropertyValue {
    const open = this.#pos - 1;
    this.skipBlanks();
    if (this.#peek() === ')') {
      this.#pos++;
      return [];
    }
    if (this.#pos >= this.#text.length) this.fail('unterminated (', open);
    const value = this.#readTestList(')');
    this.#expectClose(')', open);
    return value;
  }

  #readBraces(): PropertyValue {
    const open = this.#pos - 1;
    const dict: Record<string, PropertyValue> = {};
    const order: string[] = [];
    this.skipBlanks();
    let first = true;
    while (this.#peek() !== '}') {
      if (this.#pos >= this.#text.length) this.fail('unterminated {', open);
      const keyStart = this.#pos;
      const key = this.#readValue();
      this.skipBlanks();
      if (this.#peek() !== ':') {
        if (first && (this.#peek() === ',' || this.#peek() === '}')) {
          this.fail('sets cannot be stored as JSON', open);
        }
        this.fail(`expected ":" after a dict key, got ${JSON.stringify(this.#peek() ?? 'end of input')}`);
      }
      first = false;
      this.#pos++;
      const value = this.#readValue();
      const jsonKey = dictKey(key);
      if (jsonKey === undefined) this.fail('dict keys must be strings, numbers, True, False or None', keyStart);
      if (!Object.hasOwn(dict, jsonKey)) order.push(jsonKey);
      setDictEntry(dict, jsonKey, value);
      this.skipBlanks();
      if (this.#peek() !== ',') break;
      this.#pos++;
      this.skipBlanks();
    }
    this.#expectClose('}', open);
    keepDictOrder(dict, order);
    return dict;
  }

  #readNumber(): PropertyValue {
    const start = this.#pos;
    let text = this.#match(HEX_INT) ?? this.#match(OCT_INT) ?? this.#match(BIN_INT);
    if (text === undefined) {
      text = this.#match(FLOAT);
      if (text !== undefined) {
        this.#pos += text.length;
        if (/[jJ]$/.test(text)) this.fail('complex numbers cannot be stored as JSON', start);
        return floatValue(Number(text));
      }
      text = this.#match(DEC_INT) ?? '';
    }
    this.#pos += text.length;
    if (/[jJ]$/.test(text)) this.fail('complex numbers cannot be stored as JSON', start);
    let digits = text.replace(/[lL]$/, '');
    if (/^0[0-9]/.test(digits)) {
      // Python 2: a leading zero means octal.
      if (!/^0[0-7]+$/.test(digits)) this.fail(`invalid octal integer ${digits}`, start);
      digits = `0o${digits.slice(1)}`;
    }
    return integerValue(BigInt(digits));
  }

  /** One or more adjacent string literals, concatenated. */
  #readStrings(): PropertyValue {
    const parts: StringPart[] = [];
    do {
      parts.push(this.#readString());
      this.skipBlanks();
    } while (this.#match(STRING_START) !== undefined);
    if (parts.some((p) => p.unicode)) {
      let text = '';
      for (const part of parts) {
        if (part.unicode) text += part.text;
        else {
          const decoded = decodeBytes(part.text);
          if (typeof decoded !== 'string') this.fail('byte string is not UTF-8 and cannot be joined to a unicode string');
          text += decoded;
        }
      }
      return text;
    }
    return decodeBytes(parts.map((p) => p.text).join(''));
  }

  #readString(): StringPart {
    const text = this.#text;
    const start = this.#pos;
    let prefix = '';
    while (text[this.#pos] !== "'" && text[this.#pos] !== '"') prefix += (text[this.#pos++] ?? '').toLowerCase();
    const unicode = prefix.includes('u');
    const raw = prefix.includes('r');
    const q = text[this.#pos] ?? "'";
    const triple = text.startsWith(q.repeat(3), this.#pos);
    const quote = triple ? q.repeat(3) : q;
    this.#pos += quote.length;
    let out = '';
    for (;;) {
      if (this.#pos >= text.length) this.fail('unterminated string literal', start);
      if (text.startsWith(quote, this.#pos)) {
        this.#pos += quote.length;
        return { unicode, text: out };
      }
      const ch = String.fromCodePoint(text.codePointAt(this.#pos) ?? 0);
      if (ch === '\n' && !triple) this.fail('unterminated string literal', start);
      if (ch !== '\\') {
        out += unicode ? ch : utf8Latin1(ch);
        this.#pos += ch.length;
        continue;
      }
      out += raw ? this.#rawEscape(unicode) : this.#escape(unicode);
    }
  }

  /** In a raw literal a backslash stays; `ur''` still decodes `\uXXXX` after an odd run of backslashes. */
  #rawEscape(unicode: boolean): string {
    const text = this.#text;
    let run = 0;
    while (text[this.#pos + run] === '\\') run++;
    const after = text[this.#pos + run];
    if (unicode && run % 2 === 1 && (after === 'u' || after === 'U')) {
      const head = '\\'.repeat(run - 1);
      this.#pos += run - 1;
      return head + this.#escape(true);
    }
    // An escaped quote or backslash does not end the literal; both characters stay.
    this.#pos += run;
    let kept = '\\'.repeat(run);
    if (run % 2 === 1 && after !== undefined && after !== '\n') {
      kept += after;
      this.#pos += after.length;
    }
    return unicode ? kept : kept.split('').map(utf8Latin1).join('');
  }

  /** Decode one escape at the backslash; returns text (unicode) or latin-1 bytes. */
  #escape(unicode: boolean): string {
    const text = this.#text;
    const at = this.#pos;
    const c = text[at + 1];
    this.#pos += 2;
    const char = (code: number): string => (unicode ? String.fromCodePoint(code) : String.fromCharCode(code & 0xff));
    switch (c) {
      case undefined:
        this.fail('unterminated string literal', at);
        break;
      case '\n':
        return '';
      case '\\':
      case "'":
      case '"':
        return c;
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'v':
        return '\v';
      case 'x': {
        const hex = /^[0-9a-fA-F]{2}/.exec(text.slice(at + 2, at + 4));
        if (!hex) this.fail('invalid \\x escape (needs two hex digits)', at);
        this.#pos += 2;
        return char(parseInt(hex[0], 16));
      }
      case 'u':
      case 'U': {
        if (!unicode) break;
        const width = c === 'u' ? 4 : 8;
        const hex = text.slice(at + 2, at + 2 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) this.fail(`truncated \\${c} escape`, at);
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) this.fail(`\\${c}${hex} is not a Unicode character`, at);
        this.#pos += width;
        return String.fromCodePoint(code);
      }
      case 'N':
        if (unicode) this.fail('\\N{…} escapes are not supported; use \\u or \\U', at);
        break;
      default:
        if (c >= '0' && c <= '7') {
          OCTAL_DIGITS.lastIndex = at + 1;
          const digits = OCTAL_DIGITS.exec(text)?.[0] ?? c;
          this.#pos = at + 1 + digits.length;
          return char(parseInt(digits, 8));
        }
    }
    // Unknown escapes keep the backslash, as in Python.
    this.#pos = at + 1;
    return '\\';
  }
}

/**
 * Parse one Python 2 literal (see the module description). Blanks and a
 * trailing `# comment` are allowed around it; newlines only inside brackets.
 * Throws {@link PythonLiteralError} with the 1-based line and column.
 */
export function parsePythonLiteral(text: string): PropertyValue {
  return new LiteralReader(text).readTop();
}
