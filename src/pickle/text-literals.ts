/**
 * The text arguments of protocol-0 opcodes (`INT`, `LONG`, `FLOAT`,
 * `STRING`, `UNICODE`, `GET`/`PUT`), parsed the way Python's unpickler
 * does. Each function throws a plain `Error` on bad input; the decoder
 * turns it into a `PickleError` with the opcode and offset.
 */
import { normalizeInt } from './long-bytes.js';

const INT_TEXT = /^\s*[+-]?(?:\d+|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+)\s*$/;

/** Python 3.11's default limit on decimal digits in `int(text)`, which also bounds the parsing time. */
const MAX_DIGITS = 4300;

/** `int(text, 0)`, with `LONG`'s optional trailing `L` removed by the caller. */
export function parseIntText(text: string): number | bigint {
  if (text.length > MAX_DIGITS + 2) throw new Error(`integer text longer than ${MAX_DIGITS} digits`);
  if (!INT_TEXT.test(text)) throw new Error(`not an integer: ${JSON.stringify(text.slice(0, 40))}`);
  const t = text.trim();
  const negative = t.startsWith('-');
  const digits = t.replace(/^[+-]/, '');
  const magnitude = BigInt(digits);
  return normalizeInt(negative ? -magnitude : magnitude);
}

const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|nan|inf|infinity)$/i;

/** `float(text)`. */
export function parseFloatText(text: string): number {
  const t = text.trim();
  if (!FLOAT_TEXT.test(t)) throw new Error(`not a float: ${JSON.stringify(text)}`);
  const lower = t.toLowerCase().replace(/^\+/, '');
  if (lower.endsWith('nan')) return NaN;
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(t);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = Object.freeze({
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
});

/**
 * The `STRING` argument: a quoted Python 2 `repr` of a byte string, e.g.
 * `'a\nb\x00'`, decoded like `codecs.escape_decode`.
 */
export function parseQuotedBytes(raw: Buffer): Buffer {
  const quote = raw[0];
  if (raw.length < 2 || (quote !== 0x27 && quote !== 0x22) || raw[raw.length - 1] !== quote) {
    throw new Error('the STRING argument must be quoted');
  }
  const out = Buffer.allocUnsafe(raw.length);
  let o = 0;
  const end = raw.length - 1;
  for (let i = 1; i < end; i++) {
    const c = raw[i] as number;
    if (c !== 0x5c || i + 1 >= end) {
      out[o++] = c;
      continue;
    }
    const e = String.fromCharCode(raw[++i] as number);
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) {
      out[o++] = simple;
    } else if (e === '\n') {
      // backslash-newline is a line continuation
    } else if (e === 'x') {
      const hex = raw.toString('latin1', i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`invalid \\x escape at position ${i - 1}`);
      out[o++] = parseInt(hex, 16);
      i += 2;
    } else if (e >= '0' && e <= '7') {
      let value = e.charCodeAt(0) - 0x30;
      for (let k = 0; k < 2 && i + 1 < end && raw[i + 1]! >= 0x30 && raw[i + 1]! <= 0x37; k++) {
        value = value * 8 + (raw[++i]! - 0x30);
      }
      out[o++] = value & 0xff;
    } else {
      // Unknown escapes stay as written.
      out[o++] = 0x5c;
      out[o++] = e.charCodeAt(0);
    }
  }
  return out.subarray(0, o);
}

/** The `UNICODE` argument: `raw-unicode-escape` (latin-1 bytes plus `\uXXXX` / `\UXXXXXXXX`). */
export function parseRawUnicodeEscape(raw: Buffer): string {
  const text = raw.toString('latin1');
  let s = '';
  let i = 0;
  while (i < text.length) {
    const slash = text.indexOf('\\', i);
    if (slash < 0) {
      s += text.slice(i);
      break;
    }
    // Only a backslash preceded by an even run of backslashes starts an escape.
    let run = slash;
    while (run < text.length && text[run] === '\\') run++;
    const count = run - slash;
    const marker = text[run];
    if (count % 2 === 1 && (marker === 'u' || marker === 'U')) {
      const width = marker === 'u' ? 4 : 8;
      const hex = text.slice(run + 1, run + 1 + width);
      if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) throw new Error(`truncated \\${marker} escape`);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw new Error(`\\U escape out of range`);
      s += text.slice(i, run - 1) + String.fromCodePoint(cp);
      i = run + 1 + width;
    } else {
      s += text.slice(i, run);
      i = run;
    }
  }
  return s;
}
