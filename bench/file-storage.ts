// FileStorage figures: open time of a 100,000-record file with its saved
// index and by a scan, and the time to save the index;
// random current loads and loadBefore (the ZEO server's read) per second,
// one at a time and 32 in flight; one-object commits per second with fsync
// on and off, from one committer and from four queued on the commit lock;
// and, for context, the raw append+fsync latency of the disk, which bounds
// commits with fsync on. Timed phases run three times; the figures show the
// median and the range, since the machine is usually shared.
// Run: npx tsx bench/file-storage.ts
import { open, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileStorage } from '../src/storage/file-storage/file-storage.js';
import { parseSavedIndex, saveIndex } from '../src/storage/file-storage/saved-index.js';
import { maxTid, p64, z64, type Oid, type Tid } from '../src/storage/oid.js';
import type { TransactionMetaData } from '../src/storage/storage.js';

const RECORDS = 100_000;
const PER_TRANSACTION = 100;
const LOADS = 200_000;
const CONCURRENCY = 32;
const ROUNDS = 3;
const COMMIT_MS = 2000;

function txnMeta(description: string): TransactionMetaData {
  return { user: Buffer.from('/ bench'), description: Buffer.from(description), extension: Buffer.alloc(0) };
}

// A record about the size of a small ZODB object (class pickle + state).
function recordFor(i: number, revision: number): Buffer {
  const record = Buffer.alloc(120 + (i % 80), 0x20);
  record.write(`80036373616d706c650a4e6f74650a71002e #${i} rev ${revision}`, 'latin1');
  return record;
}

function perSecond(count: number, ms: number): number {
  return (count / ms) * 1000;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

// Runs `measure` ROUNDS times and prints the median and the range.
async function report(label: string, unit: string, measure: () => Promise<number>): Promise<void> {
  const values: number[] = [];
  for (let i = 0; i < ROUNDS; i++) values.push(await measure());
  values.sort((a, b) => a - b);
  const median = values[Math.floor(values.length / 2)] ?? 0;
  const range = `${formatRate(values[0] ?? 0)}–${formatRate(values[values.length - 1] ?? 0)}`;
  console.log(`${label.padEnd(52)} ${formatRate(median).padStart(9)} ${unit}  (range ${range})`);
}

async function build(file: string): Promise<void> {
  const storage = await FileStorage.open(file, { fsync: false });
  try {
    for (let first = 0; first < RECORDS; first += PER_TRANSACTION) {
      const txn = txnMeta(`build ${first}`);
      await storage.tpcBegin(txn);
      for (let i = first; i < first + PER_TRANSACTION; i++) await storage.store(p64(i), z64, recordFor(i, 0), txn);
      await storage.tpcVote(txn);
      await storage.tpcFinish(txn);
    }
  } finally {
    await storage.close();
  }
}

async function timeOpen(file: string): Promise<number> {
  const start = performance.now();
  const storage = await FileStorage.open(file, { readOnly: true });
  const elapsed = performance.now() - start;
  if (storage.getLength() !== RECORDS) throw new Error(`expected ${RECORDS} objects, found ${storage.getLength()}`);
  await storage.close();
  return elapsed;
}

async function loadRate(oids: readonly Oid[], inFlight: number, loadOne: (oid: Oid) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < oids.length) await loadOne(oids[next++] ?? z64);
    }),
  );
  return perSecond(oids.length, performance.now() - start);
}

async function benchLoads(storage: FileStorage): Promise<void> {
  const oids = Array.from({ length: LOADS }, () => p64(Math.floor(Math.random() * RECORDS)));
  const load = (oid: Oid): Promise<unknown> => storage.load(oid);
  const loadBefore = (oid: Oid): Promise<unknown> => storage.loadBefore(oid, maxTid);
  await report('random current loads, one at a time', '/s', () => loadRate(oids, 1, load));
  await report(`random current loads, ${CONCURRENCY} in flight`, '/s', () => loadRate(oids, CONCURRENCY, load));
  await report('random loadBefore(oid, maxTid), one at a time', '/s', () => loadRate(oids, 1, loadBefore));
  await report(`random loadBefore(oid, maxTid), ${CONCURRENCY} in flight`, '/s', () => loadRate(oids, CONCURRENCY, loadBefore));
}

// One-object commits for COMMIT_MS from `committers` loops, each on its own
// objects, all queued on the one commit lock.
async function commitRate(file: string, fsync: boolean, committers: number): Promise<number> {
  const storage = await FileStorage.open(file, { fsync, create: true });
  try {
    let commits = 0;
    const deadline = performance.now() + COMMIT_MS;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: committers }, async (_, c) => {
        const serials = new Map<number, Tid>();
        for (let n = 0; performance.now() < deadline; n++) {
          const i = c * 1000 + (n % 1000);
          const txn = txnMeta('one object');
          await storage.tpcBegin(txn);
          await storage.store(p64(i), serials.get(i) ?? z64, recordFor(i, n), txn);
          await storage.tpcVote(txn);
          serials.set(i, await storage.tpcFinish(txn));
          commits += 1;
        }
      }),
    );
    return perSecond(commits, performance.now() - start);
  } finally {
    await storage.close();
  }
}

// Median time of appending a small record and fsyncing, in microseconds.
async function fsyncMicros(file: string, count = 300): Promise<number> {
  const handle = await open(file, 'w');
  try {
    const record = recordFor(1, 1);
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      await handle.write(record, 0, record.length, i * record.length);
      await handle.sync();
      times.push((performance.now() - start) * 1000);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? 0;
  } finally {
    await handle.close();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-bench-fs-'));
  try {
    const file = path.join(dir, 'Data.fs');
    const start = performance.now();
    await build(file);
    const size = (await stat(file)).size;
    console.log(
      `built ${RECORDS.toLocaleString('en-US')} records in ${RECORDS / PER_TRANSACTION} transactions: ` +
        `${(size / 1e6).toFixed(1)} MB in ${(performance.now() - start).toFixed(0)} ms`,
    );

    const records = RECORDS.toLocaleString('en-US');
    await report(`open with the saved index, ${records} records`, 'ms', () => timeOpen(file));
    await rename(`${file}.index`, `${file}.index.aside`);
    await report(`open by a scan (no saved index), ${records} records`, 'ms', () => timeOpen(file));
    await rename(`${file}.index.aside`, `${file}.index`);
    const { pos, index } = parseSavedIndex(await readFile(`${file}.index`));
    await report(`save the index (at close), ${records} oids`, 'ms', async () => {
      const start = performance.now();
      await saveIndex(path.join(path.dirname(file), 'scratch'), pos, index);
      return performance.now() - start;
    });

    const storage = await FileStorage.open(file, { readOnly: true });
    try {
      await benchLoads(storage);
    } finally {
      await storage.close();
    }

    const scratch = path.join(dir, 'commits.fs');
    await report('raw append + fsync latency (median of 300)', 'µs', () => fsyncMicros(path.join(dir, 'fsync.dat')));
    for (const fsync of [true, false]) {
      for (const committers of [1, 4]) {
        const label = `one-object commits, ${committers} committer${committers > 1 ? 's' : ''}, fsync ${fsync ? 'on' : 'off'}`;
        await report(label, '/s', () => commitRate(scratch, fsync, committers));
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
