import { decodePickle } from '../../pickle/decode.js';
import { PickleEncoder } from '../../pickle/encode.js';
import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { encodeFrame } from './frame-encoder.js';
import { ZEO_ENCODINGS, type Marshaller } from './marshaller.js';
import { messageFromTuple, messageToTuple, type ZeoMessage } from './message.js';
import type { ZeoValue } from './values.js';

function refuseGlobal(module: string, name: string): never {
  // The reference server refuses most globals too; our value model has none.
  throw new ProtocolError(ZEO_ERROR_CODES.badMessage, `ZEO message refers to the global ${module}.${name}, which is not allowed`);
}

// The options type moves between the codec's files while it is being written; take it from the function.
const DECODE_OPTIONS: Parameters<typeof decodePickle>[1] = Object.freeze({ dicts: 'map', findClass: refuseGlobal });

/**
 * The `Z` encoding: every message one pickle, protocol 3, written in
 * Python's "fast mode" (no memo), as zodbpickle's C pickler writes it;
 * tuples ({@link Tuple}) and lists (plain arrays) stay apart. Decoding
 * accepts every opcode of protocols 0–3 (Python 2 peers included) but
 * refuses globals, so no Python object can be smuggled in.
 */
export class PickleMarshaller implements Marshaller {
  /** Always `pickle`. */
  readonly encoding = ZEO_ENCODINGS.pickle;
  readonly #encoder = new PickleEncoder({ protocol: 3, memoize: false });

  /** The payload for `message`; throws `ProtocolError` `ZEO_UNENCODABLE` for values outside the model. */
  encode(message: ZeoMessage): Buffer {
    try {
      return this.#encoder.dump(messageToTuple(message, true)).finish();
    } catch (error) {
      this.#encoder.finish(); // drop whatever a failed dump may have left
      throw new ProtocolError(ZEO_ERROR_CODES.unencodable, `cannot encode ${message.kind} message: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /**
   * Length prefix and payload in one buffer. (The pickle encoder cannot
   * reserve room for the prefix, so the payload is copied once.)
   */
  encodeFrame(message: ZeoMessage): Buffer {
    return encodeFrame(this.encode(message));
  }

  /** The message in `payload` (bytes in it are views of `payload`); throws `ProtocolError` `ZEO_BAD_MESSAGE`. */
  decode(payload: Uint8Array): ZeoMessage {
    const buffer = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    let value: unknown;
    try {
      value = decodePickle(buffer, DECODE_OPTIONS);
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      throw new ProtocolError(
        ZEO_ERROR_CODES.badMessage,
        `cannot decode pickle payload of ${payload.byteLength} bytes: ${(error as Error).message}`,
        { cause: error },
      );
    }
    // With dicts as Maps and globals refused, the decoder yields only model values.
    return messageFromTuple(value as ZeoValue);
  }
}
