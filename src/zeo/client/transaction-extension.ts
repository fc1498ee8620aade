/**
 * A transaction's extension (extended info) as the storage interface keeps
 * it (a pickled dict) and as ZEO sends it (the dict itself, inside the
 * message).
 */
import { decodePickle } from '../../pickle/decode.js';
import { encodePickle } from '../../pickle/encode.js';
import { PyFloat } from '../../pickle/values.js';
import type { ZeoValue } from '../wire/values.js';

function isWireValue(value: unknown): value is ZeoValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'bigint':
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null || value instanceof Uint8Array || value instanceof PyFloat) return true;
  if (Array.isArray(value)) return value.every(isWireValue);
  if (value instanceof Map) {
    for (const [k, v] of value as Map<unknown, unknown>) if (!isWireValue(k) || !isWireValue(v)) return false;
    return true;
  }
  return false;
}

/**
 * The `extension` argument of `tpc_begin` for a pickled extension: the
 * dict (`{}` for none), as Python's ClientStorage sends it. A pickle
 * holding what a ZEO message cannot carry (class instances, e.g. a
 * `datetime`) is sent as the pickle bytes, which the server takes as an
 * extension already pickled.
 */
export function extensionToWire(pickled: Buffer): ZeoValue {
  if (pickled.length === 0) return new Map<ZeoValue, ZeoValue>();
  let value: unknown;
  try {
    value = decodePickle(pickled, { dicts: 'map' });
  } catch {
    return pickled;
  }
  return value instanceof Map && isWireValue(value) ? value : pickled;
}

/** Pickles extension items (as `history` returns them merged into its dicts) into the storage interface's form. */
export function extensionFromItems(items: ReadonlyMap<ZeoValue, ZeoValue>): Buffer {
  return items.size === 0 ? Buffer.alloc(0) : encodePickle(items, { protocol: 3 });
}
