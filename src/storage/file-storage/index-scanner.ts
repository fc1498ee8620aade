/**
 * Opening a FileStorage: scan every transaction to rebuild the oid → record
 * position index (ZODB's `read_index`). The scan only reads; it reports a
 * damaged tail to cut off, and throws `CorruptFileError` for anything else,
 * so a corrupt file is never modified.
 */
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../../logger.js';
import { CorruptFileError } from '../errors.js';
import { idRepr, oidKey, z64, type OidKey, type Tid } from '../oid.js';
import { WindowReader } from './file-io.js';
import {
  DATA_HEADER_LENGTH,
  MAGIC,
  MAGIC_PYTHON2,
  TXN_HEADER_LENGTH,
  TxnStatus,
  readDataHeader,
  readPosition,
  readTxnHeader,
  type TxnHeader,
} from './format.js';

/** What the scan found. */
export interface ScanResult {
  /** oid key → position of the newest data record. */
  readonly index: Map<OidKey, number>;
  /** The end of the last complete transaction: where the next one goes. */
  readonly end: number;
  /** The tid of the last complete transaction, `z64` if none. */
  readonly lastTid: Tid;
  /** The largest oid in the index (0 if empty). */
  readonly maxOid: bigint;
  /** Set when the file ends in an incomplete transaction that should be cut off at `end`. */
  readonly damagedTail: { readonly reason: string } | undefined;
}

interface Damage {
  readonly reason: string;
}

/** Where a scan starts: after what a saved index covers (see saved-index.ts). */
export interface ScanStart {
  /** The index of the file before {@link pos}; the scan adds to it. */
  readonly index: Map<OidKey, number>;
  /** The largest oid key in {@link index}. */
  readonly maxKey: OidKey;
  /** A transaction boundary. */
  readonly pos: number;
  /** The tid of the transaction before {@link pos}. */
  readonly lastTid: Tid;
}

/** Scans the file `path` (open as `handle`, `size` bytes long), from its start or from `start`. */
export async function scanFile(path: string, handle: FileHandle, size: number, logger: Logger, start?: ScanStart): Promise<ScanResult> {
  return new IndexScanner(path, handle, size, logger, start).scan();
}

class IndexScanner {
  readonly #path: string;
  readonly #size: number;
  readonly #logger: Logger;
  readonly #reader: WindowReader;
  readonly #index: Map<OidKey, number>;
  readonly #start: number;
  readonly #startTid: Tid;
  #maxKey: OidKey;

  constructor(path: string, handle: FileHandle, size: number, logger: Logger, start: ScanStart | undefined) {
    this.#path = path;
    this.#size = size;
    this.#logger = logger;
    this.#reader = new WindowReader(path, handle, size);
    this.#index = start?.index ?? new Map();
    this.#start = start?.pos ?? MAGIC.length;
    this.#startTid = start?.lastTid ?? z64;
    this.#maxKey = start?.maxKey ?? 0;
  }

  #corrupt(offset: number, problem: string): CorruptFileError {
    return new CorruptFileError(this.#path, offset, problem);
  }

