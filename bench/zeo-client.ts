// ClientStorage against a ZEO server on loopback: cache-miss load latency
// and throughput with 1 and 16 concurrent callers (pipelined on one
// connection), commits/s of one-object transactions, and pickle codec
// throughput on the fixture records.
//
// Run: npx tsx bench/zeo-client.ts
//   ZEO_BENCH_SERVER=host:port  use a running server (storage '1') instead
//                               of starting our own in a child process
//   ZEO_BENCH_ENCODING=auto|msgpack|pickle   client encoding (default auto)
//   ZEO_BENCH_SECONDS=3         duration of each throughput phase
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeRecord } from '../src/pickle/decode.js';
import { encodeRecord } from '../src/pickle/encode.js';
import { PyGlobal } from '../src/pickle/values.js';
import { p64, z64, type Oid } from '../src/storage/oid.js';
import { ClientStorage } from '../src/zeo/client/client-storage.js';
import type { ClientEncoding } from '../src/zeo/client/options.js';
import { msSince, report, summarize } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SECONDS = Number(process.env.ZEO_BENCH_SECONDS ?? 3);
const ENCODING = (process.env.ZEO_BENCH_ENCODING ?? 'auto') as ClientEncoding;
const OBJECTS = 2000;

/** The server side, when this script is started with `--serve`: our StorageServer on a MappingStorage. */
async function serve(): Promise<void> {
  const { MappingStorage } = await import('../src/storage/mapping-storage.js');
  const { StorageServer } = await import('../src/server/storage-server.js');
  const server = await StorageServer.create({ storages: { '1': new MappingStorage() }, msgpack: ENCODING !== 'pickle' });
  const bound = await server.listen({ family: 'ipv4', host: '127.0.0.1', port: 0 });
  if (bound.family === 'unix') throw new Error('expected a TCP address');
  process.stdout.write(`LISTENING 127.0.0.1:${bound.port}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

async function startServer(): Promise<{ address: string; child?: ChildProcess }> {
  const given = process.env.ZEO_BENCH_SERVER;
  if (given !== undefined && given !== '') return { address: given };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'zeo-client.ts'), '--serve'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env },
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\S+)/.exec(out);
      if (match !== null) resolve(match[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { address, child };
}

const PERSISTENT_MAPPING = new PyGlobal('persistent.mapping', 'PersistentMapping');

/** A record like ZODB writes for a small PersistentMapping (~150 bytes). */
function record(i: number): Buffer {
  return encodeRecord(
    PERSISTENT_MAPPING,
    new Map([['data', new Map<string, unknown>([['counter', i], ['name', `object number ${i}`]])]]),
  );
}

async function populate(storage: ClientStorage): Promise<Oid[]> {
  const oids: Oid[] = [];
  for (let batch = 0; batch < OBJECTS / 100; batch++) {
    const txn = { user: Buffer.from('bench'), description: Buffer.from('populate'), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    for (let i = 0; i < 100; i++) {
      const oid = batch === 0 && i === 0 ? z64 : await storage.newOid();
      await storage.store(oid, z64, record(oids.length), txn);
      oids.push(oid);
    }
    await storage.tpcVote(txn);
    await storage.tpcFinish(txn);
  }
  return oids;
}

async function loadLatency(storage: ClientStorage, oids: readonly Oid[]): Promise<void> {
  const samples: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  let i = 0;
  const start = process.hrtime.bigint();
  while (Date.now() < deadline) {
    for (let k = 0; k < 200; k++) {
      const t = process.hrtime.bigint();
      await storage.load(oids[i++ % oids.length] as Oid);
      samples.push(msSince(t) * 1000);
    }
  }
  const seconds = msSince(start) / 1000;
  const s = summarize(samples);
  report('cache-miss load, 1 caller: median', s.median, 'µs');
  report('cache-miss load, 1 caller: p99', s.p99, 'µs');
  report('cache-miss load, 1 caller: throughput', samples.length / seconds, 'loads/s', 0);
}

async function concurrentLoads(storage: ClientStorage, oids: readonly Oid[], callers: number): Promise<void> {
  const samples: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  let total = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      let i = c * 97;
      while (Date.now() < deadline) {
        const t = process.hrtime.bigint();
        await storage.load(oids[i++ % oids.length] as Oid);
        if ((i & 7) === 0) samples.push(msSince(t) * 1000);
        total++;
      }
    }),
  );
  const seconds = msSince(start) / 1000;
  const s = summarize(samples);
  report(`cache-miss load, ${callers} callers: throughput`, total / seconds, 'loads/s', 0);
  report(`cache-miss load, ${callers} callers: median latency`, s.median, 'µs');
  report(`cache-miss load, ${callers} callers: p99 latency`, s.p99, 'µs');
}

async function commits(storage: ClientStorage): Promise<void> {
  const oid = p64(1);
  let serial = (await storage.load(oid)).serial;
  const samples: number[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  const start = process.hrtime.bigint();
  let n = 0;
  while (Date.now() < deadline) {
    const t = process.hrtime.bigint();
    const txn = { user: Buffer.from('bench'), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
    await storage.tpcBegin(txn);
    await storage.store(oid, serial, record(n++), txn);
    await storage.tpcVote(txn);
    serial = await storage.tpcFinish(txn);
    samples.push(msSince(t) * 1000);
  }
  const s = summarize(samples);
  report('one-object commit: throughput', samples.length / (msSince(start) / 1000), 'commits/s', 0);
  report('one-object commit: median', s.median, 'µs');
}

function picklePhase(): void {
  const fixtures = JSON.parse(readFileSync(path.resolve(here, '..', '..', 'shared', 'fixtures', 'zodb', 'pickles.json'), 'utf8')) as {
    zodb_records: { class_pickle_hex: string; state_pickle_hex: string }[];
  };
  const records = fixtures.zodb_records.map((r) => Buffer.from(r.class_pickle_hex + r.state_pickle_hex, 'hex'));
  const bytes = records.reduce((sum, r) => sum + r.length, 0);
  const persistentLoad = (pid: unknown): unknown => pid;
  const decoded = records.map((r) => decodeRecord(r, { persistentLoad }));
  const rounds = 20_000;
  let start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const r of records) decodeRecord(r, { persistentLoad });
  report('pickle decode of the zodb fixture records', (bytes * rounds) / (msSince(start) / 1000) / 1e6, 'MB/s');
  const reencodable = decoded.filter((d) => {
    try {
      encodeRecord(d.classMeta, d.state);
      return true;
    } catch {
      return false;
    }
  });
  const encodedBytes = reencodable.reduce((sum, d) => sum + encodeRecord(d.classMeta, d.state).length, 0);
  start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const d of reencodable) encodeRecord(d.classMeta, d.state);
  report(`pickle encode (${reencodable.length} of ${records.length} records)`, (encodedBytes * rounds) / (msSince(start) / 1000) / 1e6, 'MB/s');
}

async function main(): Promise<void> {
  const { address, child } = await startServer();
  try {
    console.log(`server ${address}${child === undefined ? '' : ' (our StorageServer in a child process)'}, client encoding ${ENCODING}`);
    const writer = await ClientStorage.open({ addresses: [address], encoding: ENCODING });
    const oids = await populate(writer);
    // No cache: every load is a miss and goes to the server.
    const reader = await ClientStorage.open({ addresses: [address], encoding: ENCODING, cacheSize: 0 });
    for (let i = 0; i < 2000; i++) await reader.load(oids[i % oids.length] as Oid); // warm-up
    await loadLatency(reader, oids);
    await concurrentLoads(reader, oids, 1);
    await concurrentLoads(reader, oids, 16);
    await commits(writer);
    await reader.close();
    await writer.close();
    picklePhase();
  } finally {
    child?.stdin?.end();
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
