// Shared helpers of the storage tests: fixture paths, temp dirs, a recording
// logger, a one-call commit, and object records that refer to others.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodeRecord } from '../../src/pickle/encode.js';
import { PyGlobal, tuple } from '../../src/pickle/values.js';
import type { Oid, Tid } from '../../src/storage/oid.js';
import type { Storage, TransactionMetaData } from '../../src/storage/storage.js';
import { TimeStamp } from '../../src/storage/timestamp.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixturesDir = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'zodb');
export const sampleFsPath = path.join(fixturesDir, 'sample.fs');

export interface ExpectedTransaction {
  tid: string;
  tid_time_utc: string;
  pos: number;
  length: number;
  status: string;
  user: string;
  description: string;
  extension_hex: string;
  header_hex: string;
  oids: string[];
}

export interface ExpectedRecord {
  oid: string;
  tid: string;
  prev_pos: number;
  pos: number;
  txn_pos: number;
  data_length: number;
  header_hex: string;
  class: string;
  data_hex: string;
}

export interface SampleExpected {
  file_size: number;
  file_sha256: string;
  magic: string;
  transactions: ExpectedTransaction[];
  records: ExpectedRecord[];
}

export async function loadSampleExpected(): Promise<SampleExpected> {
  return JSON.parse(await readFile(path.join(fixturesDir, 'sample.expected.json'), 'utf8')) as SampleExpected;
}

export function hex(value: string): Buffer {
  return Buffer.from(value, 'hex');
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Registers mocha hooks giving each test a fresh temp dir, removed afterwards. */
export function useTempDir(): () => string {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-storage-'));
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error('temp dir used outside a test');
    return dir;
  };
}

export { recordingLogger, type LogEntry } from '../support/logger.js';

export function meta(user = '', description = '', extension: Buffer = Buffer.alloc(0)): TransactionMetaData {
  return { user: Buffer.from(user), description: Buffer.from(description), extension };
}

/** Stores `[oid, serial, data]` triples in one transaction and returns its tid. */
export async function commit(
  storage: Storage,
  stores: ReadonlyArray<readonly [Oid, Tid, Buffer]>,
  txn: TransactionMetaData = meta(),
): Promise<Tid> {
  await storage.tpcBegin(txn);
  try {
    for (const [oid, serial, data] of stores) await storage.store(oid, serial, data, txn);
    await storage.tpcVote(txn);
    return await storage.tpcFinish(txn);
  } catch (error) {
    await storage.tpcAbort(txn);
    throw error;
  }
}

/** A controllable clock for tid allocation, in ms since the epoch. */
export class ManualClock {
  now: number;
  constructor(start = Date.UTC(2026, 0, 2, 3, 4, 5)) {
    this.now = start;
  }
  readonly read = (): number => this.now;
}

/**
 * Runs a TypeScript snippet in a separate Node process (through tsx) with
 * the source module URLs it needs; resolves with its stdout once it prints
 * `marker`, leaving it running, and returns a function that ends it.
 */
export async function runChild(
  dir: string,
  source: string,
  marker: string,
): Promise<{ output: string; pid: number; exited: Promise<number | null>; stop: () => Promise<void> }> {
  const script = path.join(dir, `child-${Date.now()}.mts`);
  const fileStorageUrl = pathToFileURL(path.join(repoRoot, 'src/storage/file-storage/file-storage.ts')).href;
  await writeFile(script, `import { FileStorage } from ${JSON.stringify(fileStorageUrl)};\n${source}\n`);
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(marker)) resolve();
    });
    void exited.then((code) => {
      if (!output.includes(marker)) reject(new Error(`child exited (${code}) before ${marker}: ${errors}`));
    });
  });
  return {
    output,
    pid: child.pid ?? -1,
    exited,
    stop: async () => {
      child.stdin.end();
      await exited;
    },
  };
}

/** Awaits `work`, which must fail with an instance of `type` (and a message matching `pattern`); returns the error. */
export async function rejects<E extends Error>(
  work: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
  pattern?: RegExp,
): Promise<E> {
  let outcome: { error: unknown } | undefined;
  try {
    await work;
  } catch (error) {
    outcome = { error };
  }
  if (outcome === undefined) throw new Error(`expected a rejection with ${type.name}, but it resolved`);
  if (!(outcome.error instanceof type)) {
    throw new Error(`expected ${type.name}, got ${String(outcome.error)}`, { cause: outcome.error });
  }
  if (pattern !== undefined && !pattern.test(outcome.error.message)) {
    throw new Error(`expected the ${type.name} message to match ${pattern}, got: ${outcome.error.message}`);
  }
  return outcome.error;
}

const MAPPING = new PyGlobal('persistent.mapping', 'PersistentMapping');

class PersistentId {
  constructor(readonly pid: unknown) {}
}

/**
 * A PersistentMapping record (as ZODB writes it) referring to `refs` and
 * weakly to `weak`; `filler` changes its bytes and size.
 */
export function objectRecord(refs: readonly Oid[] = [], weak: readonly Oid[] = [], filler = ''): Buffer {
  const data: Record<string, unknown> = { filler };
  refs.forEach((oid, i) => (data[`r${i}`] = new PersistentId(tuple(oid, MAPPING))));
  weak.forEach((oid, i) => (data[`w${i}`] = new PersistentId(['w', tuple(oid)])));
  return encodeRecord(MAPPING, { data }, { persistentId: (value) => (value instanceof PersistentId ? value.pid : undefined) });
}

/** Seconds since the epoch halfway between two tids (a pack time between them). */
export function timeBetween(earlier: Tid, later: Tid): number {
  return (TimeStamp.fromBytes(earlier).timeTime() + TimeStamp.fromBytes(later).timeTime()) / 2;
}

/** A second after `tid`, in seconds since the epoch (a pack time after it). */
export function timeAfter(tid: Tid): number {
  return TimeStamp.fromBytes(tid).timeTime() + 1;
}
