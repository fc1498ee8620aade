/**
 * Cache verification on (re)connection, exactly as ZEO 5/6 clients do it
 * (protocol §10.4): compare the cache's last tid with the server's, and
 * bring the cache up to date with `getInvalidations` or drop it.
 */
import type { Logger } from '../../logger.js';
import { idToHex, type Oid, type Tid, z64 } from '../../storage/oid.js';
import type { ZeoValue } from '../wire/values.js';
import type { ClientCache } from './client-cache.js';
import { CacheNewerThanServerError } from './errors.js';

/** What verification found, with the labels ZEO's client uses (`verify_result`). */
export const VERIFICATION_OUTCOMES = Object.freeze({
  /** The cache held nothing; nothing to do. */
  emptyCache: 'empty cache',
  /** The cache held revisions but no last tid: it was cleared. */
  noLastTid: 'Non-empty cache w/o tid',
  /** The cache had seen exactly the server's last transaction. */
  upToDate: 'Cache up to date',
  /** `getInvalidations` listed what changed; those oids were forgotten. */
  quick: 'quick verification',
  /** The server could not say what changed: the cache was cleared. */
  tooOld: 'cache too old, clearing',
} as const);

/** One of the strings in {@link VERIFICATION_OUTCOMES}. */
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[keyof typeof VERIFICATION_OUTCOMES];

/** The result of {@link verifyCache}. */
export interface CacheVerification {
  /** What was found. */
  readonly outcome: VerificationOutcome;
  /**
   * The tid the cache is now up to date with: the server's last tid, or
   * the newer tid `getInvalidations` answered with.
   */
  readonly tid: Tid;
  /** Whether every cached revision was dropped. */
  readonly cleared: boolean;
  /** For a quick verification: the oids changed since the cache's last tid. */
  readonly invalidated: readonly Oid[];
}

/**
 * Verifies `cache` against a server whose last transaction is `serverTid`.
 * Calls `getInvalidations(cacheTid)` only when the cache is behind. The
 * caller reports the result and then sets the cache's last tid to the
 * result's `tid` (ZODB wants `lastTransaction` to move only after the
 * invalidations were processed).
 * @throws CacheNewerThanServerError if the cache has seen a later
 *   transaction than the server (the connection must not be used).
 */
export async function verifyCache(
  cache: ClientCache,
  serverTid: Tid,
  getInvalidations: (since: Tid) => Promise<ZeoValue>,
  where: { readonly address: string; readonly logger: Logger; readonly name: string },
): Promise<CacheVerification> {
  const done = (outcome: VerificationOutcome, tid: Tid, cleared: boolean, invalidated: readonly Oid[] = []): CacheVerification => ({
    outcome,
    tid,
    cleared,
    invalidated,
  });
  if (cache.count === 0) return done(VERIFICATION_OUTCOMES.emptyCache, serverTid, false);
  const cacheTid = cache.lastTid;
  if (cacheTid === null || cacheTid.equals(z64)) {
    where.logger.error('Non-empty cache w/o tid -- clearing');
    cache.clear();
    return done(VERIFICATION_OUTCOMES.noLastTid, serverTid, true);
  }
  const order = Buffer.compare(cacheTid, serverTid);
  if (order > 0) {
    where.logger.error(
      { cacheTid: idToHex(cacheTid), serverTid: idToHex(serverTid), address: where.address },
      'Client cache is out of sync with the server. Verify that this is expected and then remove the cache file ' +
        '(usually a .zec file) before restarting the server.',
    );
    throw new CacheNewerThanServerError(cacheTid, serverTid, where.address);
  }
  if (order === 0) return done(VERIFICATION_OUTCOMES.upToDate, serverTid, false);
  const reply = await getInvalidations(cacheTid);
  const parsed = parseInvalidations(reply);
  if (parsed === undefined) {
    where.logger.error(`${where.name} dropping stale cache`);
    cache.clear();
    return done(VERIFICATION_OUTCOMES.tooOld, serverTid, true);
  }
  for (const oid of parsed.oids) cache.forget(oid);
  return done(VERIFICATION_OUTCOMES.quick, parsed.tid, false, parsed.oids);
}

/** `getInvalidations`' reply `(tid, [oid, …])`, with copies of the ids; undefined for `None` or anything unexpected. */
function parseInvalidations(reply: ZeoValue): { tid: Tid; oids: Oid[] } | undefined {
  if (!Array.isArray(reply) || reply.length !== 2) return undefined;
  const [tid, oids] = reply as readonly ZeoValue[];
  if (!(tid instanceof Uint8Array) || tid.length !== 8 || !Array.isArray(oids)) return undefined;
  const copies: Oid[] = [];
  for (const oid of oids as readonly ZeoValue[]) {
    if (!(oid instanceof Uint8Array) || oid.length !== 8) return undefined;
    copies.push(Buffer.from(oid));
  }
  return { tid: Buffer.from(tid), oids: copies };
}
