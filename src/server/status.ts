/**
 * The status report of `server_status` and of the pickle-free `ruok`
 * request: the same fields, in the same order and format, as the Python
 * server (`StorageServer.server_status`, `json.dumps` of the `ruok` dict).
 */
import type { Tid } from '../storage/oid.js';
import { PyFloat, type ZeoValue } from '../zeo/wire/values.js';
import type { StorageStats } from './server-stats.js';

/** The status of one served storage. */
export interface StorageStatus {
  /** Registered connections. */
  readonly connections: number;
  /** `loadBefore` calls answered. */
  readonly loads: number;
  /** Objects queued for storing. */
  readonly stores: number;
  /** Transactions finished. */
  readonly commits: number;
  /** Transactions aborted. */
  readonly aborts: number;
  /** Transactions between `tpc_begin` and finish/abort. */
  readonly activeTxns: number;
  /** When the commit lock was taken, seconds since the epoch, or `null`. */
  readonly lockTime: number | null;
  /** Votes that failed with a conflict. */
  readonly conflicts: number;
  /** Conflicts resolved by the storage. */
  readonly conflictsResolved: number;
  /** Server start, formatted like Python's `time.ctime()`. */
  readonly start: string;
  /** Votes waiting for the commit lock. */
  readonly waiting: number;
  /** `'stub'` without a transaction timeout, otherwise whether the timeout watch runs (always true here). */
  readonly timeoutThreadIsAlive: 'stub' | boolean;
  /** Hex of the storage's last transaction id. */
  readonly lastTransaction: string;
}

/** What a status is computed from. */
export interface StatusSource {
  /** The storage's counters. */
  readonly stats: StorageStats;
  /** Registered connections. */
  readonly connections: number;
  /** Votes waiting for the commit lock. */
  readonly waiting: number;
  /** Whether a transaction timeout is configured. */
  readonly hasTransactionTimeout: boolean;
  /** The storage's last transaction. */
  readonly lastTransaction: Tid;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Python's `time.ctime(ms / 1000)`: local time, e.g. `Sat Nov 21 07:46:39 2026` (day padded with a space). */
export function formatCtime(ms: number): string {
  const d = new Date(ms);
  const day = String(d.getDate()).padStart(2, ' ');
  const time = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${day} ${time} ${d.getFullYear()}`;
}

/** Builds the status of one storage. */
export function storageStatus(source: StatusSource): StorageStatus {
  const { stats } = source;
  return {
    connections: source.connections,
    loads: stats.loads,
    stores: stats.stores,
    commits: stats.commits,
    aborts: stats.aborts,
    activeTxns: stats.activeTxns,
    lockTime: stats.lockTimeMs === null ? null : stats.lockTimeMs / 1000,
    conflicts: stats.conflicts,
    conflictsResolved: stats.conflictsResolved,
    start: formatCtime(stats.startMs),
    waiting: source.waiting,
    timeoutThreadIsAlive: source.hasTransactionTimeout ? true : 'stub',
    lastTransaction: source.lastTransaction.toString('hex'),
  };
}

/** The status as Python's dict: its keys, in its order (`lock_time` a float or `None`). */
function statusEntries(status: StorageStatus): Array<[string, number | string | boolean | null]> {
  return [
    ['connections', status.connections],
    ['loads', status.loads],
    ['stores', status.stores],
    ['commits', status.commits],
    ['aborts', status.aborts],
    ['active_txns', status.activeTxns],
    ['lock_time', status.lockTime],
    ['conflicts', status.conflicts],
    ['conflicts_resolved', status.conflictsResolved],
    ['start', status.start],
    ['waiting', status.waiting],
    ['timeout-thread-is-alive', status.timeoutThreadIsAlive],
    ['last-transaction', status.lastTransaction],
  ];
}

/** The `server_status()` reply: a dict with Python's keys and order. */
export function statusToWire(status: StorageStatus): ReadonlyMap<ZeoValue, ZeoValue> {
  return new Map<ZeoValue, ZeoValue>(
    statusEntries(status).map(([key, value]) => [key, key === 'lock_time' && typeof value === 'number' ? pythonFloat(value) : value]),
  );
}

/** A float for the wire: integral values must stay floats (`1.0`), as in Python. */
function pythonFloat(value: number): ZeoValue {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

/** Python's `repr` of a float (shortest round trip, `.0` on integral values). */
function floatRepr(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value);
}

/** `json.dumps` of a str with `ensure_ascii`: JSON.stringify plus `\uXXXX` for non-ASCII. */
function jsonString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function jsonValue(key: string, value: number | string | boolean | null): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return key === 'lock_time' ? floatRepr(value) : String(value);
}

/**
 * The `ruok` answer: `json.dumps({name: status, …})` exactly as Python
 * writes it (separators `", "` and `": "`, ASCII only).
 */
export function ruokJson(statuses: ReadonlyMap<string, StorageStatus>): string {
  const storages = [...statuses].map(([name, status]) => {
    const fields = statusEntries(status).map(([key, value]) => `${jsonString(key)}: ${jsonValue(key, value)}`);
    return `${jsonString(name)}: {${fields.join(', ')}}`;
  });
  return `{${storages.join(', ')}}`;
}
