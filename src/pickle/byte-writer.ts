/**
 * A growable output buffer for the encoder: one `Buffer` that doubles when
 * full, written through a cursor. No per-byte arrays, no concatenation.
 */
import { encodeUtf8SurrogatePass, isWellFormed } from './utf8.js';

const EMPTY = Buffer.alloc(0);

/** @internal The encoder's output buffer. */
export class ByteWriter {
  #buf: Buffer;
  #pos = 0;

  /** A writer whose first buffer holds `initialCapacity` bytes. */
  constructor(initialCapacity = 256) {
    this.#buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    const needed = this.#pos + n;
    if (needed <= this.#buf.length) return;
    let capacity = Math.max(this.#buf.length * 2, 256);
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.#buf.copy(grown, 0, 0, this.#pos);
    this.#buf = grown;
  }

  /** One byte. */
  byte(b: number): void {
    this.ensure(1);
    this.#buf[this.#pos++] = b;
  }

  /** Two bytes (an opcode and its 1-byte argument). */
  byte2(a: number, b: number): void {
    this.ensure(2);
    const buf = this.#buf;
    buf[this.#pos] = a;
    buf[this.#pos + 1] = b;
    this.#pos += 2;
  }

  /** An opcode followed by a 16-bit little-endian argument. */
  opUint16(op: number, v: number): void {
    this.ensure(3);
    this.#buf[this.#pos] = op;
    this.#buf.writeUInt16LE(v, this.#pos + 1);
    this.#pos += 3;
  }

  /** An opcode followed by a 32-bit little-endian argument. */
  opUint32(op: number, v: number): void {
    this.ensure(5);
    this.#buf[this.#pos] = op;
    this.#buf.writeUInt32LE(v, this.#pos + 1);
    this.#pos += 5;
  }

  /** An opcode followed by a signed 32-bit little-endian argument. */
  opInt32(op: number, v: number): void {
    this.ensure(5);
    this.#buf[this.#pos] = op;
    this.#buf.writeInt32LE(v, this.#pos + 1);
    this.#pos += 5;
  }

  /** An opcode followed by a big-endian double. */
  opDouble(op: number, v: number): void {
    this.ensure(9);
    this.#buf[this.#pos] = op;
    this.#buf.writeDoubleBE(v, this.#pos + 1);
    this.#pos += 9;
  }

  /** Raw bytes. */
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.#buf.set(src, this.#pos);
    this.#pos += src.length;
  }

  /** Latin-1 text (one byte per char); the caller checks the range. */
  /** UTF-8 text without a length prefix (`GLOBAL` arguments). */
  text(s: string): void {
    this.ensure(s.length * 3);
    this.#pos += this.#utf8At(s, this.#pos);
  }

  /** Drops everything after the first `length` bytes (undoing a failed dump). */
  truncate(length: number): void {
    if (length < this.#pos) this.#pos = length;
  }

  /**
   * Writes `op`, a 4-byte little-endian length and the UTF-8 bytes of `s`
   * (lone surrogates as `surrogatepass` writes them): `BINUNICODE`.
   */
  opUtf8WithLength(op: number, s: string): void {
    this.ensure(5 + s.length * 3);
    const buf = this.#buf;
    const start = this.#pos + 5;
    let n: number;
    if (s.length < 24) {
      n = asciiWrite(buf, s, start);
      if (n < 0) n = this.#utf8At(s, start);
    } else {
      n = this.#utf8At(s, start);
    }
    buf[this.#pos] = op;
    buf.writeUInt32LE(n, this.#pos + 1);
    this.#pos = start + n;
  }

  #utf8At(s: string, at: number): number {
    return isWellFormed(s) ? this.#buf.write(s, at, 'utf8') : encodeUtf8SurrogatePass(s, this.#buf, at);
  }

  /** The bytes written as a view of the internal buffer, which the writer gives up (it allocates anew on the next write). */
  takeView(): Buffer {
    const out = this.#buf.subarray(0, this.#pos);
    this.#buf = EMPTY;
    this.#pos = 0;
    return out;
  }
}

/** Writes `s` if it is all ASCII and returns its length, else returns −1 (nothing usable written). */
function asciiWrite(buf: Buffer, s: string, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    buf[at + i] = c;
  }
  return s.length;
}
