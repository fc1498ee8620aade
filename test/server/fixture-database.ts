// Rebuilds, from a recorded ZEO conversation, what the recorded server's
// database held: the transactions written outside the server (before it
// started, or while it was stopped), and the tids the server gave its own
// commits, so that a replay against our server can expect the same tids.
import type { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import type { Storage, TpcBeginOptions, TransactionMetaData } from '../../src/storage/storage.js';
import { fromFixtureJson, isSpecialFrame, type WireFixture } from '../support-zeo/wire-fixtures.js';
import type { ZeoValue } from '../../src/zeo/wire/values.js';

export interface Revision {
  readonly oid: Buffer;
  readonly tid: Buffer;
  /** The record, or undefined when the recording never shows it (only its tid, as an end tid). */
  data: Buffer | undefined;
}

export interface OutsideTransaction {
  readonly tid: Buffer;
  readonly revisions: Revision[];
}

export interface FixtureDatabase {
  /** Transactions not committed through the server, in tid order. */
  readonly outside: OutsideTransaction[];
  /** The tids of the server's commits (tpc_finish replies), in order. */
  readonly serverTids: Buffer[];
}

/** An empty PersistentMapping record, for objects the recording never shows. */
const PLACEHOLDER_RECORD = Buffer.from(
  '80036370657273697374656e742e6d617070696e670a50657273697374656e744d617070696e670a71002e80037d710158040000006461746171027d7103732e',
  'hex',
);

function message(frame: { decoded: unknown }): readonly ZeoValue[] | undefined {
  const value = fromFixtureJson(frame.decoded);
  return Array.isArray(value) ? (value as readonly ZeoValue[]) : undefined;
}

/** Derives the database history the recording implies. */
export function fixtureDatabase(fixture: WireFixture): FixtureDatabase {
  const calls = new Map<string, string>(); // conn/msgid → method, to find tpc_finish replies
  const serverTids: Buffer[] = [];
  const lastTids: Buffer[] = [];
  const revisions = new Map<string, Revision>();
  const note = (oid: Buffer, tid: Buffer, data: Buffer | undefined): void => {
    const key = `${oid.toString('hex')}/${tid.toString('hex')}`;
    const known = revisions.get(key);
    if (known === undefined) revisions.set(key, { oid, tid, data });
    else if (known.data === undefined) known.data = data;
  };
  for (const frame of fixture.frames) {
    if (isSpecialFrame(frame)) continue;
    const msg = message(frame);
    if (msg === undefined) continue;
    const [msgid, , name, args] = msg;
    const key = `${frame.conn}/${JSON.stringify(frame.decoded && (frame.decoded as unknown[])[0])}`;
    if (frame.dir === 'c2s') {
      calls.set(key, name as string);
      continue;
    }
    if (name !== '.reply' || msg[1] !== 0) continue;
    const method = calls.get(key);
    if (method === 'tpc_finish' && args instanceof Uint8Array) serverTids.push(Buffer.from(args));
    if ((method === 'register' || method === 'lastTransaction') && args instanceof Uint8Array) lastTids.push(Buffer.from(args));
    if (method === 'loadBefore' && Array.isArray(args) && Array.isArray(msgid)) {
      const [data, start, end] = args as readonly ZeoValue[];
      const oid = Buffer.from((msgid as readonly ZeoValue[])[0] as Uint8Array);
      note(oid, Buffer.from(start as Uint8Array), Buffer.from(data as Uint8Array));
      if (end instanceof Uint8Array) note(oid, Buffer.from(end), undefined);
    }
  }
  const fromServer = new Set(serverTids.map((t) => t.toString('hex')));
  // A last tid whose transaction the recording never shows: give it an object of its own.
  for (const tid of lastTids) {
    const hex = tid.toString('hex');
    const seen = fromServer.has(hex) || [...revisions.values()].some((r) => r.tid.equals(tid));
    if (!seen && !tid.equals(Buffer.alloc(8))) note(Buffer.alloc(8), tid, PLACEHOLDER_RECORD);
  }
  const byTid = new Map<string, OutsideTransaction>();
  for (const revision of revisions.values()) {
    const hex = revision.tid.toString('hex');
    if (fromServer.has(hex)) continue;
    let txn = byTid.get(hex);
    if (txn === undefined) byTid.set(hex, (txn = { tid: revision.tid, revisions: [] }));
    txn.revisions.push(revision);
  }
  const outside = [...byTid.values()].sort((a, b) => a.tid.compare(b.tid));
  // A revision seen only as an end tid: any record will do, the recording never reads it.
  for (const txn of outside) {
    for (const revision of txn.revisions) {
      revision.data ??= [...revisions.values()].find((r) => r.oid.equals(revision.oid) && r.data !== undefined)?.data;
    }
  }
  return { outside, serverTids };
}

/** Commits `txn` directly to `storage` with its recorded tid. */
export async function writeOutside(storage: Storage, txn: OutsideTransaction): Promise<void> {
  const meta: TransactionMetaData = { user: Buffer.alloc(0), description: Buffer.alloc(0), extension: Buffer.alloc(0) };
  await storage.tpcBegin(meta, { tid: txn.tid });
  for (const revision of txn.revisions) {
    let serial: Buffer = Buffer.alloc(8);
    try {
      serial = await storage.getTid(revision.oid);
    } catch {
      // a new object
    }
    await storage.store(revision.oid, serial, revision.data as Buffer, meta);
  }
  await storage.tpcVote(meta);
  await storage.tpcFinish(meta);
}

/**
 * `storage`, except that each commit gets the next tid of `tids` (shared
 * between restarts; a tid is used up only by a successful finish), as the
 * recorded server chose them.
 */
export function withScriptedTids(storage: FileStorage, tids: Buffer[]): Storage {
  return new Proxy(storage, {
    get(target, property) {
      if (property === 'tpcBegin') {
        return (txn: TransactionMetaData, options: TpcBeginOptions = {}) => {
          const tid = tids[0];
          if (tid === undefined) return Promise.reject(new Error('the recording has no tid left for this commit'));
          return target.tpcBegin(txn, { ...options, tid });
        };
      }
      if (property === 'tpcFinish') {
        return async (txn: TransactionMetaData) => {
          const tid = await target.tpcFinish(txn);
          if (tids[0]?.equals(tid)) tids.shift();
          return tid;
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  }) as unknown as Storage;
}
