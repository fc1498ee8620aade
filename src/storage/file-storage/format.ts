/**
 * The byte layout of a FileStorage file (`Data.fs`), as ZODB writes it:
 * a 4-byte magic, then transaction records, each holding data records
 * (`zodb-formats.md` §9). All integers are big-endian.
 */

/** The magic of a file written by Python 3 ZODB (protocol-3 pickles). */
export const MAGIC = Buffer.from('FS30', 'latin1');
/** The magic of a Python 2 era file, which must be converted first. */
export const MAGIC_PYTHON2 = Buffer.from('FS21', 'latin1');

/** Length of a transaction header (`>8sQcHHH`) before user, description and extension. */
export const TXN_HEADER_LENGTH = 23;
/** Length of a data record header (`>8s8sQQHQ`). */
export const DATA_HEADER_LENGTH = 42;
/** Offset of the status byte inside a transaction header. */
export const STATUS_OFFSET = 16;

/** Transaction status bytes. */
export const TxnStatus = Object.freeze({
  /** `' '`: committed. */
  committed: 0x20,
  /** `'p'`: committed, copied by a pack. */
  packed: 0x70,
  /** `'c'`: written by vote, not finished yet. */
  checkpoint: 0x63,
  /** `'u'`: legacy "undone", skipped by readers. */
  undone: 0x75,
} as const);

/** One of the {@link TxnStatus} bytes. */
export type TxnStatusByte = (typeof TxnStatus)[keyof typeof TxnStatus];

/** A decoded transaction header. `tid` is a view into the buffer it was read from. */
export interface TxnHeader {
  /** The transaction id. */
  readonly tid: Buffer;
  /** The record length, excluding the trailing redundant length. */
  readonly length: number;
  /** The status byte. */
  readonly status: number;
  /** Length of the user field. */
  readonly userLength: number;
  /** Length of the description field. */
  readonly descriptionLength: number;
  /** Length of the extension field. */
  readonly extensionLength: number;
  /** 23 plus the three lengths: where the data records start. */
  readonly headerLength: number;
}

/** A decoded data record header. `oid` and `tid` are views into the buffer it was read from. */
export interface DataHeader {
  /** The object id. */
  readonly oid: Buffer;
  /** The tid of this revision. */
  readonly tid: Buffer;
  /** Position of the previous record of the same oid, 0 if none. */
  readonly prev: number;
  /** Position of the enclosing transaction. */
  readonly tloc: number;
  /** Version length, always 0 in valid files. */
  readonly versionLength: number;
  /** Length of the record data; 0 means a back pointer follows instead. */
  readonly dataLength: number;
  /** Bytes the record occupies: 42 plus the data length, or plus 8 for a back pointer. */
  readonly recordLength: number;
}

/**
 * Reads an 8-byte file position as a number. Values beyond 2^53 lose
 * precision, which is harmless: they exceed any file size and fail the
 * bounds checks of the callers.
 */
export function readPosition(buffer: Buffer, offset: number): number {
  return buffer.readUInt32BE(offset) * 0x1_0000_0000 + buffer.readUInt32BE(offset + 4);
}

/** Writes a file position as 8 big-endian bytes. */
export function writePosition(buffer: Buffer, offset: number, value: number): void {
  buffer.writeUInt32BE(Math.floor(value / 0x1_0000_0000), offset);
  buffer.writeUInt32BE(value % 0x1_0000_0000, offset + 4);
}

/** Decodes the 23-byte transaction header at `offset`. */
export function readTxnHeader(buffer: Buffer, offset: number): TxnHeader {
  const userLength = buffer.readUInt16BE(offset + 17);
  const descriptionLength = buffer.readUInt16BE(offset + 19);
  const extensionLength = buffer.readUInt16BE(offset + 21);
  return {
    tid: buffer.subarray(offset, offset + 8),
    length: readPosition(buffer, offset + 8),
    status: buffer[offset + STATUS_OFFSET] as number,
    userLength,
    descriptionLength,
    extensionLength,
    headerLength: TXN_HEADER_LENGTH + userLength + descriptionLength + extensionLength,
  };
}

/** The fields needed to write a transaction header. */
export interface TxnHeaderFields {
  /** The transaction id. */
  readonly tid: Buffer;
  /** The record length, excluding the trailing redundant length. */
  readonly length: number;
  /** The status byte. */
  readonly status: TxnStatusByte;
  /** Length of the user field. */
  readonly userLength: number;
  /** Length of the description field. */
  readonly descriptionLength: number;
  /** Length of the extension field. */
  readonly extensionLength: number;
}

/** Encodes a 23-byte transaction header into `buffer` at `offset`. */
export function writeTxnHeader(buffer: Buffer, offset: number, header: TxnHeaderFields): void {
  header.tid.copy(buffer, offset, 0, 8);
  writePosition(buffer, offset + 8, header.length);
  buffer[offset + STATUS_OFFSET] = header.status;
  buffer.writeUInt16BE(header.userLength, offset + 17);
  buffer.writeUInt16BE(header.descriptionLength, offset + 19);
  buffer.writeUInt16BE(header.extensionLength, offset + 21);
}

/** Decodes the 42-byte data record header at `offset`. */
export function readDataHeader(buffer: Buffer, offset: number): DataHeader {
  const dataLength = readPosition(buffer, offset + 34);
  return {
    oid: buffer.subarray(offset, offset + 8),
    tid: buffer.subarray(offset + 8, offset + 16),
    prev: readPosition(buffer, offset + 16),
    tloc: readPosition(buffer, offset + 24),
    versionLength: buffer.readUInt16BE(offset + 32),
    dataLength,
    recordLength: DATA_HEADER_LENGTH + (dataLength > 0 ? dataLength : 8),
  };
}

/** The fields needed to write a data record header. */
export interface DataHeaderFields {
  /** The object id. */
  readonly oid: Buffer;
  /** The tid of this revision. */
  readonly tid: Buffer;
  /** Position of the previous record of the same oid, 0 if none. */
  readonly prev: number;
  /** Position of the enclosing transaction. */
  readonly tloc: number;
  /** Length of the record data (0 when a back pointer follows). */
  readonly dataLength: number;
}

/** Encodes a 42-byte data record header into `buffer` at `offset`. */
export function writeDataHeader(buffer: Buffer, offset: number, header: DataHeaderFields): void {
  header.oid.copy(buffer, offset, 0, 8);
  header.tid.copy(buffer, offset + 8, 0, 8);
  writePosition(buffer, offset + 16, header.prev);
  writePosition(buffer, offset + 24, header.tloc);
  buffer.writeUInt16BE(0, offset + 32);
  writePosition(buffer, offset + 34, header.dataLength);
}
