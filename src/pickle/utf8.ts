/**
 * UTF-8 the way pickle uses it: Python writes and reads `str` with the
 * `surrogatepass` error handler, so a lone surrogate (`'\ud800'`) is the
 * three bytes `ed a0 80` rather than an error or U+FFFD.
 */

/** Thrown by {@link decodeUtf8} for bytes that are not (surrogate-tolerant) UTF-8; callers add the offset. */
export class Utf8Error extends Error {}

/**
 * Decodes `buf[start, end)`. Node's decoder handles well-formed input;
 * only when it had to substitute U+FFFD is the input checked again byte by
 * byte, to accept encoded surrogates and reject really invalid bytes.
 */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  if (end - start < 24) {
    // Short ASCII strings (attribute names, dict keys) are faster in JS.
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c >= 0x80) return decodeUtf8Slow(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeUtf8Slow(buf, start, end);
}

function decodeUtf8Slow(buf: Buffer, start: number, end: number): string {
  const s = buf.toString('utf8', start, end);
  return s.includes('\ufffd') ? decodeUtf8Strict(buf, start, end) : s;
}

function continuation(buf: Buffer, i: number, end: number): number {
  const c = i < end ? (buf[i] as number) : -1;
  if ((c & 0xc0) !== 0x80) throw new Utf8Error(`invalid UTF-8 continuation byte at +${i}`);
  return c & 0x3f;
}

function decodeUtf8Strict(buf: Buffer, start: number, end: number): string {
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    let cp: number;
    if (c < 0x80) {
      cp = c;
      i += 1;
    } else if (c >= 0xc2 && c < 0xe0) {
      cp = ((c & 0x1f) << 6) | continuation(buf, i + 1, end);
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0) {
      cp = ((c & 0x0f) << 12) | (continuation(buf, i + 1, end) << 6) | continuation(buf, i + 2, end);
      if (cp < 0x800) throw new Utf8Error(`overlong UTF-8 sequence at +${i - start}`);
      i += 3;
    } else if (c >= 0xf0 && c < 0xf5) {
      cp =
        ((c & 0x07) << 18) |
        (continuation(buf, i + 1, end) << 12) |
        (continuation(buf, i + 2, end) << 6) |
        continuation(buf, i + 3, end);
      if (cp < 0x10000 || cp > 0x10ffff) throw new Utf8Error(`invalid UTF-8 sequence at +${i - start}`);
      i += 4;
    } else {
      throw new Utf8Error(`invalid UTF-8 start byte 0x${c.toString(16)} at +${i - start}`);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff));
    } else {
      units.push(cp);
    }
  }
  let s = '';
  for (let k = 0; k < units.length; k += 4096) s += String.fromCharCode(...units.slice(k, k + 4096));
  return s;
}

type MaybeWellFormed = { isWellFormed?: () => boolean };

/** Whether `s` has no lone surrogates, i.e. Node's UTF-8 encoder writes it exactly. */
export function isWellFormed(s: string): boolean {
  const native = (s as unknown as MaybeWellFormed).isWellFormed;
  if (native) return native.call(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = s.charCodeAt(i + 1);
    if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/**
 * Encodes `s` (which has lone surrogates) with `surrogatepass` into `out`
 * at `offset`; returns the byte count. `out` must have `3 * s.length`
 * bytes free.
 */
export function encodeUtf8SurrogatePass(s: string, out: Buffer, offset: number): number {
  let o = offset;
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < s.length) {
      const low = s.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (cp < 0x80) {
      out[o++] = cp;
    } else if (cp < 0x800) {
      out[o++] = 0xc0 | (cp >> 6);
      out[o++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[o++] = 0xe0 | (cp >> 12);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    } else {
      out[o++] = 0xf0 | (cp >> 18);
      out[o++] = 0x80 | ((cp >> 12) & 0x3f);
      out[o++] = 0x80 | ((cp >> 6) & 0x3f);
      out[o++] = 0x80 | (cp & 0x3f);
    }
  }
  return o - offset;
}
