import { expect } from 'chai';
import { silentLogger } from '../../../src/logger.js';
import { p64, z64 } from '../../../src/storage/oid.js';
import { VERIFICATION_OUTCOMES, verifyCache } from '../../../src/zeo/client/cache-verification.js';
import { ClientCache } from '../../../src/zeo/client/client-cache.js';
import { CacheNewerThanServerError } from '../../../src/zeo/client/errors.js';
import type { ZeoValue } from '../../../src/zeo/wire/values.js';
import { outcome } from './fixture-helpers.js';

const t = (n: number): Buffer => p64(n);
const where = { address: 'test:1', logger: silentLogger, name: 'test' };

/** A getInvalidations stand-in that records what it was asked. */
function server(reply: ZeoValue): { asked: Buffer[]; call: (since: Buffer) => Promise<ZeoValue> } {
  const asked: Buffer[] = [];
  return { asked, call: async (since) => (asked.push(since), reply) };
}

function cacheWith(lastTid: number | null): ClientCache {
  const cache = new ClientCache(1 << 20);
  cache.store(p64(1), t(5), null, Buffer.from('one'));
  cache.store(p64(2), t(6), null, Buffer.from('two'));
  cache.store(p64(2), t(3), t(6), Buffer.from('two, older'));
  if (lastTid !== null) cache.setLastTid(t(lastTid));
  return cache;
}

describe('zeo/client verifyCache (protocol §10.4)', () => {
  it('does nothing for an empty cache and answers with the server tid', async () => {
    const cache = new ClientCache(1000);
    const s = server(null);
    const result = await verifyCache(cache, t(50), s.call, where);
    expect(result.outcome).to.equal(VERIFICATION_OUTCOMES.emptyCache);
    expect(result.tid).to.deep.equal(t(50));
    expect(s.asked).to.deep.equal([]);
    expect(cache.lastTid, 'the caller sets it').to.equal(null);
  });

  it('clears a cache that holds revisions but no last tid', async () => {
    const cache = cacheWith(null);
    const result = await verifyCache(cache, t(50), server(null).call, where);
    expect(result).to.include({ outcome: VERIFICATION_OUTCOMES.noLastTid, cleared: true });
    expect(cache.count).to.equal(0);
  });

  it('keeps an up-to-date cache without asking the server', async () => {
    const cache = cacheWith(10);
    const s = server(null);
    const result = await verifyCache(cache, t(10), s.call, where);
    expect(result.outcome).to.equal(VERIFICATION_OUTCOMES.upToDate);
    expect(s.asked).to.deep.equal([]);
    expect(cache.count).to.equal(3);
  });

  it('refuses a server that is behind the cache', async () => {
    const cache = cacheWith(10);
    const result = await outcome(verifyCache(cache, t(9), server(null).call, where));
    expect(result.error).to.be.instanceOf(CacheNewerThanServerError);
    expect((result.error as CacheNewerThanServerError).code).to.equal('ZEO_CACHE_NEWER_THAN_SERVER');
    expect(cache.count).to.equal(3);
    expect(cache.lastTid).to.deep.equal(t(10));
  });

  it('quick verification: forgets the current revisions of the listed oids and moves to the reply tid', async () => {
    const cache = cacheWith(10);
    const s = server([t(14), [p64(2)]]);
    const result = await verifyCache(cache, t(12), s.call, where);
    expect(s.asked).to.deep.equal([t(10)]);
    expect(result.outcome).to.equal(VERIFICATION_OUTCOMES.quick);
    expect(result.tid).to.deep.equal(t(14));
    expect(result.invalidated).to.deep.equal([p64(2)]);
    expect(cache.lastTid, 'unchanged until the caller reported the invalidations').to.deep.equal(t(10));
    expect(cache.load(p64(2))).to.equal(undefined);
    expect(cache.loadBefore(p64(2), t(6))?.data.toString()).to.equal('two, older');
    expect(cache.load(p64(1))?.data.toString()).to.equal('one');
  });

  it('drops the cache when the server cannot say what changed', async () => {
    const cache = cacheWith(10);
    const result = await verifyCache(cache, t(12), server(null).call, where);
    expect(result).to.include({ outcome: VERIFICATION_OUTCOMES.tooOld, cleared: true });
    expect(cache.count).to.equal(0);
    expect(result.tid).to.deep.equal(t(12));
  });

  it('treats z64 as no last tid', async () => {
    const cache = new ClientCache(1000);
    cache.setLastTid(z64);
    cache.store(p64(1), t(5), null, Buffer.from('x'));
    expect((await verifyCache(cache, t(50), server(null).call, where)).outcome).to.equal(VERIFICATION_OUTCOMES.noLastTid);
  });
});
