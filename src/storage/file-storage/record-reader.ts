/**
 * Random-access reads of committed FileStorage records for loads: one
 * positional read per record into a reused scratch buffer, which usually
 * holds the record's data too, so a load costs one system call.
 */
import type { FileHandle } from 'node:fs/promises';
import { CorruptFileError, POSKeyError } from '../errors.js';
import { idRepr, type Oid, type Tid } from '../oid.js';
import { readAt } from './file-io.js';
import { DATA_HEADER_LENGTH, TXN_HEADER_LENGTH, readDataHeader, readPosition, readTxnHeader } from './format.js';

/** A data record read from the file. */
export interface DataRecord {
  /** Where the record starts. */
  readonly pos: number;
  /** The tid of this revision (a copy). */
  readonly tid: Tid;
  /** Position of the previous record of the same oid, 0 if none. */
  readonly prev: number;
  /** Position of the enclosing transaction. */
  readonly tloc: number;
  /** Length of the record data; 0 for a back pointer. */
  readonly dataLength: number;
  /** The back pointer when `dataLength` is 0 (0: the object does not exist in this revision). */
  readonly back: number;
  /** The data, when asked for and `dataLength > 0`. */
  readonly data: Buffer | undefined;
}

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

// Most records are small: reading this much at once gets header and data together.
const SCRATCH_SIZE = 4096;
const MIN_RECORD = DATA_HEADER_LENGTH + 8;
const SCRATCH_POOL_LIMIT = 16;

/** Reads records below the committed end of one FileStorage file. */
export class RecordReader {
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #end: () => number;
  // A free list, not one buffer: concurrent loads each need their own.
  readonly #scratch: Buffer[] = [];

  /** Reads `handle` (the file at `path`); `end()` gives the committed end of the file. */
  constructor(path: string, handle: FileHandle, end: () => number) {
    this.#path = path;
    this.#handle = handle;
    this.#end = end;
  }

  #corrupt(offset: number, problem: string): CorruptFileError {
    return new CorruptFileError(this.#path, offset, problem);
  }

  #takeScratch(): Buffer {
    return this.#scratch.pop() ?? Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  }

  #giveBack(buffer: Buffer): void {
    if (this.#scratch.length < SCRATCH_POOL_LIMIT) this.#scratch.push(buffer);
  }

  /**
   * Reads the data record at `pos`, which must belong to `oid`; with
   * `withData` its data too (when it has any).
   */
  async readRecord(pos: number, oid: Oid, withData: boolean): Promise<DataRecord> {
    const end = this.#end();
    if (pos < TXN_HEADER_LENGTH || pos + MIN_RECORD > end) throw this.#corrupt(pos, `data record position ${pos} is outside the file`);
    const scratch = this.#takeScratch();
    try {
      const want = Math.min(withData ? SCRATCH_SIZE : MIN_RECORD, end - pos);
      const got = await readAt(this.#handle, scratch, 0, want, pos);
      if (got < MIN_RECORD) throw this.#corrupt(pos + got, 'the file ended inside a data record');
      const header = readDataHeader(scratch, 0);
      if (!header.oid.equals(oid)) {
        throw this.#corrupt(pos, `expected a record of oid ${idRepr(oid)}, found oid ${idRepr(Buffer.from(header.oid))}`);
      }
      if (header.versionLength !== 0) throw this.#corrupt(pos, `data record has a version (length ${header.versionLength})`);
      if (pos + header.recordLength > end) throw this.#corrupt(pos, `data record of ${header.recordLength} bytes runs past the end`);
      if (header.tloc >= pos || header.prev >= pos) throw this.#corrupt(pos, 'data record points forward');
      const back = header.dataLength === 0 ? readPosition(scratch, DATA_HEADER_LENGTH) : 0;
      let data: Buffer | undefined;
      if (withData && header.dataLength > 0) {
        data = Buffer.allocUnsafe(header.dataLength);
        const inScratch = Math.min(header.dataLength, got - DATA_HEADER_LENGTH);
        scratch.copy(data, 0, DATA_HEADER_LENGTH, DATA_HEADER_LENGTH + inScratch);
        if (inScratch < header.dataLength) {
          const rest = header.dataLength - inScratch;
          const read = await readAt(this.#handle, data, inScratch, rest, pos + DATA_HEADER_LENGTH + inScratch);
          if (read < rest) throw this.#corrupt(pos + DATA_HEADER_LENGTH + inScratch + read, 'the file ended inside record data');
        }
      }
      return { pos, tid: Buffer.from(header.tid), prev: header.prev, tloc: header.tloc, dataLength: header.dataLength, back, data };
    } finally {
      this.#giveBack(scratch);
    }
  }

  /**
   * The data of `record`, following back pointers to the earlier record
   * holding it; `POSKeyError` when the chain ends at 0 (no object).
   */
  async dataOf(record: DataRecord, oid: Oid): Promise<Buffer> {
    let current = record;
    for (;;) {
      if (current.dataLength > 0) {
        return current.data ?? (await this.readRecord(current.pos, oid, true)).data ?? Buffer.alloc(0);
      }
      if (current.back === 0) throw new POSKeyError(oid, 'the object does not exist in this revision');
      if (current.back >= current.pos) throw this.#corrupt(current.pos, `back pointer ${current.back} does not point backwards`);
      current = await this.readRecord(current.back, oid, true);
    }
  }

  /** Reads the 8-byte number at `pos` (a redundant transaction length). */
  async readNumber(pos: number): Promise<number> {
    const scratch = this.#takeScratch();
    try {
      const got = await readAt(this.#handle, scratch, 0, 8, pos);
      if (got < 8) throw this.#corrupt(pos, 'the file ended inside a transaction length');
      return readPosition(scratch, 0);
    } finally {
      this.#giveBack(scratch);
    }
  }

  /** Reads the header and metadata of the transaction at `tpos`. */
  async readTxnMeta(tpos: number): Promise<TxnMeta> {
    const scratch = this.#takeScratch();
    try {
      const want = Math.min(SCRATCH_SIZE, this.#end() - tpos);
      const got = await readAt(this.#handle, scratch, 0, want, tpos);
      if (got < TXN_HEADER_LENGTH) throw this.#corrupt(tpos, 'the file ended inside a transaction header');
      const header = readTxnHeader(scratch, 0);
      let meta: Buffer;
      if (header.headerLength <= got) {
        meta = Buffer.from(scratch.subarray(TXN_HEADER_LENGTH, header.headerLength));
      } else {
        meta = Buffer.allocUnsafe(header.headerLength - TXN_HEADER_LENGTH);
        const read = await readAt(this.#handle, meta, 0, meta.length, tpos + TXN_HEADER_LENGTH);
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
    } finally {
      this.#giveBack(scratch);
    }
  }
}
