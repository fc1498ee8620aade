/**
 * The first half of a FileStorage pack (ZODB's `fspack.GC`): which data
 * records written up to the pack time must survive it. A record survives
 * when it is the revision of its object current at the pack time and the
 * root reaches that object then (or, without garbage collection, whenever
 * it is current), and also when a later record points back to it.
 */
import { PackError } from '../errors.js';
import { idRepr, oidFromKey, oidKey, z64, type Oid, type OidKey, type Tid } from '../oid.js';
import { recordReferences } from '../record-references.js';
import type { WindowReader } from './file-io.js';
import { DATA_HEADER_LENGTH, MAGIC, TXN_HEADER_LENGTH, TxnStatus, readDataHeader, readPosition, readTxnHeader } from './format.js';
import type { RecordReader } from './record-reader.js';
import type { TimeSlicer } from './time-slice.js';

/** What survives a pack, as found by {@link findSurvivors}. */
export interface Survivors {
  /** The first transaction written after the pack time (or the end): everything from here on is kept. */
  readonly packPos: number;
  /** Whether the file was packed to this time (or later) already: there is nothing to do. */
  readonly redundant: boolean;
  /** Whether the data record of `oid` at `pos` (before {@link packPos}) must be kept. */
  isKept(key: OidKey, pos: number): boolean;
  /** Positions before {@link packPos} that records after it point back to. */
  readonly backTargets: ReadonlySet<number>;
}

/** Where {@link findSurvivors} reads. */
export interface SurvivorScan {
  readonly path: string;
  /** Sequential reads of the file. */
  readonly window: WindowReader;
  /** Random reads of records (references, back pointers). */
  readonly records: RecordReader;
  /** The committed end of the file when the pack started. */
  readonly end: number;
  readonly packTid: Tid;
  readonly gc: boolean;
  /** Gives way to other work now and then; throws when the pack must stop. */
  readonly slicer: TimeSlicer;
}

/** Walks the transactions in `[from, to)`; `onRecord` sees every data record of the ones not undone. */
async function eachRecord(
  scan: SurvivorScan,
  from: number,
  to: number,
  onTxn: (tid: Buffer, status: number) => boolean,
  onRecord: (key: OidKey, pos: number, dataLength: number, back: number) => void,
): Promise<number> {
  const { window } = scan;
  let pos = from;
  while (pos < to) {
    const header = readTxnHeader(await window.read(pos, TXN_HEADER_LENGTH), 0);
    if (!onTxn(header.tid, header.status)) break;
    const end = pos + header.length;
    // Undone transactions (a legacy status) are invisible, as when the file is opened.
    if (header.status !== TxnStatus.undone) {
      for (let at = pos + header.headerLength; at < end; ) {
        const bytes = await window.read(at, DATA_HEADER_LENGTH + 8);
        const record = readDataHeader(bytes, 0);
        onRecord(oidKey(bytes, 0), at, record.dataLength, record.dataLength === 0 ? readPosition(bytes, DATA_HEADER_LENGTH) : 0);
        at += record.recordLength;
      }
    }
    pos = end + 8;
    await scan.slicer.maybeYield();
  }
  return pos;
}

