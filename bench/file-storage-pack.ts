// FileStorage pack figures: a database of 100,000 objects in a real graph
// (root → 100 mappings → 1,000 leaves each), every leaf written three
// times, and a tenth of the graph cut off the root at the end. Packed to
// now, with and without garbage collection: time, records read per second,
// sizes before and after, and how long the event loop was held (loads and
// commits go on during a pack) as the event-loop delay p99 and maximum.
// Run: npx tsx bench/file-storage-pack.ts
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { encodeRecord } from '../src/pickle/encode.js';
import { PyGlobal, tuple } from '../src/pickle/values.js';
import { FileStorage } from '../src/storage/file-storage/file-storage.js';
import { p64, z64, type Oid } from '../src/storage/oid.js';
import { TimeStamp } from '../src/storage/timestamp.js';

const BUCKETS = 100;
const LEAVES_PER_BUCKET = 1000;
const REVISIONS = 3;
const CUT_OFF = 10;
const MAPPING = new PyGlobal('persistent.mapping', 'PersistentMapping');

class Ref {
  constructor(readonly oid: Oid) {}
}

function mapping(refs: readonly Oid[], text: string): Buffer {
  const data: Record<string, unknown> = { text };
  refs.forEach((oid, i) => (data[`k${i}`] = new Ref(oid)));
  return encodeRecord(MAPPING, { data }, { persistentId: (v) => (v instanceof Ref ? tuple(v.oid, MAPPING) : undefined) });
}

const bucketOid = (b: number): Oid => p64(1 + b);
const leafOid = (b: number, l: number): Oid => p64(1 + BUCKETS + b * LEAVES_PER_BUCKET + l);

async function build(file: string): Promise<number> {
  const storage = await FileStorage.open(file, { create: true, fsync: false });
  const serials = new Map<string, Buffer>();
  const commit = async (stores: ReadonlyArray<readonly [Oid, Buffer]>): Promise<Buffer> => {
    const txn = { user: Buffer.from('/ bench'), description: Buffer.from('build'), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    for (const [oid, data] of stores) await storage.store(oid, serials.get(oid.toString('hex')) ?? z64, data, txn);
    await storage.tpcVote(txn);
    const tid = await storage.tpcFinish(txn);
    for (const [oid] of stores) serials.set(oid.toString('hex'), tid);
    return tid;
  };
  const buckets = Array.from({ length: BUCKETS }, (_, b) => bucketOid(b));
  await commit([[z64, mapping(buckets, 'root')]]);
  for (let revision = 0; revision < REVISIONS; revision++) {
    for (let b = 0; b < BUCKETS; b++) {
      const leaves = Array.from({ length: LEAVES_PER_BUCKET }, (_, l) => leafOid(b, l));
      await commit([
        [bucketOid(b), mapping(leaves, `bucket ${b} revision ${revision}`)],
        ...leaves.map((oid, l) => [oid, mapping([], `leaf ${b}/${l} revision ${revision} ${'x'.repeat(l % 100)}`)] as const),
      ]);
    }
  }
  const last = await commit([[z64, mapping(buckets.slice(CUT_OFF), 'root, cut')]]);
  await storage.close();
  // Pack to a moment after the last commit.
  return TimeStamp.fromBytes(last).timeTime() + 1;
}

const dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-pack-bench-'));
try {
  const original = path.join(dir, 'original.fs');
  const buildStart = performance.now();
  const packTime = await build(original);
  const records = 1 + REVISIONS * BUCKETS * (1 + LEAVES_PER_BUCKET) + 1;
  console.log(`built ${records.toLocaleString('en-US')} records, ${((await stat(original)).size / 1e6).toFixed(1)} MB, in ${((performance.now() - buildStart) / 1000).toFixed(1)} s`);
  for (const gc of [true, false]) {
    for (let round = 0; round < 3; round++) {
      const file = path.join(dir, `Data-${gc}-${round}.fs`);
      await copyFile(original, file);
      const storage = await FileStorage.open(file, { fsync: false });
      const before = storage.getSize();
      const objects = storage.getLength();
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const start = performance.now();
      await storage.pack(packTime, { gc });
      const ms = performance.now() - start;
      delay.disable();
      console.log(
        `pack gc=${gc}: ${(ms / 1000).toFixed(2)} s, ${Math.round((records / ms) * 1000).toLocaleString('en-US')} records/s, ` +
          `${(before / 1e6).toFixed(1)} → ${(storage.getSize() / 1e6).toFixed(1)} MB, ${objects.toLocaleString('en-US')} → ${storage.getLength().toLocaleString('en-US')} objects, ` +
          `event loop held p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`,
      );
      await storage.close();
      await rm(file);
      await rm(`${file}.old`, { force: true });
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
