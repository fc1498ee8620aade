/**
 * The saved index, `Data.fs.index`, in Python ZODB's format (fsIndex.save),
 * so that either side can open a big file without scanning all of it: a
 * stream of protocol-3 pickles in fast mode: the file position the index
 * covers; one `(6-byte oid prefix, bucket)` tuple per prefix, in order, the
 * bucket being n sorted 2-byte oid suffixes followed by their n 6-byte
 * record positions; then `None`. An index is trusted only after the same
 * check Python makes (`_check_sanity`); the file after its position is
 * scanned as usual.
 */
import { open, readFile, rename } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../../logger.js';
import { decodePickleAt } from '../../pickle/decode.js';
import { encodePickle } from '../../pickle/encode.js';
import { tuple } from '../../pickle/values.js';
import { oidKey, type OidKey, type Tid } from '../oid.js';
import { readAt, writeAllAt } from './file-io.js';
import { DATA_HEADER_LENGTH, MAGIC, TXN_HEADER_LENGTH, TxnStatus, readDataHeader, readPosition, readTxnHeader } from './format.js';

/** An index read back, with what the sanity check found. */
export interface SavedIndex {
  /** oid key → position of the newest data record before {@link pos}. */
  readonly index: Map<OidKey, number>;
  /** The largest oid key in {@link index} (0 when empty). */
  readonly maxKey: OidKey;
  /** The end of the last transaction the index covers: where the scan goes on. */
  readonly pos: number;
  /** The tid of that transaction. */
  readonly lastTid: Tid;
}

const FAST = { memoize: false } as const;
// Python checks this many data records of the last transactions.
const RECORDS_CHECKED = 5;
/** Python trusts no index covering less than this: a smaller file is not worth one. */
export const MIN_INDEXED_POSITION = 100;
const WRITE_CHUNK = 1 << 20;

/** `<data file>.index`. */
export function savedIndexPath(dataPath: string): string {
  return `${dataPath}.index`;
}

/**
 * Reads the saved index of the data file open as `handle` (`size` bytes),
 * and checks it against the file. Undefined when there is none, or when it
 * cannot be read or does not fit (then logged as Python does).
 */
export async function loadSavedIndex(dataPath: string, handle: FileHandle, size: number, logger: Logger): Promise<SavedIndex | undefined> {
  const path = savedIndexPath(dataPath);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err: error, path }, `cannot read ${path}`);
    return undefined;
  }
  let parsed: ParsedIndex;
  try {
    parsed = parseSavedIndex(bytes);
  } catch (error) {
    // ZODB logs this as an error too (with a traceback).
    logger.error({ err: error, path }, `loading index ${path}: ${(error as Error).message}`);
    return undefined;
  }
  const lastTid = await checkSanity(handle, size, parsed.index, parsed.pos);
  if (lastTid === undefined) {
    logger.warn({ path: dataPath }, `Ignoring index for ${dataPath}`);
    return undefined;
  }
  return { ...parsed, lastTid };
}

/** What a saved index file holds. */
export type ParsedIndex = Omit<SavedIndex, 'lastTid'>;

/** Decodes the pickles of a saved index. @throws Error naming what is wrong */
export function parseSavedIndex(bytes: Buffer): ParsedIndex {
  let { value, end } = decodePickleAt(bytes, 0);
  // ZODB 3 saved a single dict: not worth reading, the scan rebuilds it.
  if (typeof value !== 'number' && typeof value !== 'bigint') throw new Error('not a position-first index (an old format?)');
  const pos = Number(value);
  const index = new Map<OidKey, number>();
  let maxKey: OidKey = 0;
  const oid = Buffer.alloc(8);
  for (;;) {
    const at = end;
    ({ value, end } = decodePickleAt(bytes, end));
    if (value === null) break;
    const [prefix, bucket] = Array.isArray(value) && value.length === 2 ? (value as unknown[]) : [];
    if (!Buffer.isBuffer(prefix) || prefix.length !== 6 || !Buffer.isBuffer(bucket) || bucket.length % 8 !== 0) {
      throw new Error(`the entry at byte ${at} is not a (6-byte prefix, bucket) pair`);
    }
    prefix.copy(oid, 0);
    const count = bucket.length / 8;
    for (let i = 0; i < count; i++) {
      oid[6] = bucket[2 * i] as number;
      oid[7] = bucket[2 * i + 1] as number;
      const key = oidKey(oid);
      index.set(key, bucket.readUIntBE(2 * count + 6 * i, 6));
      // Number and bigint keys compare correctly with each other.
      if (key > maxKey) maxKey = key;
    }
  }
  return { pos, index, maxKey };
}

/**
 * Python's `_check_sanity`: walking back from `pos` over undone and empty
 * transactions, the last transaction must be whole and its first records
 * must be where the index says. Returns that transaction's tid, or
 * undefined when the index does not fit.
 */
