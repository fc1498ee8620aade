/**
 * Decoding pickles: {@link PickleDecoder} for a sequence of pickles with a
 * shared memo, and one-call helpers for a single pickle or a ZODB record.
 */
import type { DecodeOptions } from './decode-options.js';
import { PICKLE_ERROR_CODES, PickleError } from './errors.js';
import { DictModeRestart, UnpicklerMachine } from './unpickler-machine.js';

/**
 * Decodes pickles from one buffer, one {@link PickleDecoder.load} call per
 * pickle, with a memo shared by all of them.
 *
 * @example Reading a ZODB record (class pickle, then state pickle):
 * ```ts
 * const decoder = new PickleDecoder(record, { persistentLoad });
 * const classMeta = decoder.load();
 * const state = decoder.load();
 * ```
 */
export class PickleDecoder {
  #machine: UnpicklerMachine;
  readonly #buf: Buffer;
  readonly #options: DecodeOptions;
  #start: number;
  #loaded = 0;

  /** A decoder reading `buf` from `offset`. Throws `InvalidArgumentError` for bad options or offset. */
  constructor(buf: Buffer, options: DecodeOptions = {}, offset = 0) {
    this.#machine = new UnpicklerMachine(buf, options, offset);
    this.#buf = buf;
    this.#options = options;
    this.#start = offset;
  }

  /** The cursor: the offset just after the last pickle loaded (or where reading starts). */
  get offset(): number {
    return this.#machine.pos;
  }

  /** Whether the cursor is at the end of the buffer. */
  get atEnd(): boolean {
    return this.#machine.pos >= this.#machine.buf.length;
  }

  /**
   * Decodes the next pickle and returns its value. Throws a
   * {@link PickleError} naming the opcode and offset on malformed or
   * truncated input; the cursor is then unspecified.
   */
  load(): unknown {
    try {
      const value = this.#machine.load();
      this.#loaded += 1;
      return value;
    } catch (error) {
      if (!(error instanceof DictModeRestart)) throw error;
      // A dict referenced from inside itself (or before it was complete)
      // needs a Map: replay from the start with Maps for every dict, so
      // the memo (shared with earlier pickles) is rebuilt the same way.
      this.#machine = new UnpicklerMachine(this.#buf, { ...this.#options, dicts: 'map' }, this.#start);
      for (let i = 0; i < this.#loaded; i += 1) this.#machine.load();
      const value = this.#machine.load();
      this.#loaded += 1;
      return value;
    }
  }

  /** Forgets all memoized values (Python's `Unpickler.memo.clear()`). */
  clearMemo(): void {
    this.#machine.clearMemo();
    // Nothing before this point is needed to replay what follows.
    this.#start = this.#machine.pos;
    this.#loaded = 0;
  }
}

/** The value of a pickle starting at `offset`, and the offset just after its `STOP`. */
export interface DecodedAt {
  /** The decoded value. */
  readonly value: unknown;
  /** The offset after the pickle, where a following pickle would start. */
  readonly end: number;
}

/** Decodes the pickle at `offset` in `buf`; bytes after it are left alone. */
export function decodePickleAt(buf: Buffer, offset: number, options?: DecodeOptions): DecodedAt {
  const decoder = new PickleDecoder(buf, options, offset);
  const value = decoder.load();
  return { value, end: decoder.offset };
}

function checkEnd(decoder: PickleDecoder, buf: Buffer): void {
  if (!decoder.atEnd) {
    const extra = buf.length - decoder.offset;
    throw new PickleError(PICKLE_ERROR_CODES.trailingData, `${extra} bytes after the end of the pickle`, {
      opcode: 'STOP',
      offset: decoder.offset - 1,
    });
  }
}

/** Decodes `buf`, which must hold exactly one pickle (a ZEO message, say). */
export function decodePickle(buf: Buffer, options?: DecodeOptions): unknown {
  const decoder = new PickleDecoder(buf, options);
  const value = decoder.load();
  checkEnd(decoder, buf);
  return value;
}

/** The two parts of a ZODB object record. */
export interface DecodedRecord {
  /** The class pickle's value: a class, or `(class, newargs)`, or older forms. */
  readonly classMeta: unknown;
  /** The state pickle's value. */
  readonly state: unknown;
}

/** Decodes a ZODB record: two pickles sharing one memo, filling `buf` exactly. */
export function decodeRecord(buf: Buffer, options?: DecodeOptions): DecodedRecord {
  const decoder = new PickleDecoder(buf, options);
  const classMeta = decoder.load();
  const state = decoder.load();
  checkEnd(decoder, buf);
  return { classMeta, state };
}
