import { addExtension, Packr, RESERVE_START_SPACE, Unpackr } from 'msgpackr';
import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { FRAME_HEADER_BYTES } from './frame-decoder.js';
import { sealFrame } from './frame-encoder.js';
import { describeType, messageFromTuple, messageToTuple, type ZeoMessage } from './message.js';
import { ZEO_ENCODINGS, type Marshaller } from './marshaller.js';
import { PyFloat, type ZeoValue } from './values.js';

/**
 * An integer outside the 32-bit range, on its way to the packer. msgpackr
 * writes such numbers as float 64 and bigints always as int 64 (`d3`),
 * where Python writes `uint 64` (`cf`) for positive values; this wrapper
 * lets the extension below write Python's bytes.
 */
class WideInt {
  constructor(readonly value: bigint) {}
}

/** What msgpackr hands an extension's `pack` to reserve room in its output. */
type AllocateForWrite = (size: number) => { target: Uint8Array; targetView: DataView; position: number };
type MsgpackrExtension = Parameters<typeof addExtension>[0];

/**
 * Registers a raw writer for `Class`. msgpackr's own built-ins write their
 * bytes through `allocateForWrite` and return nothing, which writes no
 * extension header; we do the same. The negative type number is required
 * by `addExtension` but can never be read back (the decoder looks type
 * bytes up as 0…255), so no decoder anywhere changes behaviour.
 */
function registerRawWriter<T>(Class: new (...args: never[]) => T, type: number, write: (value: T, allocate: AllocateForWrite) => void): void {
  const extension = {
    Class,
    type,
    pack(value: T, allocate: AllocateForWrite): undefined {
      write(value, allocate);
      return undefined;
    },
  };
  addExtension(extension as unknown as MsgpackrExtension);
}

registerRawWriter(WideInt, -101, (wide, allocate) => {
  const { targetView, position } = allocate(9);
  if (wide.value >= 0n) {
    targetView.setUint8(position, 0xcf);
    targetView.setBigUint64(position + 1, wide.value);
  } else {
    targetView.setUint8(position, 0xd3);
    targetView.setBigInt64(position + 1, wide.value);
  }
});

registerRawWriter(PyFloat, -102, (float, allocate) => {
  const { targetView, position } = allocate(9);
  targetView.setUint8(position, 0xcb);
  targetView.setFloat64(position + 1, float.value);
});

const INT32_MIN = -0x8000_0000;
const UINT32_MAX = 0xffff_ffff;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function unencodable(message: string): ProtocolError {
  return new ProtocolError(ZEO_ERROR_CODES.unencodable, message);
}

/**
 * Checks a value against the model and swaps the integers msgpackr would
 * write differently from Python for {@link WideInt}s. Containers are copied
 * only when something inside them changed.
 */
function prepare(value: ZeoValue): unknown {
  switch (typeof value) {
    case 'number':
      if (Number.isSafeInteger(value)) {
        if (value >= INT32_MIN && value <= UINT32_MAX) return Object.is(value, -0) ? new PyFloat(-0) : value;
        return new WideInt(BigInt(value));
      }
      return value; // a float: msgpackr writes float 64 like Python
    case 'bigint':
      if (value >= BigInt(INT32_MIN) && value <= BigInt(UINT32_MAX)) return Number(value);
      if (value < INT64_MIN || value > UINT64_MAX) throw unencodable(`integer ${value} does not fit in 64 bits`);
      return new WideInt(value);
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw unencodable(`cannot encode a ${typeof value} in a ZEO message`);
  }
  if (value === null || value instanceof Uint8Array || value instanceof PyFloat) return value;
  if (Array.isArray(value)) {
    const items = value as readonly ZeoValue[];
    let copy: unknown[] | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as ZeoValue;
      const prepared = prepare(item);
      if (prepared !== item && copy === undefined) copy = items.slice(0, i);
      if (copy !== undefined) copy.push(prepared);
    }
    return copy ?? value;
  }
  if (value instanceof Map) {
    let changed = false;
    const entries: [unknown, unknown][] = [];
    for (const [key, item] of value) {
      const k = prepare(key);
      const v = prepare(item);
      changed ||= k !== key || v !== item;
      entries.push([k, v]);
    }
    return changed ? new Map(entries) : value;
  }
  throw unencodable(`cannot encode a ${describeType(value)} in a ZEO message`);
}

function badMessage(message: string, cause?: unknown): ProtocolError {
  return new ProtocolError(ZEO_ERROR_CODES.badMessage, message, { cause });
}

/**
 * Brings a decoded value into the model: safe 64-bit integers become
 * numbers, and anything msgpack extensions may produce (dates, records …)
 * is refused. Arrays are fresh from the decoder and are fixed in place.
 */
function normalize(value: unknown): ZeoValue {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value;
    case 'bigint':
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    case 'object':
      break;
    default:
      throw badMessage(`msgpack payload holds a ${typeof value}, which ZEO never sends`);
  }
  if (value === null || value instanceof Uint8Array) return value as null | Uint8Array;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normalize(value[i]);
    return value as ZeoValue[];
  }
  if (value instanceof Map) {
    const map = new Map<ZeoValue, ZeoValue>();
    for (const [key, item] of value as Map<unknown, unknown>) map.set(normalize(key), normalize(item));
    return map;
  }
  throw badMessage(`msgpack payload holds a ${describeType(value)}, which ZEO never sends`);
}

/**
 * The `M` encoding: msgpack through msgpackr, configured to write what
 * Python's `msgpack.packb(message, use_bin_type=True)` writes (bytes as
 * bin, str as str, tuples and lists as arrays, dicts as maps, the smallest
 * integer type) and to read like `unpackb(raw=False, use_list=False)`.
 * Not safe for concurrent use by two encoders at once, which JavaScript's
 * single thread rules out.
 */
export class MsgpackMarshaller implements Marshaller {
  /** Always `msgpack`. */
  readonly encoding = ZEO_ENCODINGS.msgpack;
  readonly #packr = new Packr({ useRecords: false, mapsAsObjects: false, useFloat32: 0, moreTypes: false });
  readonly #unpackr = new Unpackr({ useRecords: false, mapsAsObjects: false, int64AsType: 'bigint' });

  /** The payload for `message`; throws `ProtocolError` `ZEO_UNENCODABLE` for values outside the model. */
  encode(message: ZeoMessage): Buffer {
    return this.#pack(message, 0);
  }

  /** Length prefix and payload in one buffer, written without a copy. */
  encodeFrame(message: ZeoMessage): Buffer {
    // msgpackr leaves the reserved bytes in front of the payload: no copy.
    return sealFrame(this.#pack(message, RESERVE_START_SPACE | FRAME_HEADER_BYTES));
  }

  /** The message in `payload` (bytes in it are views of `payload`); throws `ProtocolError` `ZEO_BAD_MESSAGE`. */
  decode(payload: Uint8Array): ZeoMessage {
    let raw: unknown;
    try {
      raw = this.#unpackr.unpack(payload);
    } catch (error) {
      throw badMessage(`cannot decode msgpack payload of ${payload.byteLength} bytes: ${(error as Error).message}`, error);
    }
    return messageFromTuple(normalize(raw));
  }

  #pack(message: ZeoMessage, options: number): Buffer {
    const value = prepare(messageToTuple(message, false));
    try {
      return this.#packr.pack(value, options);
    } catch (error) {
      throw new ProtocolError(ZEO_ERROR_CODES.unencodable, `cannot encode ${message.kind} message: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
