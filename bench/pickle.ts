/**
 * Pickle codec throughput on the golden fixtures: the ZODB records of
 * shared/fixtures/zodb (pickles.json zodb_records + sample.expected.json
 * records) and the pickle-mode ZEO frames of shared/fixtures/zeo-wire.
 *
 * Run: npx tsx bench/pickle.ts
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePickle, decodeRecord } from '../src/pickle/decode.js';
import { encodePickle, encodeRecord } from '../src/pickle/encode.js';

const shared = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'fixtures');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

const records: Buffer[] = [];
for (const r of readJson(path.join(shared, 'zodb', 'pickles.json')).zodb_records as Array<{ data_hex: string }>) {
  records.push(Buffer.from(r.data_hex, 'hex'));
}
for (const r of readJson(path.join(shared, 'zodb', 'sample.expected.json')).records as Array<{ data_hex: string }>) {
  records.push(Buffer.from(r.data_hex, 'hex'));
}
const frames: Buffer[] = [];
for (const file of readdirSync(path.join(shared, 'zeo-wire')).filter((f) => f.endsWith('.pickle.json'))) {
  for (const f of readJson(path.join(shared, 'zeo-wire', file)).frames as Array<{ hex: string }>) {
    if (f.hex.startsWith('8003')) frames.push(Buffer.from(f.hex, 'hex'));
  }
}

/** A persistent reference kept as its raw pid, so records re-encode unchanged. */
class Ref {
  constructor(readonly pid: unknown) {}
}
const persistentLoad = (pid: unknown): Ref => new Ref(pid);
const persistentId = (value: object): unknown => (value instanceof Ref ? value.pid : undefined);

const recordValues = records.map((r) => decodeRecord(r, { persistentLoad }));
const frameValues = frames.map((f) => decodePickle(f));
const totalBytes = (bufs: Buffer[]): number => bufs.reduce((n, b) => n + b.length, 0);

/** Runs `pass` (one pass over the corpus) until at least `minMs` elapsed, after a warm-up; returns MB/s and µs/item. */
function measure(bytesPerPass: number, itemsPerPass: number, pass: () => void, minMs = 1500): { mbps: number; usPerItem: number } {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) pass();
  let passes = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    for (let i = 0; i < 50; i++) pass();
    passes += 50;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return { mbps: (bytesPerPass * passes) / 1e6 / (elapsed / 1000), usPerItem: (elapsed * 1000) / (passes * itemsPerPass) };
}

let sink = 0;
const rows: Array<[string, number, number, { mbps: number; usPerItem: number }]> = [];
const recordBytes = totalBytes(records);
const frameBytes = totalBytes(frames);

rows.push(['decode ZODB records', records.length, recordBytes, measure(recordBytes, records.length, () => {
  for (const r of records) sink += decodeRecord(r, { persistentLoad }).state === undefined ? 0 : 1;
})]);
rows.push(['encode ZODB records', records.length, recordBytes, measure(recordBytes, records.length, () => {
  for (const r of recordValues) sink += encodeRecord(r.classMeta, r.state, { persistentId }).length;
})]);
rows.push(['decode ZEO frames', frames.length, frameBytes, measure(frameBytes, frames.length, () => {
  for (const f of frames) sink += decodePickle(f) === undefined ? 0 : 1;
})]);
rows.push(['encode ZEO frames (fast mode)', frames.length, frameBytes, measure(frameBytes, frames.length, () => {
  for (const v of frameValues) sink += encodePickle(v, { memoize: false }).length;
})]);

console.log(`pickle codec, Node ${process.version}`);
console.log('corpus'.padEnd(32), 'items'.padStart(6), 'bytes'.padStart(8), 'MB/s'.padStart(8), 'µs/item'.padStart(9));
for (const [name, items, bytes, { mbps, usPerItem }] of rows) {
  console.log(name.padEnd(32), String(items).padStart(6), String(bytes).padStart(8), mbps.toFixed(1).padStart(8), usPerItem.toFixed(2).padStart(9));
}
if (sink === -1) console.log(sink);
