// Moving whole databases between a storage and Python as {oid hex: record hex}.
import type { Storage } from '../../src/storage/storage.js';
import { p64, z64 } from '../../src/storage/oid.js';

/** Hex records keyed by hex oid, the form worker.py exchanges. */
export type HexRecords = Record<string, string>;

/** The current record of every object of a storage whose oids were allocated from 1 up (as DB does). */
export async function storageRecords(storage: Storage): Promise<HexRecords> {
  const out: HexRecords = {};
  for (let i = 0; i < storage.getLength(); i++) {
    const oid = p64(BigInt(i));
    out[oid.toString('hex')] = (await storage.load(oid)).data.toString('hex');
  }
  return out;
}

/** Stores the records in one transaction, as new objects, exactly as given. */
export async function fillStorage(storage: Storage, records: HexRecords): Promise<void> {
  const txn = { user: Buffer.from('/ python'), description: Buffer.from('written by Python'), extension: Buffer.alloc(0) };
  await storage.tpcBegin(txn);
  for (const [oid, data] of Object.entries(records)) await storage.store(Buffer.from(oid, 'hex'), z64, Buffer.from(data, 'hex'), txn);
  await storage.tpcVote(txn);
  await storage.tpcFinish(txn);
}
