import { ZkzeoError } from '../errors.js';

/**
 * The stable codes of {@link PickleError}, one per way a pickle can be bad
 * or a value can fail to pickle.
 */
export const PICKLE_ERROR_CODES = Object.freeze({
  /** The input ended before the pickle did (inside an opcode's argument, or before `STOP`). */
  truncated: 'PICKLE_TRUNCATED',
  /** A byte that is not a pickle opcode where an opcode was expected. */
  unknownOpcode: 'PICKLE_UNKNOWN_OPCODE',
  /** An opcode needed more values (or a `MARK`) than the stack held. */
  stackUnderflow: 'PICKLE_STACK_UNDERFLOW',
  /** A `GET`/`BINGET`/`LONG_BINGET` named a memo slot that was never filled. */
  badMemoRef: 'PICKLE_BAD_MEMO_REF',
  /** An opcode's argument or operands were malformed (bad literal, negative length, wrong operand type). */
  badValue: 'PICKLE_BAD_VALUE',
  /** A well-formed opcode this codec does not support (extension registry, out-of-band buffers, protocol > 5). */
  unsupported: 'PICKLE_UNSUPPORTED',
  /** A persistent reference was found but no `persistentLoad` hook was given. */
  noPersistentLoad: 'PICKLE_NO_PERSISTENT_LOAD',
  /** Bytes were left after the pickle where the caller asked for exactly one pickle. */
  trailingData: 'PICKLE_TRAILING_DATA',
  /** The encoder met a value it cannot pickle. */
  unpicklable: 'PICKLE_UNPICKLABLE',
} as const);

/** One of the {@link PICKLE_ERROR_CODES} values. */
export type PickleErrorCode = (typeof PICKLE_ERROR_CODES)[keyof typeof PICKLE_ERROR_CODES];

/**
 * A pickle could not be decoded, or a value could not be encoded. When
 * decoding, {@link PickleError.offset} is the absolute byte offset (in the
 * buffer given to the decoder) of the opcode that failed and
 * {@link PickleError.opcode} its name (`BINUNICODE`, or `0xff` for an
 * unknown byte); the message repeats both, e.g.
 * `BINUNICODE at offset 12: truncated: needs 5 bytes, 2 left`.
 */
export class PickleError extends ZkzeoError {
  /** The name of the opcode being decoded, or `undefined` when encoding. */
  readonly opcode: string | undefined;
  /** The absolute byte offset of that opcode, or `undefined` when encoding. */
  readonly offset: number | undefined;
  /** The message without the opcode/offset prefix. */
  readonly reason: string;

  /** @internal */
  constructor(
    code: PickleErrorCode,
    reason: string,
    where?: { opcode: string; offset: number },
    options?: { cause?: unknown },
  ) {
    super(code, where ? `${where.opcode} at offset ${where.offset}: ${reason}` : reason, options);
    this.reason = reason;
    this.opcode = where?.opcode;
    this.offset = where?.offset;
  }
}
