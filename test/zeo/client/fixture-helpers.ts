// Reading values out of recorded ZEO conversations for the client tests.
import { encodePickle } from '../../../src/pickle/encode.js';
import { p64, u64, type Tid } from '../../../src/storage/oid.js';
import type { TransactionMetaData } from '../../../src/storage/storage.js';
import type { ZeoValue } from '../../../src/zeo/wire/values.js';
import { fromFixtureJson, type WireFixture } from '../../support-zeo/wire-fixtures.js';

/** The decoded message of frame `seq` as a 4-item array. */
export function messageAt(fixture: WireFixture, seq: number): readonly ZeoValue[] {
  const frame = fixture.frames[seq];
  if (frame === undefined || frame.seq !== seq) throw new Error(`${fixture.file} has no frame ${seq}`);
  const value = fromFixtureJson(frame.decoded);
  if (!Array.isArray(value) || value.length !== 4) throw new Error(`${fixture.file} frame ${seq} is not a message`);
  return value;
}

/** Argument `index` of the call in frame `seq`. */
export function argAt(fixture: WireFixture, seq: number, index: number): ZeoValue {
  return ((messageAt(fixture, seq)[3] as readonly ZeoValue[])[index] ?? null) as ZeoValue;
}

/** The result carried by the reply in frame `seq`. */
export function resultAt(fixture: WireFixture, seq: number): ZeoValue {
  return messageAt(fixture, seq)[3] as ZeoValue;
}

/** A value that must be bytes, as a Buffer. */
export function bytes(value: ZeoValue | undefined): Buffer {
  if (!(value instanceof Uint8Array)) throw new Error(`expected bytes, got ${String(value)}`);
  return Buffer.from(value);
}

/** Item `index` of a sequence value. */
export function item(value: ZeoValue, index: number): ZeoValue {
  if (!Array.isArray(value)) throw new Error('expected a sequence');
  return (value as readonly ZeoValue[])[index] as ZeoValue;
}

/** `tid + 1`, as ZODB asks `loadBefore(oid, last tid + 1)`. */
export function after(tid: Tid): Tid {
  return p64(u64(tid) + 1n);
}

/** The transaction metadata of the recorded `tpc_begin` in frame `seq` (user, description, pickled extension). */
export function metaFromTpcBegin(fixture: WireFixture, seq: number): TransactionMetaData {
  const extension = argAt(fixture, seq, 3);
  return {
    user: bytes(argAt(fixture, seq, 1)),
    description: bytes(argAt(fixture, seq, 2)),
    extension: extension instanceof Map && extension.size > 0 ? encodePickle(extension, { protocol: 3 }) : Buffer.alloc(0),
  };
}

/** Settles a promise into its value or error, for asserting on rejections. */
export async function outcome<T>(promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}
