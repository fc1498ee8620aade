/**
 * FileStorage: ZODB's `Data.fs` format, read and written byte-compatibly
 * with Python ZODB. Records are appended; an in-memory index maps each oid
 * to its newest record, and each record links to the previous revision;
 * it is saved as ZODB saves it (`Data.fs.index`, see saved-index.ts).
 * Committed bytes are read with synchronous positional reads (they come
 * from the page cache, as in Python's FileStorage); small transactions are
 * written with one synchronous `pwritev`; the fsync and large writes go
 * through the thread pool so that loads go on meanwhile.
 */
import { constants as fsConstants, writeSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import { silentLogger, type Logger } from '../../logger.js';
import { BaseStorage, type BaseStorageOptions } from '../base-storage.js';
import { PackError, POSKeyError, ReadOnlyError, StorageClosedError, StorageTransactionError } from '../errors.js';
import { oidKey, type Oid, type OidKey, type Tid } from '../oid.js';
import type { PendingTransaction } from '../pending-transaction.js';
import type { HistoryEntry, Invalidation, LoadBeforeResult, LoadResult, PackOptions } from '../storage.js';
import { packTid } from '../pack-time.js';
import { TimeStamp } from '../timestamp.js';
import { WindowReader, writeAllAt, writeAllAtSync } from './file-io.js';
import {
  DATA_HEADER_LENGTH,
  MAGIC,
  STATUS_OFFSET,
  TXN_HEADER_LENGTH,
  TxnStatus,
  readDataHeader,
  readTxnHeader,
  writeDataHeader,
  writePosition,
  writeTxnHeader,
} from './format.js';
import { scanFile } from './index-scanner.js';
import { loadSavedIndex, MIN_INDEXED_POSITION, saveIndex, savedIndexPath } from './saved-index.js';
import { LockFile } from './lock-file.js';
import { PackCopier } from './pack-copier.js';
import { findSurvivors } from './pack-reachability.js';
import { RecordReader } from './record-reader.js';
import { cutOffDamagedTail } from './tail-repair.js';
import { TimeSlicer } from './time-slice.js';

/** Options of {@link FileStorage.open}. */
export interface FileStorageOptions extends BaseStorageOptions {
  /** Open without a lock; every write is refused and a damaged tail is ignored, not cut off. @defaultValue false */
  readOnly?: boolean;
  /** Start a new, empty file even if one exists. @defaultValue false */
  create?: boolean;
  /** `fsync` the file when a transaction finishes. @defaultValue true */
  fsync?: boolean;
  /** The storage name. @defaultValue the path as given */
  name?: string;
  /** Garbage-collect when packing, unless `pack()` says otherwise (ZConfig `pack-gc`). @defaultValue true */
  packGc?: boolean;
  /** Keep the file as it was before the last pack as `<path>.old` (ZConfig `pack-keep-old`). @defaultValue true */
  packKeepOld?: boolean;
}

interface OpenedFile {
  readonly path: string;
  readonly handle: FileHandle;
  readonly lock: LockFile | undefined;
  readonly index: Map<OidKey, number>;
  readonly end: number;
  readonly options: FileStorageOptions;
  readonly logger: Logger;
}

interface VotedWrite {
  readonly pending: PendingTransaction;
  readonly entries: ReadonlyArray<readonly [OidKey, number]>;
  readonly next: number;
}

const FUTURE_CRITICAL_SECONDS = 30 * 60;
// A pack gives way to loads and commits this often.
const PACK_SLICE_MS = 5;
// Transactions up to this size are written synchronously: copying them into
// the page cache takes less than a thread-pool round trip. Larger ones are
// written asynchronously so that loads go on meanwhile.
const SYNC_WRITE_LIMIT = 256 * 1024;
const COMMITTED_STATUS = Buffer.of(TxnStatus.committed);
const PACKED_STATUS = Buffer.of(TxnStatus.packed);

/**
 * A storage in one file, compatible with Python ZODB's FileStorage. Open it
 * with {@link FileStorage.open}. A writer holds `<path>.lock`; a second
 * writer on the same file fails with `StorageLockedError`.
 */
export class FileStorage extends BaseStorage {
  readonly #path: string;
  // Both replaced, with #end, when a pack swaps in the packed file.
  #handle: FileHandle;
  #index: Map<OidKey, number>;
  readonly #lock: LockFile | undefined;
  readonly #reader: RecordReader;
  readonly #logger: Logger;
  readonly #fsync: boolean;
  readonly #packGc: boolean;
  readonly #packKeepOld: boolean;
  #packing = false;
  #end: number;
  #voted: VotedWrite | undefined;
  readonly #inflight = new Set<Promise<unknown>>();

  private constructor(opened: OpenedFile, lastTid: Tid, maxOid: bigint) {
    const { options } = opened;
    super({ ...options, name: options.name ?? opened.path, readOnly: options.readOnly === true, lastTid, maxOid });
    this.#path = opened.path;
    this.#handle = opened.handle;
    this.#lock = opened.lock;
    this.#index = opened.index;
    this.#end = opened.end;
    this.#logger = opened.logger;
    this.#fsync = options.fsync !== false;
    this.#packGc = options.packGc !== false;
    this.#packKeepOld = options.packKeepOld !== false;
    this.#reader = new RecordReader(opened.path, () => this.#handle.fd, () => this.#end);
  }

  /**
   * Opens (creating if needed) the FileStorage at `path`, scanning it to
   * build the index (only after what a saved `<path>.index` covers). An
   * unfinished or cut-off last transaction is removed (saved to
   * `<path>.trN`) with a warning; other damage throws `CorruptFileError`
   * and leaves the file untouched.
   */
  static async open(path: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const readOnly = options.readOnly === true;
    const logger = options.logger ?? silentLogger;
    if (readOnly && options.create === true) {
      throw new InvalidArgumentError(`cannot create ${path} read-only`);
    }
    const lock = readOnly ? undefined : await LockFile.acquire(`${path}.lock`);
    let handle: FileHandle | undefined;
    try {
      handle = await openDataFile(path, readOnly, options.create === true);
      let size = (await handle.stat()).size;
      if (size === 0 && !readOnly) {
        await handle.write(MAGIC, 0, MAGIC.length, 0);
        size = MAGIC.length;
      }
      // A saved index (Python's Data.fs.index) spares the scan of what it covers.
      const saved = await loadSavedIndex(path, handle, size, logger);
      const scan = await scanFile(path, handle, size, logger, saved);
      if (scan.damagedTail !== undefined) {
        if (readOnly) {
          logger.warn({ path, offset: scan.end }, `${path} ends in an incomplete transaction at ${scan.end} (${scan.damagedTail.reason}); ignoring it`);
        } else {
          await cutOffDamagedTail(path, handle, scan.end, size, scan.damagedTail.reason, logger);
        }
      }
      // As Python does: an index rebuilt from scratch is saved at once.
      if (!readOnly && saved === undefined) await trySaveIndex(path, scan.end, scan.index, logger);
      warnIfInFuture(path, scan.lastTid, options.clock ?? Date.now, logger);
      const opened: OpenedFile = { path, handle, lock, index: scan.index, end: scan.end, options, logger };
      return new FileStorage(opened, scan.lastTid, scan.maxOid);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await lock?.release().catch(() => undefined);
      throw error;
    }
  }

  /** The path of the data file. */
  get path(): string {
    return this.#path;
  }

  /** The size of the committed file in bytes. */
  getSize(): number {
    return this.#end;
  }

  /** {@inheritDoc Storage.getLength} */
  getLength(): number {
    return this.#index.size;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work);
    void work.then(
      () => this.#inflight.delete(work),
      () => this.#inflight.delete(work),
    );
    return work;
  }

  #position(oid: Oid): number {
    this.checkOpen();
    this.checkId(oid, 'oid');
    const pos = this.#index.get(oidKey(oid));
    if (pos === undefined) throw new POSKeyError(oid);
    return pos;
  }

  // Reads below the committed end are synchronous (see RecordReader), so
  // the load methods need no tracking for close and never interleave.

  /** {@inheritDoc Storage.load} */
  async load(oid: Oid): Promise<LoadResult> {
    const reader = this.#reader;
    reader.seek(this.#position(oid), oid);
    const serial = reader.tid();
    return { data: reader.dataOf(oid), serial };
  }

  /** {@inheritDoc Storage.loadBefore} */
  async loadBefore(oid: Oid, tid: Tid): Promise<LoadBeforeResult | null> {
    const start = this.#position(oid);
    this.checkId(tid, 'tid');
    const reader = this.#reader;
    let pos = start;
    let nextSerial: Tid | null = null;
    for (;;) {
      // Only the first record is likely to be the answer; older ones are read for their header.
      reader.seek(pos, oid, pos === start);
      if (reader.compareTid(tid) < 0) {
        const serial = reader.tid();
        return { data: reader.dataOf(oid), serial, nextSerial };
      }
      nextSerial = reader.tid();
      if (reader.prev === 0) return null;
      pos = reader.prev;
    }
  }

  /** {@inheritDoc Storage.loadSerial} */
  async loadSerial(oid: Oid, serial: Tid): Promise<Buffer> {
    const start = this.#position(oid);
    this.checkId(serial, 'serial');
    const reader = this.#reader;
    let pos = start;
    for (;;) {
      reader.seek(pos, oid, false);
      const order = reader.compareTid(serial);
      if (order === 0) return reader.dataOf(oid);
      if (order < 0 || reader.prev === 0) throw new POSKeyError(oid, `no revision with serial ${serial.toString('hex')}`);
      pos = reader.prev;
    }
  }

  /** {@inheritDoc Storage.getTid} */
  async getTid(oid: Oid): Promise<Tid> {
    const reader = this.#reader;
    reader.seek(this.#position(oid), oid, false);
    if (reader.dataLength === 0 && reader.back === 0) throw new POSKeyError(oid, 'the object was deleted');
    return reader.tid();
  }

  /** {@inheritDoc Storage.history} */
  async history(oid: Oid, size = 1): Promise<HistoryEntry[]> {
    const start = this.#position(oid);
    if (!Number.isInteger(size) || size < 1) throw new InvalidArgumentError(`history: size must be a positive integer, got ${size}`);
    const reader = this.#reader;
    const entries: HistoryEntry[] = [];
    let pos = start;
    while (entries.length < size) {
      reader.seek(pos, oid, false);
      const tid = reader.tid();
      const { prev, dataLength } = reader;
      // Moves the reader off the record: its fields were copied above.
      const txn = reader.readTxnMeta(reader.tloc);
      entries.push({
        tid,
        time: TimeStamp.fromBytes(tid).timeTime(),
        userName: txn.user,
        description: txn.description,
        extension: txn.extension,
        size: dataLength,
      });
      if (prev === 0) break;
      pos = prev;
    }
    return entries;
  }

  /** {@inheritDoc Storage.lastInvalidations} */
  async lastInvalidations(count: number): Promise<Invalidation[]> {
    this.checkOpen();
    if (!Number.isInteger(count) || count < 0) throw new InvalidArgumentError(`lastInvalidations: bad count ${count}`);
    return this.#track(this.#lastInvalidations(count));
  }

  async #lastInvalidations(count: number): Promise<Invalidation[]> {
    const end = this.#end;
    // Walk back over the redundant lengths to the first transaction wanted.
    let pos = end;
    for (let i = 0; i < count && pos > MAGIC.length; i++) {
      pos -= 8 + this.#reader.readNumber(pos - 8);
    }
    const reader = new WindowReader(this.#path, this.#handle, end, 64 * 1024);
    const result: Invalidation[] = [];
    while (pos < end) {
      const header = readTxnHeader(await reader.read(pos, TXN_HEADER_LENGTH), 0);
      const tid = Buffer.from(header.tid);
      const txnEnd = pos + header.length;
      const oids: Oid[] = [];
      const seen = new Set<OidKey>();
      if (header.status !== TxnStatus.undone) {
        for (let at = pos + header.headerLength; at < txnEnd; ) {
          const record = readDataHeader(await reader.read(at, DATA_HEADER_LENGTH), 0);
          const key = oidKey(record.oid);
          if (!seen.has(key)) {
            seen.add(key);
            oids.push(Buffer.from(record.oid));
          }
          at += record.recordLength;
        }
        result.push({ tid, oids });
      }
      pos = txnEnd + 8;
    }
    return result;
  }

  /**
   * Removes what is no longer needed as of `time` (seconds since the Unix
   * epoch, as in ZODB): every revision older than the one current at that
   * time, and, with garbage collection (`options.gc`, else the `packGc`
   * option), every object the root does not reach then. Revisions written
   * after `time` are kept.
   *
   * As ZODB's FileStorage does, the packed copy is written to
   * `<path>.pack` while loads and commits go on; then, holding the commit
   * lock, the last commits are copied, the file is renamed to
   * `<path>.old` (kept unless `packKeepOld` is false) and the copy takes
   * its place. Until that rename the file is untouched, so a failed or
   * interrupted pack loses nothing. Nothing to remove, or a file packed to
   * this time already, leaves the file as it is.
   *
   * @throws PackError for a bad time, a pack already running, a missing
   *   root or a dangling reference (with garbage collection)
   * @throws ReadOnlyError on a read-only storage
   */
  async pack(time: number, options: PackOptions = {}): Promise<void> {
    this.checkOpen();
    if (this.isReadOnly()) throw new ReadOnlyError(this.getName());
    const stop = packTid(time, this.getName());
    if (this.#index.size === 0) return;
    if (this.#packing) throw new PackError(`${this.#path} is already being packed`);
    this.#packing = true;
    const run = this.#pack(stop, options.gc ?? this.#packGc);
    this.#packRun = run;
    try {
      await run;
    } finally {
      this.#packing = false;
      this.#packRun = undefined;
    }
  }

  #packRun: Promise<void> | undefined;

  async #pack(stop: Tid, gc: boolean): Promise<void> {
    const path = this.#path;
    const checkCancelled = (): void => {
      if (this.closed) throw new StorageClosedError(this.getName());
    };
    const slicer = new TimeSlicer(PACK_SLICE_MS, checkCancelled);
    await rm(`${path}.old`, { force: true });
    // A handle of its own: the storage's may be swapped or closed meanwhile.
    const source = await open(path, 'r');
    let out: FileHandle | undefined;
    try {
      const startEnd = this.#end;
      // Reads never go past a committed end: what lies beyond may still change.
      const window = new WindowReader(path, source, startEnd);
      const records = new RecordReader(path, () => source.fd, () => this.#end);
      const survivors = await findSurvivors({ path, window, records, end: startEnd, packTid: stop, gc, slicer });
      if (survivors.redundant) {
        this.#logger.info({ path }, 'The database has already been packed to a later time or no changes have been made since the last pack');
        return;
      }
      out = await open(`${path}.pack`, 'w+');
      const copier = new PackCopier(path, source, records, survivors, out);
      await copier.copyToPackTime(slicer);
      // As ZODB: nothing freed, nothing to swap.
      if (copier.end === survivors.packPos) return;
      // Most of what came after the pack time is copied while commits go on...
      await copier.copyUpTo(this.#end, slicer);
      // ...the rest, and the swap, with them held off.
      await this.withCommitLock(async () => {
        await copier.copyUpTo(this.#end, slicer);
        await copier.finish();
        checkCancelled();
        await this.#swapIn(copier.index, copier.end);
      });
    } finally {
      await out?.close();
      await source.close();
      await rm(`${path}.pack`, { force: true });
    }
    if (!this.#packKeepOld) await rm(`${path}.old`, { force: true });
    await trySaveIndex(path, this.#end, this.#index, this.#logger);
    this.#logger.info({ path, size: this.#end }, `${path} packed to ${this.#end} bytes`);
  }

  // Renames the file to .old and the packed copy into its place, then reads
  // from the new file. Called with the commit lock held and the copy synced.
  async #swapIn(index: Map<OidKey, number>, end: number): Promise<void> {
    const path = this.#path;
    // The saved index describes the old file: it must not survive a crash
    // that leaves the new one in place.
    await rm(savedIndexPath(path), { force: true });
    await rename(path, `${path}.old`);
    let handle: FileHandle;
    try {
      await rename(`${path}.pack`, path);
      handle = await open(path, fsConstants.O_RDWR);
    } catch (error) {
      await rename(`${path}.old`, path).catch(() => undefined);
      throw new PackError(`cannot put the packed copy of ${path} in place; the file is as it was`, { cause: error });
    }
    await syncDirectory(dirname(path));
    const old = this.#handle;
    // One synchronous step: loads see either the old file or the new one.
    this.#handle = handle;
    this.#index = index;
    this.#end = end;
    // Reads begun on the old file finish there.
    await Promise.allSettled([...this.#inflight]);
    await old.close();
  }

  /** @internal */
  protected async currentSerial(oid: Oid): Promise<Tid | null> {
    const pos = this.#index.get(oidKey(oid));
    if (pos === undefined) return null;
    const reader = this.#reader;
    reader.seek(pos, oid, false);
    return reader.tid();
  }

  /** @internal Writes the transaction with status 'c' after the committed end. */
  protected async writeVote(pending: PendingTransaction): Promise<void> {
    const { user, description, extension } = pending.txn;
    const pos = this.#end;
    const headerLength = TXN_HEADER_LENGTH + user.length + description.length + extension.length;
    const stores = pending.stores;
    // One allocation for every fixed-size header; the data buffers are written as they are.
    const fixed = Buffer.allocUnsafe(TXN_HEADER_LENGTH + stores.length * DATA_HEADER_LENGTH + 8);
    const buffers: Buffer[] = [fixed.subarray(0, TXN_HEADER_LENGTH), user, description, extension];
    const entries: Array<readonly [OidKey, number]> = [];
    let here = pos + headerLength;
    let offset = TXN_HEADER_LENGTH;
    for (const { oid, data } of stores) {
      const key = oidKey(oid);
      // Every store links to the committed revision, even when the oid
      // is stored twice in one transaction, as ZODB does.
      const prev = this.#index.get(key) ?? 0;
      writeDataHeader(fixed, offset, { oid, tid: pending.tid, prev, tloc: pos, dataLength: data.length });
      buffers.push(fixed.subarray(offset, offset + DATA_HEADER_LENGTH), data);
      entries.push([key, here]);
      here += DATA_HEADER_LENGTH + data.length;
      offset += DATA_HEADER_LENGTH;
    }
    const length = here - pos;
    writeTxnHeader(fixed, 0, {
      tid: pending.tid,
      length,
      status: TxnStatus.checkpoint,
      userLength: user.length,
      descriptionLength: description.length,
      extensionLength: extension.length,
    });
    writePosition(fixed, offset, length);
    buffers.push(fixed.subarray(offset, offset + 8));
    try {
      if (length + 8 <= SYNC_WRITE_LIMIT) writeAllAtSync(this.#handle.fd, buffers, pos);
      else await writeAllAt(this.#handle, buffers, pos);
    } catch (error) {
      // Leave no partial transaction behind (a full disk, say).
      await this.#handle.truncate(pos).catch(() => undefined);
      throw error;
    }
    this.#voted = { pending, entries, next: here + 8 };
  }

  /** @internal Flips the status byte, syncs, and makes the records visible. */
  protected async writeFinish(pending: PendingTransaction): Promise<void> {
    const voted = this.#voted;
    if (voted?.pending !== pending) throw new StorageTransactionError('tpcFinish: the transaction was not written by tpcVote');
    const status = pending.status === 'p' ? PACKED_STATUS : COMMITTED_STATUS;
    try {
      // One byte into the page cache: cheaper inline than via the thread pool.
      writeSync(this.#handle.fd, status, 0, 1, this.#end + STATUS_OFFSET);
      if (this.#fsync) await this.#handle.sync();
    } catch (error) {
      // The transaction may or may not be on disk now; stop rather than guess.
      this.#logger.error({ path: this.#path, err: error }, `${this.#path}: failure while finishing a transaction; closing`);
      queueMicrotask(() => void this.close().catch(() => undefined));
      throw error;
    }
    for (const [key, pos] of voted.entries) this.#index.set(key, pos);
    this.#end = voted.next;
    this.#voted = undefined;
  }

  /** @internal Cuts off what the vote wrote. */
  protected async writeAbort(pending: PendingTransaction): Promise<void> {
    if (this.#voted?.pending !== pending) return;
    this.#voted = undefined;
    await this.#handle.truncate(this.#end);
  }

  /** @internal */
  protected async closeStorage(): Promise<void> {
    // A pack stops at its next step once the storage is closed.
    await this.#packRun?.catch(() => undefined);
    await Promise.allSettled([...this.#inflight]);
    try {
      if (this.#lock !== undefined) {
        // Without fsync on commit, the index must not reach the disk before the data it points at.
        if (!this.#fsync) await this.#handle.sync();
        await trySaveIndex(this.#path, this.#end, this.#index, this.#logger);
      }
      await this.#handle.close();
    } finally {
      await this.#lock?.release();
    }
  }
}

// The saved index only saves time: failing to write it is no reason to
// fail. A file too small for one has none: an old index left beside a
// re-created file could otherwise pass the sanity check one day and point
// at superseded records. Nor does a file of empty transactions: Python's
// sanity check walks back past the file's start on it and fails the open.
async function trySaveIndex(path: string, end: number, index: ReadonlyMap<OidKey, number>, logger: Logger): Promise<void> {
  try {
    if (end < MIN_INDEXED_POSITION || index.size === 0) await rm(savedIndexPath(path), { force: true });
    else await saveIndex(path, end, index);
  } catch (error) {
    logger.error({ err: error, path }, `${path}: could not save the index: ${(error as Error).message}`);
  }
}

async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

async function openDataFile(path: string, readOnly: boolean, create: boolean): Promise<FileHandle> {
  if (readOnly) return open(path, 'r');
  if (create) return open(path, 'w+');
  try {
    return await open(path, fsConstants.O_RDWR);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return open(path, fsConstants.O_RDWR | fsConstants.O_CREAT | fsConstants.O_EXCL);
  }
}

function warnIfInFuture(path: string, lastTid: Tid, clock: () => number, logger: Logger): void {
  if (lastTid.readBigUInt64BE(0) === 0n) return;
  const seconds = TimeStamp.fromBytes(lastTid).timeTime() - clock() / 1000;
  if (seconds <= 0) return;
  const message = `${path} Database records ${Math.floor(seconds)} seconds in the future`;
  if (seconds > FUTURE_CRITICAL_SECONDS) logger.error({ path, seconds }, message);
  else logger.warn({ path, seconds }, message);
}
