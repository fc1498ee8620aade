/**
 * Python ints as the `LONG1`/`LONG4` opcodes store them: little-endian
 * two's complement in the fewest bytes that keep the sign.
 */

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

/** A bigint as a number when it is a safe integer, else unchanged (the codec's int rule). */
export function normalizeInt(value: bigint): number | bigint {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

/**
 * Reads `length` bytes at `start` as a little-endian two's-complement
 * integer. Values that fit a safe integer come back as numbers.
 */
export function readLong(buf: Buffer, start: number, length: number): number | bigint {
  if (length === 0) return 0;
  if (length <= 6) return buf.readIntLE(start, length);
  if (length === 8) return normalizeInt(buf.readBigInt64LE(start));
  // Any other width: through hex, most significant byte first.
  let hex = '';
  for (let i = start + length - 1; i >= start; i--) hex += (buf[i] as number).toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if ((buf[start + length - 1] as number) & 0x80) value -= 1n << BigInt(length * 8);
  return normalizeInt(value);
}

/** The byte count `LONG1`/`LONG4` use for `value` (Python's `encode_long`). */
export function longByteLength(value: bigint): number {
  if (value === 0n) return 0;
  const magnitude = value < 0n ? -value - 1n : value;
  const bits = magnitude === 0n ? 0 : magnitude.toString(2).length;
  return (bits >> 3) + 1;
}

/**
 * Writes `value` as `length` little-endian two's-complement bytes into
 * `out` at `offset` (`length` from {@link longByteLength}).
 */
export function writeLong(out: Buffer, offset: number, value: bigint, length: number): void {
  if (length <= 8) {
    // Two's complement in 64 bits, then keep the low `length` bytes.
    const scratch = Buffer.allocUnsafe(8);
    scratch.writeBigUInt64LE(BigInt.asUintN(64, value));
    scratch.copy(out, offset, 0, length);
    return;
  }
  const unsigned = value < 0n ? value + (1n << BigInt(length * 8)) : value;
  const hex = unsigned.toString(16).padStart(length * 2, '0');
  for (let i = 0; i < length; i++) {
    const at = hex.length - 2 * (i + 1);
    out[offset + i] = parseInt(hex.slice(at, at + 2), 16);
  }
}