async function checkSanity(handle: FileHandle, size: number, index: ReadonlyMap<OidKey, number>, end: number): Promise<Tid | undefined> {
  if (end < MIN_INDEXED_POSITION || end > size) return undefined;
  const read = async (position: number, length: number): Promise<Buffer> => {
    const buffer = Buffer.alloc(length);
    return (await readAt(handle, buffer, 0, length, position)) === length ? buffer : Buffer.alloc(0);
  };
  let lastTid: Tid | undefined;
  let pos = end;
  for (;;) {
    if (pos - 8 < MAGIC.length) return undefined;
    const lengthBytes = await read(pos - 8, 8);
    if (lengthBytes.length < 8) return undefined;
    const length = readPosition(lengthBytes, 0);
    pos -= length + 8;
    if (pos < MAGIC.length) return undefined;
    const headerBytes = await read(pos, TXN_HEADER_LENGTH);
    if (headerBytes.length < TXN_HEADER_LENGTH) return undefined;
    const header = readTxnHeader(headerBytes, 0);
    lastTid ??= Buffer.from(header.tid);
    if (header.length !== length) return undefined;
    if (header.status === TxnStatus.undone) continue;
    if (header.status !== TxnStatus.committed && header.status !== TxnStatus.packed) return undefined;
    if (length < header.headerLength) return undefined;
    const txnEnd = pos + length;
    let at = pos + header.headerLength;
    if (at === txnEnd) continue;
    for (let checked = 0; at < txnEnd && checked < RECORDS_CHECKED; checked++) {
      const recordBytes = await read(at, DATA_HEADER_LENGTH);
      if (recordBytes.length < DATA_HEADER_LENGTH) return undefined;
      const record = readDataHeader(recordBytes, 0);
      if (at + record.recordLength > txnEnd || record.tloc !== pos) return undefined;
      if (index.get(oidKey(record.oid)) !== at) return undefined;
      at += record.recordLength;
    }
    return lastTid;
  }
}

/**
 * Saves `index`, which covers the data file up to `pos`, as Python does:
 * written to `<index>.index_tmp`, then renamed over the old one.
 */
export async function saveIndex(dataPath: string, pos: number, index: ReadonlyMap<OidKey, number>): Promise<void> {
  const path = savedIndexPath(dataPath);
  const temporary = `${path}.index_tmp`;
  const handle = await open(temporary, 'w');
  try {
    let chunks: Buffer[] = [encodePickle(pos, FAST)];
    let chunkBytes = 0;
    let written = 0;
    const flush = async (): Promise<void> => {
      await writeAllAt(handle, chunks, written);
      for (const chunk of chunks) written += chunk.length;
      chunks = [];
      chunkBytes = 0;
    };
    for (const [prefix, bucket] of buckets(index)) {
      const pickle = encodePickle(tuple(prefix, bucket), FAST);
      chunks.push(pickle);
      chunkBytes += pickle.length;
      if (chunkBytes >= WRITE_CHUNK) await flush();
    }
    chunks.push(encodePickle(null, FAST));
    await flush();
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

/** The index grouped by 6-byte oid prefix, in oid order: `[prefix, bucket]`. */
function* buckets(index: ReadonlyMap<OidKey, number>): Generator<[Buffer, Buffer]> {
  const keys = sortedKeys(index);
  for (let start = 0; start < keys.length; ) {
    const prefix = prefixOf(keys[start] as OidKey);
    let stop = start + 1;
    while (stop < keys.length && prefixOf(keys[stop] as OidKey) === prefix) stop++;
    const count = stop - start;
    const bucket = Buffer.allocUnsafe(count * 8);
    for (let i = 0; i < count; i++) {
      const key = keys[start + i] as OidKey;
      bucket.writeUInt16BE(typeof key === 'number' ? key % 0x10000 : Number(key & 0xffffn), 2 * i);
      bucket.writeUIntBE(index.get(key) as number, 2 * count + 6 * i, 6);
    }
    const prefixBytes = Buffer.allocUnsafe(6);
    prefixBytes.writeUIntBE(prefix, 0, 6);
    yield [prefixBytes, bucket];
    start = stop;
  }
}

// An oid's first six bytes, as a number (below 2^48, so exact).
function prefixOf(key: OidKey): number {
  return typeof key === 'number' ? Math.floor(key / 0x10000) : Number(key >> 16n);
}

function sortedKeys(index: ReadonlyMap<OidKey, number>): ArrayLike<OidKey> {
  let small = true;
  for (const key of index.keys()) {
    if (typeof key !== 'number') {
      small = false;
      break;
    }
  }
  // Typed-array sorting is numeric and much faster; oids past 2^53 are bigints.
  if (small) return Float64Array.from(index.keys() as Iterable<number>).sort();
  return [...index.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
