/**
 * Random-access reads of committed FileStorage records. Committed bytes
 * never change and normally sit in the page cache, so, as Python's
 * FileStorage does, they are read with synchronous positional reads into
 * one reused scratch buffer: a load costs one system call, no thread-pool
 * round trip, and no allocation beyond the serial and data it returns.
 */
import { CorruptFileError, POSKeyError } from '../errors.js';
import { idRepr, type Oid, type Tid } from '../oid.js';
import { readAtSync } from './file-io.js';
import { DATA_HEADER_LENGTH, TXN_HEADER_LENGTH, readPosition, readTxnHeader } from './format.js';

/** The metadata of a transaction record. */
export interface TxnMeta {
  /** The transaction id. */
  readonly tid: Tid;
  /** The status byte. */
  readonly status: number;
  /** The record length (without the redundant length). */
  readonly length: number;
  /** Where its data records start, relative to the transaction. */
  readonly headerLength: number;
  /** The user field. */
  readonly user: Buffer;
  /** The description field. */
  readonly description: Buffer;
  /** The extension field (a pickle, or empty). */
  readonly extension: Buffer;
}

// Most records are small: one page gets header and data together.
const SCRATCH_SIZE = 4096;
// A data record plus at least the transaction's redundant length after it.
const MIN_RECORD = DATA_HEADER_LENGTH + 8;

/**
 * Reads data records below the committed end of one FileStorage file. It
 * is a cursor: {@link seek} reads one record, whose fields the getters
 * show until the next `seek`. Every method is synchronous, so two loads
 * never interleave on the shared scratch buffer.
 */
export class RecordReader {
  readonly #path: string;
  readonly #fd: () => number;
  readonly #end: () => number;
  readonly #scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  // The record under the cursor; its first #got bytes are in #scratch.
  #got = 0;
  #pos = 0;
  #prev = 0;
  #tloc = 0;
  #dataLength = 0;
  #back = 0;

  /**
   * Reads the file at `path` through `fd()` (a getter, so a closed handle
   * fails with `EBADF` instead of reading a reused descriptor); `end()`
   * gives the committed end of the file.
   */
  constructor(path: string, fd: () => number, end: () => number) {
    this.#path = path;
    this.#fd = fd;
    this.#end = end;
  }

  #corrupt(offset: number, problem: string): CorruptFileError {
    return new CorruptFileError(this.#path, offset, problem);
  }