  async scan(): Promise<ScanResult> {
    await this.#checkMagic();
    let pos = this.#start;
    let lastTid: Tid = this.#startTid;
    let damage: Damage | undefined;
    while (pos < this.#size) {
      if (this.#size - pos < TXN_HEADER_LENGTH) {
        damage = { reason: `only ${this.#size - pos} bytes of a transaction header` };
        break;
      }
      const header = readTxnHeader(await this.#reader.read(pos, TXN_HEADER_LENGTH), 0);
      const tid = Buffer.from(header.tid);
      damage = await this.#checkTransaction(pos, header);
      if (damage !== undefined) break;
      if (tid.compare(lastTid) <= 0) {
        this.#logger.warn({ path: this.#path, offset: pos }, `${this.#path} time-stamp reduction at ${pos}`);
      }
      if (header.status !== TxnStatus.undone) await this.#indexRecords(pos, header, tid);
      const end = pos + header.length;
      const redundant = readPosition(await this.#reader.read(end, 8), 0);
      if (redundant !== header.length) {
        throw this.#corrupt(end, `redundant transaction length ${redundant} does not match ${header.length} (transaction at ${pos})`);
      }
      lastTid = tid;
      pos = end + 8;
    }
    return { index: this.#index, end: pos, lastTid, maxOid: BigInt(this.#maxKey), damagedTail: damage };
  }

  async #checkMagic(): Promise<void> {
    if (this.#size < MAGIC.length) throw this.#corrupt(0, `${this.#size} bytes is too short for the FileStorage header`);
    const magic = await this.#reader.read(0, MAGIC.length);
    if (magic.equals(MAGIC_PYTHON2)) {
      throw this.#corrupt(0, 'the file was written by Python 2 ZODB (magic FS21); convert it with Python ZODB first');
    }
    if (!magic.equals(MAGIC)) throw this.#corrupt(0, `bad magic ${JSON.stringify(magic.toString('latin1'))}, expected "FS30"`);
  }

  /**
   * Decides what the transaction header at `pos` means: fine (undefined), an
   * incomplete last transaction to cut off (a Damage), or corruption (throws).
   */
  async #checkTransaction(pos: number, header: TxnHeader): Promise<Damage | undefined> {
    const end = pos + header.length;
    const pastEnd = end + 8 > this.#size;
    if (header.status === TxnStatus.checkpoint) {
      // Vote wrote it, finish never flipped the status: only legitimate last.
      if (end + 8 >= this.#size) return { reason: 'the last transaction was never finished (status "c")' };
      throw this.#corrupt(pos, 'an unfinished transaction (status "c") is followed by more transactions');
    }
    if (header.length < header.headerLength) {
      // Zeros or junk left at the end by a crash look like this too.
      if (await this.#endLooksLikeGarbage(pos)) return { reason: 'invalid data at the end of the file, possibly from a system crash' };
      throw this.#corrupt(pos, `transaction length ${header.length} is shorter than its header (${header.headerLength})`);
    }
    if (header.status !== TxnStatus.committed && header.status !== TxnStatus.packed && header.status !== TxnStatus.undone) {
      // As ZODB's read_index: say so, and read the transaction as committed.
      const status = String.fromCharCode(header.status);
      this.#logger.warn({ path: this.#path, offset: pos }, `${this.#path} has invalid status, ${status}, at ${pos}`);
    }
    if (pastEnd) {
      if (await this.#isTornTail(pos, header)) return { reason: 'the last transaction was cut off' };
      throw this.#corrupt(pos, `transaction length ${header.length} runs past the end of the file (${this.#size} bytes)`);
    }
    return undefined;
  }

  // ZODB's test: a file whose last 8 bytes are not a plausible transaction
  // length after `pos` ends in garbage rather than being damaged in the middle.
  async #endLooksLikeGarbage(pos: number): Promise<boolean> {
    if (this.#size - 8 < pos) return true;
    const lastLength = readPosition(await this.#reader.read(this.#size - 8, 8), 0);
    return this.#size - lastLength < pos || lastLength < TXN_HEADER_LENGTH;
  }

  // A transaction whose length runs past the end of the file was either cut
  // off while being written (its records are consistent up to the end of the
  // file) or has a damaged length (its records stop making sense early).
  async #isTornTail(pos: number, header: TxnHeader): Promise<boolean> {
    let at = pos + header.headerLength;
    const tid = Buffer.from(header.tid);
    while (at + DATA_HEADER_LENGTH <= this.#size && at < pos + header.length) {
      const record = readDataHeader(await this.#reader.read(at, DATA_HEADER_LENGTH), 0);
      if (record.tloc !== pos || record.versionLength !== 0 || !record.tid.equals(tid)) return false;
      at += record.recordLength;
    }
    return true;
  }

  async #indexRecords(pos: number, header: TxnHeader, tid: Tid): Promise<void> {
    const end = pos + header.length;
    const reader = this.#reader;
    const keys: OidKey[] = [];
    const positions: number[] = [];
    let at = pos + header.headerLength;
    while (at < end) {
      if (at + DATA_HEADER_LENGTH > end) throw this.#corrupt(at, `data record header exceeds the transaction at ${pos}`);
      // The hot loop of opening: read the fields in place, and await only
      // when the window has to move.
      if (!reader.has(at, DATA_HEADER_LENGTH)) await reader.load(at, DATA_HEADER_LENGTH);
      const bytes = reader.buffer;
      const o = reader.offsetOf(at);
      const versionLength = bytes.readUInt16BE(o + 32);
      if (versionLength !== 0) throw this.#corrupt(at, `data record has a version (length ${versionLength})`);
      const tloc = readPosition(bytes, o + 24);
      if (tloc !== pos) throw this.#corrupt(at, `data record names transaction ${tloc}, but lies in the one at ${pos}`);
      const dataLength = readPosition(bytes, o + 34);
      const recordLength = DATA_HEADER_LENGTH + (dataLength > 0 ? dataLength : 8);
      if (at + recordLength > end) throw this.#corrupt(at, `data record exceeds the transaction at ${pos}`);
      const key = oidKey(bytes, o);
      const prev = readPosition(bytes, o + 16);
      if ((this.#index.get(key) ?? 0) !== prev) this.#reportPrevious(at, Buffer.from(bytes.subarray(o, o + 8)), tid, prev);
      keys.push(key);
      positions.push(at);
      at += recordLength;
    }
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as OidKey;
      this.#index.set(key, positions[i] as number);
      // Number and bigint keys compare correctly with each other.
      if (key > this.#maxKey) this.#maxKey = key;
    }
  }

  // ZODB accepts a record whose previous-record link disagrees with the
  // index, but logs it.
  #reportPrevious(at: number, oid: Buffer, tid: Tid, prev: number): void {
    const message = `${this.#path} incorrect previous pointer at ${at} (oid ${idRepr(oid)}, tid ${idRepr(tid)})`;
    if (prev !== 0) this.#logger.error({ path: this.#path, offset: at }, message);
    else this.#logger.warn({ path: this.#path, offset: at }, message);
  }
}
