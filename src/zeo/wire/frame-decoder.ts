import { InvalidArgumentError } from '../../errors.js';
import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';

/** Bytes of the big-endian length that precedes every ZEO payload. */
export const FRAME_HEADER_BYTES = 4;

/**
 * The largest payload a {@link FrameDecoder} accepts unless told otherwise:
 * 256 MiB. The protocol itself allows up to 4 GiB - 1; Python's ZEO has no
 * limit, so a database with larger records needs a larger setting.
 */
export const DEFAULT_MAX_FRAME_BYTES = 256 * 1024 * 1024;

/** The largest length the 4-byte prefix can express. */
const MAX_WIRE_LENGTH = 0xffff_ffff;

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * The largest payload accepted, in bytes; a longer announced length is a
   * {@link ProtocolError} with code `ZEO_FRAME_TOO_LARGE`.
   * @defaultValue {@link DEFAULT_MAX_FRAME_BYTES}
   */
  readonly maxFrameBytes?: number;
}

/**
 * Splits a byte stream into ZEO payloads (4-byte big-endian length, then
 * that many bytes). Whole frames inside a chunk are returned as views of
 * the chunk, without copying; only a frame that straddles chunks is copied,
 * once, when its last byte arrives. So the chunks handed to {@link push}
 * must not be modified afterwards (socket chunks never are).
 *
 * After a {@link ProtocolError} the decoder stays failed: every later
 * {@link push} throws the same error, since the stream cannot be resynced.
 */
export class FrameDecoder {
  readonly #maxFrameBytes: number;
  /** Header bytes carried over from the previous chunk (0 to 3 used). */
  readonly #header = Buffer.alloc(FRAME_HEADER_BYTES);
  #headerFilled = 0;
  /** Payload length of the frame being assembled across chunks, or -1. */
  #bodyLength = -1;
  /** Views of the received parts of that frame; copied once on completion. */
  #parts: Buffer[] = [];
  #partsBytes = 0;
  #failure: ProtocolError | undefined;

  /** @throws InvalidArgumentError if `maxFrameBytes` is not an integer in 1 … 2^32 - 1. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_WIRE_LENGTH) {
      throw new InvalidArgumentError(`maxFrameBytes must be an integer from 1 to ${MAX_WIRE_LENGTH}, got ${max}`);
    }
    this.#maxFrameBytes = max;
  }

  /** The configured maximum payload size in bytes. */
  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  /** Bytes received that belong to a frame not yet complete (length prefix included). */
  get pendingBytes(): number {
    return this.#bodyLength >= 0 ? FRAME_HEADER_BYTES + this.#partsBytes : this.#headerFilled;
  }

  /**
   * Feeds one chunk of the stream and returns the payloads it completed,
   * in order (possibly none).
   * @throws ProtocolError `ZEO_FRAME_TOO_LARGE` or `ZEO_BAD_FRAME_LENGTH`
   *   when a length prefix is unacceptable.
   */
  push(chunk: Uint8Array): Buffer[] {
    if (this.#failure !== undefined) throw this.#failure;
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const frames: Buffer[] = [];
    const end = data.length;
    let offset = 0;

    if (this.#bodyLength >= 0) {
      offset = this.#continueBody(data, frames);
    } else if (this.#headerFilled > 0) {
      const take = Math.min(FRAME_HEADER_BYTES - this.#headerFilled, end);
      data.copy(this.#header, this.#headerFilled, 0, take);
      this.#headerFilled += take;
      offset = take;
      if (this.#headerFilled < FRAME_HEADER_BYTES) return frames;
      this.#headerFilled = 0;
      this.#startBody(this.#checkedLength(this.#header.readUInt32BE(0)));
      offset = this.#continueBody(data.subarray(offset), frames) + offset;
    }

    // The common case: whole frames inside this chunk, returned as views.
    while (offset + FRAME_HEADER_BYTES <= end) {
      const length = this.#checkedLength(data.readUInt32BE(offset));
      const start = offset + FRAME_HEADER_BYTES;
      if (start + length > end) {
        this.#startBody(length);
        this.#continueBody(data.subarray(start), frames);
        return frames;
      }
      frames.push(data.subarray(start, start + length));
      offset = start + length;
    }
    if (offset < end) {
      data.copy(this.#header, 0, offset, end);
      this.#headerFilled = end - offset;
    }
    return frames;
  }

  /**
   * Tells the decoder the stream has ended.
   * @throws ProtocolError `ZEO_TRUNCATED_FRAME` if part of a frame is still pending.
   */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    const pending = this.pendingBytes;
    if (pending > 0) {
      const detail =
        this.#bodyLength >= 0
          ? `${this.#partsBytes} of ${this.#bodyLength} payload bytes`
          : `${this.#headerFilled} of ${FRAME_HEADER_BYTES} length bytes`;
      this.#failure = new ProtocolError(ZEO_ERROR_CODES.truncatedFrame, `stream ended inside a frame: got ${detail}`);
      throw this.#failure;
    }
  }

  #checkedLength(length: number): number {
    if (length > this.#maxFrameBytes) {
      this.#failure = new ProtocolError(
        ZEO_ERROR_CODES.frameTooLarge,
        `frame announces ${length} bytes, more than the maximum of ${this.#maxFrameBytes}`,
      );
      throw this.#failure;
    }
    if (length === 0) {
      // ZEO never sends an empty payload (the shortest is a 2-byte handshake).
      this.#failure = new ProtocolError(ZEO_ERROR_CODES.badFrameLength, 'frame announces an empty payload');
      throw this.#failure;
    }
    return length;
  }

  #startBody(length: number): void {
    this.#bodyLength = length;
    this.#parts = [];
    this.#partsBytes = 0;
  }

  /** Adds the start of `data` to the frame being assembled; returns the bytes used. */
  #continueBody(data: Buffer, frames: Buffer[]): number {
    const missing = this.#bodyLength - this.#partsBytes;
    const take = Math.min(missing, data.length);
    if (take > 0) {
      this.#parts.push(take === data.length ? data : data.subarray(0, take));
      this.#partsBytes += take;
    }
    if (this.#partsBytes === this.#bodyLength) {
      const parts = this.#parts;
      frames.push(parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.#bodyLength));
      this.#bodyLength = -1;
      this.#parts = [];
      this.#partsBytes = 0;
    }
    return take;
  }
}