  /**
   * Moves the cursor to the data record at `pos`, which must belong to
   * `oid`; with `withData` as much of its data as fits in the scratch
   * buffer is read in the same system call.
   */
  seek(pos: number, oid: Oid, withData = true): void {
    const end = this.#end();
    if (pos < TXN_HEADER_LENGTH || pos + MIN_RECORD > end) throw this.#corrupt(pos, `data record position ${pos} is outside the file`);
    const scratch = this.#scratch;
    const got = readAtSync(this.#fd(), scratch, 0, Math.min(withData ? SCRATCH_SIZE : MIN_RECORD, end - pos), pos);
    // Invalidate first: a failed seek must not leave the old record looking current.
    this.#got = 0;
    if (got < MIN_RECORD) throw this.#corrupt(pos + got, 'the file ended inside a data record');
    if (scratch.compare(oid, 0, 8, 0, 8) !== 0) {
      throw this.#corrupt(pos, `expected a record of oid ${idRepr(oid)}, found oid ${idRepr(Buffer.from(scratch.subarray(0, 8)))}`);
    }
    const versionLength = scratch.readUInt16BE(32);
    if (versionLength !== 0) throw this.#corrupt(pos, `data record has a version (length ${versionLength})`);
    const dataLength = readPosition(scratch, 34);
    if (pos + DATA_HEADER_LENGTH + (dataLength > 0 ? dataLength : 8) > end) {
      throw this.#corrupt(pos, `data record of ${DATA_HEADER_LENGTH + dataLength} bytes runs past the end`);
    }
    const prev = readPosition(scratch, 16);
    const tloc = readPosition(scratch, 24);
    if (tloc >= pos || prev >= pos) throw this.#corrupt(pos, 'data record points forward');
    this.#pos = pos;
    this.#prev = prev;
    this.#tloc = tloc;
    this.#dataLength = dataLength;
    this.#back = dataLength === 0 ? readPosition(scratch, DATA_HEADER_LENGTH) : 0;
    this.#got = got;
  }

  /** Where the current record starts. */
  get pos(): number {
    return this.#pos;
  }

  /** Position of the previous record of the same oid, 0 if none. */
  get prev(): number {
    return this.#prev;
  }

  /** Position of the enclosing transaction. */
  get tloc(): number {
    return this.#tloc;
  }

  /** Length of the record data; 0 for a back pointer. */
  get dataLength(): number {
    return this.#dataLength;
  }

  /** The back pointer when `dataLength` is 0 (0: the object does not exist in this revision). */
  get back(): number {
    return this.#back;
  }

  /** Compares the current record's tid with `tid`: negative when it is earlier. */
  compareTid(tid: Tid): number {
    return this.#scratch.compare(tid, 0, 8, 8, 16);
  }

  /** A copy of the current record's tid. */
  tid(): Tid {
    const tid = Buffer.allocUnsafe(8);
    this.#scratch.copy(tid, 0, 8, 16);
    return tid;
  }

  /**
   * The data of the current record, following back pointers to the earlier
   * record holding it (which moves the cursor); `POSKeyError` when the chain
   * ends at 0 (the object does not exist in this revision).
   */
  dataOf(oid: Oid): Buffer {
    while (this.#dataLength === 0) {
      const back = this.#back;
      if (back === 0) throw new POSKeyError(oid, 'the object does not exist in this revision');
      if (back >= this.#pos) throw this.#corrupt(this.#pos, `back pointer ${back} does not point backwards`);
      this.seek(back, oid);
    }
    return this.#copyData();
  }

  #copyData(): Buffer {
    const length = this.#dataLength;
    // Small results come from Node's shared pool; no per-load slab of our own.
    const data = Buffer.allocUnsafe(length);
    const inScratch = Math.max(0, Math.min(length, this.#got - DATA_HEADER_LENGTH));
    this.#scratch.copy(data, 0, DATA_HEADER_LENGTH, DATA_HEADER_LENGTH + inScratch);
    if (inScratch < length) {
      const at = this.#pos + DATA_HEADER_LENGTH + inScratch;
      const read = readAtSync(this.#fd(), data, inScratch, length - inScratch, at);
      if (read < length - inScratch) throw this.#corrupt(at + read, 'the file ended inside record data');
    }
    return data;
  }

  /** Reads the 8-byte number at `pos` (a redundant transaction length). */
  readNumber(pos: number): number {
    this.#got = 0;
    const got = readAtSync(this.#fd(), this.#scratch, 0, 8, pos);
    if (got < 8) throw this.#corrupt(pos, 'the file ended inside a transaction length');
    return readPosition(this.#scratch, 0);
  }

  /** Reads the header and metadata of the transaction at `tpos`. */
  readTxnMeta(tpos: number): TxnMeta {
    // The scratch buffer is about to hold a transaction, not the record.
    this.#got = 0;
    const scratch = this.#scratch;
    const got = readAtSync(this.#fd(), scratch, 0, Math.min(SCRATCH_SIZE, this.#end() - tpos), tpos);
    if (got < TXN_HEADER_LENGTH) throw this.#corrupt(tpos, 'the file ended inside a transaction header');
    const header = readTxnHeader(scratch, 0);
    let meta: Buffer;
    if (header.headerLength <= got) {
      meta = Buffer.from(scratch.subarray(TXN_HEADER_LENGTH, header.headerLength));
    } else {
      meta = Buffer.allocUnsafe(header.headerLength - TXN_HEADER_LENGTH);
      const read = readAtSync(this.#fd(), meta, 0, meta.length, tpos + TXN_HEADER_LENGTH);
      if (read < meta.length) throw this.#corrupt(tpos, 'the file ended inside transaction metadata');
    }
    const userEnd = header.userLength;
    const descriptionEnd = userEnd + header.descriptionLength;
    return {
      tid: Buffer.from(header.tid),
      status: header.status,
      length: header.length,
      headerLength: header.headerLength,
      user: meta.subarray(0, userEnd),
      description: meta.subarray(userEnd, descriptionEnd),
      extension: meta.subarray(descriptionEnd, descriptionEnd + header.extensionLength),
    };
  }
}
