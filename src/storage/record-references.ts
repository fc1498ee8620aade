/**
 * ZODB's `referencesf`: the oids an object record refers to, which is what
 * a pack's garbage collection follows. Only ordinary references count:
 * weak references (`['w', …]`) and references into other databases
 * (`['m', …]`, `['n', …]`) do not keep their targets alive, as in ZODB.
 */
import { PickleDecoder } from '../pickle/decode.js';
import { Tuple } from '../pickle/values.js';
import type { Oid } from './oid.js';

// Stands in for every referenced object: nothing is built from references.
const REFERENCE = Object.freeze({});

/**
 * The oids `record` (a class pickle and a state pickle) refers to, in the
 * order they appear, duplicates included. Throws `PickleError` when the
 * record is not a valid pair of pickles.
 */
export function recordReferences(record: Buffer): Oid[] {
  const oids: Oid[] = [];
  const persistentLoad = (pid: unknown): unknown => {
    // `(oid, class)` or a bare oid; the list forms are the weak and cross-database ones.
    const oid = pid instanceof Tuple ? pid[0] : Array.isArray(pid) ? undefined : pid;
    if (Buffer.isBuffer(oid) && oid.length === 8) oids.push(Buffer.from(oid));
    // Python 2 records carry oids as str; ASCII ones decode to text.
    else if (typeof oid === 'string' && oid.length === 8) oids.push(Buffer.from(oid, 'latin1'));
    return REFERENCE;
  };
  // Maps for every dict: the decoder never has to replay (and report references twice).
  const decoder = new PickleDecoder(record, { persistentLoad, dicts: 'map' });
  decoder.load();
  decoder.load();
  return oids;
}
