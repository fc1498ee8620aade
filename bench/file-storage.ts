// FileStorage figures: open (index scan) time of a 100,000-record file,
// random current loads per second, and one-object commits per second with
// fsync on and off. Run: npx tsx bench/file-storage.ts
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { FileStorage } from '../src/storage/file-storage/file-storage.js';
import { p64, z64, type Tid } from '../src/storage/oid.js';
import type { TransactionMetaData } from '../src/storage/storage.js';

const RECORDS = 100_000;
const PER_TRANSACTION = 100;
const LOADS = 50_000;
const CONCURRENCY = 32;

function txnMeta(description: string): TransactionMetaData {
  return { user: Buffer.from('/ bench'), description: Buffer.from(description), extension: Buffer.alloc(0) };
}

// A record about the size of a small ZODB object (class pickle + state).
function recordFor(i: number, revision: number): Buffer {
  const record = Buffer.alloc(120 + (i % 80), 0x20);
  record.write(`80036373616d706c650a4e6f74650a71002e #${i} rev ${revision}`, 'latin1');
  return record;
}

function rate(count: number, ms: number): string {
  return `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;
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

async function benchLoads(storage: FileStorage): Promise<void> {
  const oids = Array.from({ length: LOADS }, () => p64(Math.floor(Math.random() * RECORDS)));
  let start = performance.now();
  for (const oid of oids) await storage.load(oid);
  const sequential = performance.now() - start;
  start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < oids.length) await storage.load(oids[next++] ?? z64);
    }),
  );
  const concurrent = performance.now() - start;
  console.log(`random current loads, one at a time:  ${rate(LOADS, sequential)}`);
  console.log(`random current loads, ${CONCURRENCY} in flight:   ${rate(LOADS, concurrent)}`);
}

async function benchCommits(file: string, fsync: boolean, count: number): Promise<void> {
  const storage = await FileStorage.open(file, { fsync });
  try {
    const serials = new Map<number, Tid>();
    const start = performance.now();
    for (let n = 0; n < count; n++) {
      const i = n % 1000;
      const txn = txnMeta('one object');
      await storage.tpcBegin(txn);
      await storage.store(p64(i), serials.get(i) ?? z64, recordFor(i, n), txn);
      await storage.tpcVote(txn);
      serials.set(i, await storage.tpcFinish(txn));
    }
    const elapsed = performance.now() - start;
    console.log(`one-object commits, fsync ${fsync ? 'on: ' : 'off:'}      ${rate(count, elapsed)} (${count} commits)`);
  } finally {
    await storage.close();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-bench-fs-'));
  try {
    const file = path.join(dir, 'Data.fs');
    let start = performance.now();
    await build(file);
    const size = (await stat(file)).size;
    console.log(`built ${RECORDS.toLocaleString('en-US')} records in ${RECORDS / PER_TRANSACTION} transactions: ` +
      `${(size / 1e6).toFixed(1)} MB in ${(performance.now() - start).toFixed(0)} ms`);

    const opens = [await timeOpen(file), await timeOpen(file), await timeOpen(file)].sort((a, b) => a - b);
    console.log(`open (index scan) of ${RECORDS.toLocaleString('en-US')} records: ${opens[1]?.toFixed(1)} ms (median of 3)`);

    const storage = await FileStorage.open(file, { readOnly: true });
    try {
      await benchLoads(storage);
    } finally {
      await storage.close();
    }

    start = performance.now();
    await benchCommits(path.join(dir, 'synced.fs'), true, 300);
    await benchCommits(path.join(dir, 'unsynced.fs'), false, 5000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
