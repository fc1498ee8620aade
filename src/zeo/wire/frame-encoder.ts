import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { FRAME_HEADER_BYTES } from './frame-decoder.js';

const MAX_WIRE_LENGTH = 0xffff_ffff;

function checkLength(length: number): void {
  if (length < 1 || length > MAX_WIRE_LENGTH) {
    throw new ProtocolError(ZEO_ERROR_CODES.unencodable, `a ZEO payload must be 1 to ${MAX_WIRE_LENGTH} bytes, got ${length}`);
  }
}

/** The 4-byte big-endian length prefix for a payload of `payloadLength` bytes. */
export function frameHeader(payloadLength: number): Buffer {
  checkLength(payloadLength);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payloadLength, 0);
  return header;
}

/**
 * The frame as two buffers, length prefix and payload, for a vectored write
 * (`socket.cork()`, two `write`s, `socket.uncork()`): the payload is not copied.
 */
export function frameParts(payload: Uint8Array): [header: Buffer, payload: Uint8Array] {
  return [frameHeader(payload.byteLength), payload];
}

/** The frame as one new buffer: length prefix and a copy of the payload. */
export function encodeFrame(payload: Uint8Array): Buffer {
  checkLength(payload.byteLength);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.byteLength);
  frame.writeUInt32BE(payload.byteLength, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Fills in the length prefix of a frame whose payload was written after
 * {@link FRAME_HEADER_BYTES} reserved bytes (how encoders avoid a copy).
 * Returns the same buffer.
 */
export function sealFrame(frame: Buffer): Buffer {
  const payloadLength = frame.length - FRAME_HEADER_BYTES;
  checkLength(payloadLength);
  frame.writeUInt32BE(payloadLength, 0);
  return frame;
}
