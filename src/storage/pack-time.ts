/**
 * The pack time as a tid, as ZODB computes it:
 * `TimeStamp(*time.gmtime(t)[:5] + (t % 60,))`.
 */
import { PackError } from './errors.js';
import { z64, type Tid } from './oid.js';
import { TimeStamp } from './timestamp.js';

/**
 * The tid of `time` (seconds since the Unix epoch) for a pack of storage
 * `name`; `PackError('Invalid pack time …')` for anything that is not a
 * time a tid can hold (or is the zero tid, as ZODB refuses it).
 */
export function packTid(time: number, name: string): Tid {
  let tid: Tid | undefined;
  if (typeof time === 'number' && Number.isFinite(time)) {
    try {
      tid = TimeStamp.fromTime(time * 1000).raw();
    } catch {
      // Before 1900 or after the last representable minute: as invalid as z64.
    }
  }
  if (tid === undefined || tid.equals(z64)) throw new PackError(`Invalid pack time ${String(time)} for ${name}`);
  return tid;
}
