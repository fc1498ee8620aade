/**
 * The second half of a FileStorage pack (ZODB's `FileStoragePacker`):
 * writing `<path>.pack`. Transactions up to the pack time keep only their
 * surviving records, self-contained (no previous-record links, data
 * instead of back pointers) and marked packed (`'p'`); transactions with
 * none left are dropped. Later transactions are copied whole, with their
 * links pointed at the new positions. The output is buffered and written
 * a transaction boundary at a time.
 */
import type { FileHandle } from 'node:fs/promises';
import { oidKey, type Oid, type OidKey } from '../oid.js';
import { WindowReader, writeAllAt } from './file-io.js';
import {
  DATA_HEADER_LENGTH,
  MAGIC,
  STATUS_OFFSET,
  TXN_HEADER_LENGTH,
  TxnStatus,
  readDataHeader,
  readPosition,
  readTxnHeader,
  writeDataHeader,
  writePosition,
} from './format.js';
import type { Survivors } from './pack-reachability.js';
import type { RecordReader } from './record-reader.js';
import type { TimeSlicer } from './time-slice.js';

const FLUSH_AT = 1 << 20;
const NO_DATA = Buffer.alloc(8);

/** Writes the packed file; see the module comment. */
export class PackCopier {
  readonly #path: string;
  readonly #out: FileHandle;
  readonly #source: FileHandle;
  readonly #records: RecordReader;
  readonly #survivors: Survivors;
  /** oid → its newest record in the new file. */
  readonly index = new Map<OidKey, number>();
  // Old position → new position of the records later back pointers may name.
  readonly #moved = new Map<number, number>();
  #buffer = Buffer.allocUnsafe(2 * FLUSH_AT);
  #used = 0;
  // The file position of #buffer[0].
  #flushed = 0;
  // Where the next transaction of the old file starts.
  #next = MAGIC.length;

  /** Copies from `source` (the old file at `path`; `records` reads it too) into `out` (the empty `.pack` file). */
  constructor(path: string, source: FileHandle, records: RecordReader, survivors: Survivors, out: FileHandle) {
    this.#path = path;
    this.#source = source;
    this.#out = out;
    this.#records = records;
    this.#survivors = survivors;
    this.#append(MAGIC);
  }

  /** The end of what was written so far: the size the new file will have. */
  get end(): number {
    return this.#flushed + this.#used;
  }

  /** Where copying stands in the old file. */
  get copiedUpTo(): number {
    return this.#next;
  }

  /** Copies the transactions up to the pack time, keeping only surviving records. */
  async copyToPackTime(slicer: TimeSlicer): Promise<void> {
    const { packPos } = this.#survivors;
    const window = new WindowReader(this.#path, this.#source, packPos);
    while (this.#next < packPos) {
      await this.#copyTransaction(window, true);
      await slicer.maybeYield();
    }
  }

  /** Copies every transaction from where copying stands up to `end`, a committed end of the old file. */
  async copyUpTo(end: number, slicer: TimeSlicer): Promise<void> {
    // A window of its own, bounded by `end`: bytes past a committed end may still change.
    const window = new WindowReader(this.#path, this.#source, end);
    while (this.#next < end) {
      await this.#copyTransaction(window, false);
      await slicer.maybeYield();
    }
  }

  /** Writes out what is buffered and syncs the new file. */
  async finish(): Promise<void> {
    await this.#flush();
    await this.#out.sync();
  }

  async #copyTransaction(window: WindowReader, packing: boolean): Promise<void> {
    const tpos = this.#next;
    const header = readTxnHeader(await window.read(tpos, TXN_HEADER_LENGTH), 0);
    const end = tpos + header.length;
    this.#next = end + 8;
    // Undone transactions (a legacy status) are invisible; they go.
    if (header.status === TxnStatus.undone) return;
    const newTpos = this.end;
    let wroteHeader = false;
    const writeHeader = async (): Promise<void> => {
      // Re-read: the window may have moved since.
      this.#append(await window.read(tpos, header.headerLength));
      if (packing) this.#buffer[newTpos - this.#flushed + STATUS_OFFSET] = TxnStatus.packed;
      wroteHeader = true;
    };
    if (!packing) await writeHeader();
    for (let at = tpos + header.headerLength; at < end; ) {
      const bytes = await window.read(at, DATA_HEADER_LENGTH + 8);
      const record = readDataHeader(bytes, 0);
      const key = oidKey(bytes, 0);
      const here = at;
      at += record.recordLength;
      if (packing && !this.#survivors.isKept(key, here)) continue;
      const oid = Buffer.from(record.oid);
      const back = record.dataLength === 0 ? readPosition(bytes, DATA_HEADER_LENGTH) : 0;
      const tid = Buffer.from(record.tid);
      if (!wroteHeader) await writeHeader();
      const newPos = this.end;
      // A back pointer survives when its target was copied; otherwise the
      // data it names is copied (packed records never point back, as in ZODB).
      const movedBack = packing || back === 0 ? undefined : this.#moved.get(back);
      let data: Buffer | undefined;
      if (record.dataLength > 0) data = await window.read(here + DATA_HEADER_LENGTH, record.dataLength);
      else if (movedBack === undefined) data = this.#dataBehind(oid, back);
      const prev = packing ? 0 : (this.index.get(key) ?? 0);
      const slot = this.#reserve(DATA_HEADER_LENGTH);
      writeDataHeader(this.#buffer, slot, { oid, tid, prev, tloc: newTpos, dataLength: data?.length ?? 0 });
      if (data !== undefined && data.length > 0) this.#append(data);
      else if (movedBack !== undefined) writePosition(this.#buffer, this.#reserve(8), movedBack);
      else this.#append(NO_DATA);
      this.index.set(key, newPos);
      if (!packing || this.#survivors.backTargets.has(here)) this.#moved.set(here, newPos);
    }
    if (!wroteHeader) return;
    const length = this.end - newTpos;
    writePosition(this.#buffer, newTpos - this.#flushed + 8, length);
    writePosition(this.#buffer, this.#reserve(8), length);
    if (this.#used >= FLUSH_AT) await this.#flush();
  }

  // The data a back pointer leads to in the old file (empty: the object did not exist then).
  #dataBehind(oid: Oid, back: number): Buffer {
    const records = this.#records;
    let pos = back;
    while (pos !== 0) {
      records.seek(pos, oid);
      if (records.dataLength > 0) return records.dataOf(oid);
      pos = records.back;
    }
    return NO_DATA.subarray(0, 0);
  }

  #reserve(length: number): number {
    if (this.#used + length > this.#buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.#buffer.length, this.#used + length));
      this.#buffer.copy(bigger, 0, 0, this.#used);
      this.#buffer = bigger;
    }
    const offset = this.#used;
    this.#used += length;
    return offset;
  }

  #append(bytes: Buffer): void {
    bytes.copy(this.#buffer, this.#reserve(bytes.length));
  }

  async #flush(): Promise<void> {
    if (this.#used === 0) return;
    await writeAllAt(this.#out, [this.#buffer.subarray(0, this.#used)], this.#flushed);
    this.#flushed += this.#used;
    this.#used = 0;
  }
}
