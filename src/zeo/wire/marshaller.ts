import type { ZeoMessage } from './message.js';

/** The two message encodings of ZEO 5, named by the handshake letter. */
export const ZEO_ENCODINGS = Object.freeze({
  /** `Z`: pickle protocol 3 in fast mode (the default). */
  pickle: 'pickle',
  /** `M`: msgpack, as `msgpack.packb(use_bin_type=True)` writes it. */
  msgpack: 'msgpack',
} as const);

/** One of the strings in {@link ZEO_ENCODINGS}. */
export type ZeoEncoding = (typeof ZEO_ENCODINGS)[keyof typeof ZEO_ENCODINGS];

/**
 * Turns messages into payloads and back, in one encoding. Implementations
 * write exactly the bytes the Python peers write for the same message.
 */
export interface Marshaller {
  /** The encoding this marshaller speaks. */
  readonly encoding: ZeoEncoding;
  /**
   * The payload for `message` (without the length prefix).
   * @throws ProtocolError `ZEO_UNENCODABLE` for values outside the value model.
   */
  encode(message: ZeoMessage): Buffer;
  /**
   * The whole frame for `message`: length prefix and payload in one buffer,
   * written without copying the payload where the encoder allows it.
   * @throws ProtocolError `ZEO_UNENCODABLE` for values outside the value model.
   */
  encodeFrame(message: ZeoMessage): Buffer;
  /**
   * The message in `payload`. Byte strings in the result may be views of
   * `payload`.
   * @throws ProtocolError `ZEO_BAD_MESSAGE` if it is not a valid message.
   */
  decode(payload: Uint8Array): ZeoMessage;
}
