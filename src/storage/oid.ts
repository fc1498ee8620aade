/**
 * Object ids and transaction ids: 8-byte big-endian unsigned integers kept
 * as Buffers, with the conversions the rest of zkzeo needs.
 */
import { InvalidArgumentError } from '../errors.js';

/** An object id: exactly 8 bytes, big-endian unsigned. */
export type Oid = Buffer;

/** A transaction id (also an object revision's serial): 8 bytes, see `timestamp.ts`. */
export type Tid = Buffer;

/**
 * A compact map key for an oid: a `number` when the oid fits in 53 bits
 * (always, in practice), a `bigint` beyond. One oid always yields the same
 * key, so the two kinds never mix for the same oid.
 */
export type OidKey = number | bigint;

/** Eight zero bytes: the root object's oid, and the "no transaction" tid. */
export const z64: Buffer = Buffer.alloc(8);

/** `7fff…ff`: the tid meaning "the end of time" in `loadBefore(oid, maxTid)`. */
export const maxTid: Buffer = Buffer.from('7fffffffffffffff', 'hex');

const MAX_U64 = (1n << 64n) - 1n;
// 2^53 / 2^32: high words below this give keys that are safe integers.
const SAFE_HIGH_LIMIT = 0x200000;

function checkId(id: Buffer, what: string): void {
  if (!Buffer.isBuffer(id) || id.length !== 8) {
    throw new InvalidArgumentError(`${what} must be an 8-byte Buffer, got ${describeValue(id)}`);
  }
}

function describeValue(value: unknown): string {
  if (Buffer.isBuffer(value)) return `${value.length} bytes`;
  return typeof value;
}

/** Packs an unsigned 64-bit integer into 8 big-endian bytes (Python's `p64`). */
export function p64(value: bigint | number): Buffer {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError(`p64: ${value} is not a safe integer`);
  }
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n < 0n || n > MAX_U64) throw new InvalidArgumentError(`p64: ${n} is outside 0..2^64-1`);
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(n, 0);
  return out;
}

/** Unpacks 8 big-endian bytes into a bigint (Python's `u64`). */
export function u64(id: Buffer): bigint {
  checkId(id, 'u64 argument');
  return id.readBigUInt64BE(0);
}

/** The 16 lowercase hex digits of an id, e.g. `0000000000000001`. */
export function idToHex(id: Buffer): string {
  checkId(id, 'id');
  return id.toString('hex');
}

/** Parses 1–16 hex digits (an optional `0x` prefix allowed) into an 8-byte id. */
export function idFromHex(hex: string): Buffer {
  const digits = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (!/^[0-9a-fA-F]{1,16}$/.test(digits)) {
    throw new InvalidArgumentError(`not an 8-byte hex id: ${JSON.stringify(hex)}`);
  }
  return p64(BigInt(`0x${digits}`));
}

/**
 * ZODB's `oid_repr`/`tid_repr`: `0x` and the hex digits without leading zero
 * bytes, e.g. oid 1 → `0x01`, oid 0 → `0x00`.
 */
export function idRepr(id: Buffer): string {
  checkId(id, 'id');
  let start = 0;
  while (start < 7 && id[start] === 0) start++;
  return `0x${id.toString('hex', start)}`;
}

/** Compares two ids as unsigned big-endian numbers: negative, 0 or positive. */
export function compareIds(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** The map key of an id; see {@link OidKey}. */
export function oidKey(id: Buffer, offset = 0): OidKey {
  const high = id.readUInt32BE(offset);
  if (high < SAFE_HIGH_LIMIT) return high * 0x1_0000_0000 + id.readUInt32BE(offset + 4);
  return id.readBigUInt64BE(offset);
}

/** The id a key was made from (the inverse of {@link oidKey}). */
export function oidFromKey(key: OidKey): Oid {
  return p64(key);
}