/** Finds what survives packing the file to `scan.packTid`. */
export async function findSurvivors(scan: SurvivorScan): Promise<Survivors> {
  // oid → its current record at the pack time; deletions remove it.
  const current = new Map<OidKey, number>();
  let unpacked = false;
  let nextStatus: number | undefined;
  const packPos = await eachRecord(
    scan,
    MAGIC.length,
    scan.end,
    (tid, status) => {
      if (tid.compare(scan.packTid) > 0) {
        nextStatus = status;
        return false;
      }
      if (status !== TxnStatus.packed) unpacked = true;
      return true;
    },
    (key, pos, dataLength, back) => {
      if (dataLength > 0 || back !== 0) current.set(key, pos);
      else current.delete(key);
    },
  );
  // ZODB's test for a redundant pack: only packed transactions up to the
  // pack time, and a packed one (or none) after it.
  const redundant = packPos > MAGIC.length && !unpacked && (nextStatus === undefined || nextStatus === TxnStatus.packed);

  // Records after the pack time that point back before it keep their targets.
  const backTargets = new Set<number>();
  const pointedAt: Array<readonly [OidKey, number]> = [];
  await eachRecord(
    scan,
    packPos,
    scan.end,
    () => true,
    (key, _pos, _dataLength, back) => {
      if (back !== 0 && back < packPos && !backTargets.has(back)) {
        backTargets.add(back);
        pointedAt.push([key, back]);
      }
    },
  );

  if (!scan.gc) {
    const kept = new Set(backTargets);
    return { packPos, redundant, backTargets, isKept: (key, pos) => current.get(key) === pos || kept.has(pos) };
  }
  const reachable = new Map<OidKey, number>();
  // Extra kept revisions of objects whose current one is kept too.
  const extra = new Set<number>();
  const follow = new Follower(scan, current, reachable);
  await follow.from([z64]);
  // What those older revisions refer to is kept too (ZODB follows only the
  // revisions of objects reachable anyway; keeping more never loses data).
  for (const [key, back] of pointedAt) {
    if (!reachable.has(key)) reachable.set(key, back);
    else if (reachable.get(key) !== back) extra.add(back);
  }
  for (const [key, back] of pointedAt) {
    const oid = oidFromKey(key);
    await follow.from(follow.referencesAt(back, oid), oid);
  }
  return { packPos, redundant, backTargets, isKept: (key, pos) => reachable.get(key) === pos || extra.has(pos) };
}

/** Marks what the root (or another start) reaches at the pack time. */
class Follower {
  readonly #scan: SurvivorScan;
  readonly #current: ReadonlyMap<OidKey, number>;
  readonly #reachable: Map<OidKey, number>;

  constructor(scan: SurvivorScan, current: ReadonlyMap<OidKey, number>, reachable: Map<OidKey, number>) {
    this.#scan = scan;
    this.#current = current;
    this.#reachable = reachable;
  }

  /** Marks everything reachable from `roots`: the database root, or what `referrer` refers to. */
  async from(roots: readonly Oid[], referrer?: Oid): Promise<void> {
    const todo: Array<readonly [Oid, Oid | undefined]> = roots.map((oid) => [oid, referrer] as const);
    while (todo.length > 0) {
      const [oid, referredBy] = todo.pop() as readonly [Oid, Oid | undefined];
      const key = oidKey(oid);
      if (this.#reachable.has(key)) continue;
      const pos = this.#current.get(key);
      if (pos === undefined) {
        // Packing to before the database's first object.
        if (referredBy === undefined && this.#current.size === 0) continue;
        throw new PackError(
          referredBy === undefined
            ? `cannot pack ${this.#scan.path}: its root object (oid ${idRepr(oid)}) does not exist at the pack time; pack without garbage collection`
            : `cannot pack ${this.#scan.path}: oid ${idRepr(referredBy)} refers to oid ${idRepr(oid)}, which does not exist at the pack time`,
        );
      }
      this.#reachable.set(key, pos);
      for (const ref of this.referencesAt(pos, oid)) if (!this.#reachable.has(oidKey(ref))) todo.push([ref, oid]);
      await this.#scan.slicer.maybeYield();
    }
  }

  /** The oids the record of `oid` at `pos` refers to, after its back pointers. */
  referencesAt(pos: number, own: Oid): Oid[] {
    const { records } = this.#scan;
    records.seek(pos, own);
    while (records.dataLength === 0) {
      if (records.back === 0) return [];
      records.seek(records.back, own);
    }
    const at = records.pos;
    try {
      return recordReferences(records.dataOf(own));
    } catch (error) {
      throw new PackError(`cannot pack ${this.#scan.path}: the record of oid ${idRepr(own)} at byte offset ${at} is not a valid object record`, {
        cause: error,
      });
    }
  }
}
