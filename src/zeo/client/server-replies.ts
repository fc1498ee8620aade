/**
 * Turning replies of the ZEO server into the storage interface's types,
 * checking their shape and copying bytes out of socket buffers.
 */
import type { Oid, Tid } from '../../storage/oid.js';
import type { HistoryEntry, LoadBeforeResult } from '../../storage/storage.js';
import { ProtocolError, ZEO_ERROR_CODES } from '../errors.js';
import { PyFloat, type ZeoValue } from '../wire/values.js';
import { extensionFromItems } from './transaction-extension.js';

function bad(method: string, what: string): ProtocolError {
  return new ProtocolError(ZEO_ERROR_CODES.badMessage, `the server's reply to ${method} is not ${what}`);
}

function isId(value: ZeoValue | undefined): value is Uint8Array {
  return value instanceof Uint8Array && value.length === 8;
}

/** An 8-byte id, copied. */
export function replyTid(reply: ZeoValue, method: string): Tid {
  if (!isId(reply)) throw bad(method, 'an 8-byte id');
  return Buffer.from(reply);
}

/** Bytes, copied. */
export function replyBytes(reply: ZeoValue, method: string): Buffer {
  if (!(reply instanceof Uint8Array)) throw bad(method, 'bytes');
  return Buffer.from(reply);
}

/** A list of 8-byte ids, copied into one block. */
export function replyIds(reply: ZeoValue, method: string): Oid[] {
  if (!Array.isArray(reply)) throw bad(method, 'a list of ids');
  const ids = reply as readonly ZeoValue[];
  const block = Buffer.allocUnsafe(ids.length * 8);
  return ids.map((id, i) => {
    if (!isId(id)) throw bad(method, 'a list of 8-byte ids');
    block.set(id, i * 8);
    return block.subarray(i * 8, i * 8 + 8);
  });
}

/**
 * `loadBefore`'s reply: `null` (no revision before the tid) or
 * `(data, start, end)`. {@link ServerConnection.loadBefore} already copied
 * the bytes out of the socket buffer.
 */
export function replyLoadBefore(reply: ZeoValue): LoadBeforeResult | null {
  if (reply === null) return null;
  if (Array.isArray(reply) && reply.length === 3) {
    const [data, start, end] = reply as readonly ZeoValue[];
    if (Buffer.isBuffer(data) && isId(start) && (end === null || isId(end))) {
      return { data, serial: start as Buffer, nextSerial: end as Buffer | null };
    }
  }
  throw bad('loadBefore', 'None or (data, start tid, end tid)');
}

/** A conflict handed back by `vote` from a server in client-side conflict-resolution mode. */
export interface VoteConflict {
  /** The object. */
  readonly oid: Oid;
  /** The serial currently committed. */
  readonly committed: Tid;
  /** The serial the transaction started from. */
  readonly old: Tid;
  /** The record the transaction tried to store. */
  readonly data: Buffer;
}

/** `vote`'s reply: oids the server resolved (or undo touched), and conflicts left to the client. */
export function replyVote(reply: ZeoValue): { resolved: Oid[]; conflicts: VoteConflict[] } {
  if (reply === null) return { resolved: [], conflicts: [] };
  if (!Array.isArray(reply)) throw bad('vote', 'a list');
  const resolved: Oid[] = [];
  const conflicts: VoteConflict[] = [];
  for (const item of reply as readonly ZeoValue[]) {
    if (isId(item)) {
      resolved.push(Buffer.from(item));
    } else if (item instanceof Map) {
      const oid = item.get('oid');
      const serials = item.get('serials');
      const data = item.get('data');
      if (!isId(oid) || !Array.isArray(serials) || !isId(serials[0]) || !isId(serials[1]) || !(data instanceof Uint8Array)) {
        throw bad('vote', 'a list of oids and {oid, serials, data} conflicts');
      }
      conflicts.push({ oid: Buffer.from(oid), committed: Buffer.from(serials[0]), old: Buffer.from(serials[1]), data: Buffer.from(data) });
    } else {
      throw bad('vote', 'a list of oids and conflict dicts');
    }
  }
  return { resolved, conflicts };
}

const HISTORY_KEYS = new Set(['time', 'user_name', 'description', 'tid', 'size', 'version']);

function text(value: ZeoValue | undefined): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.alloc(0);
}

/** `history`'s reply: dicts of `time, user_name, description, tid, size` plus extension items. */
export function replyHistory(reply: ZeoValue): HistoryEntry[] {
  if (!Array.isArray(reply)) throw bad('history', 'a list of dicts');
  return (reply as readonly ZeoValue[]).map((item) => {
    if (!(item instanceof Map)) throw bad('history', 'a list of dicts');
    const tid = item.get('tid');
    if (!isId(tid)) throw bad('history', 'a list of dicts with an 8-byte tid');
    const time = item.get('time');
    const size = item.get('size');
    const extension = new Map<ZeoValue, ZeoValue>();
    for (const [key, value] of item) if (typeof key !== 'string' || !HISTORY_KEYS.has(key)) extension.set(key, value);
    return {
      tid: Buffer.from(tid),
      time: time instanceof PyFloat ? time.value : typeof time === 'number' ? time : 0,
      userName: text(item.get('user_name')),
      description: text(item.get('description')),
      extension: extensionFromItems(extension),
      size: typeof size === 'number' ? size : 0,
    };
  });
}
