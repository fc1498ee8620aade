import { expect } from 'chai';
import { InvalidArgumentError } from '../../../src/errors.js';
import { p64 } from '../../../src/storage/oid.js';
import { ClientCache, REVISION_OVERHEAD_BYTES } from '../../../src/zeo/client/client-cache.js';

const oid = p64(7);
const other = p64(8);
const t = (n: number): Buffer => p64(n);
const data = (text: string): Buffer => Buffer.from(text);

describe('zeo/client ClientCache', () => {
  describe('loadBefore (MVCC)', () => {
    it('serves a current revision for any tid after its start, and nothing at or before it', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), null, data('v10'));
      expect(cache.loadBefore(oid, t(11))?.data.toString()).to.equal('v10');
      expect(cache.loadBefore(oid, t(1000))?.nextSerial).to.equal(null);
      expect(cache.loadBefore(oid, t(10))).to.equal(undefined);
      expect(cache.loadBefore(oid, t(5))).to.equal(undefined);
      expect(cache.loadBefore(other, t(11))).to.equal(undefined);
    });

    it('serves a non-current revision only inside (start, end]', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), t(20), data('v10'));
      expect(cache.loadBefore(oid, t(10))).to.equal(undefined);
      expect(cache.loadBefore(oid, t(11))?.serial).to.deep.equal(t(10));
      expect(cache.loadBefore(oid, t(20))?.nextSerial).to.deep.equal(t(20));
      expect(cache.loadBefore(oid, t(21))).to.equal(undefined);
    });

    it('prefers the newest fitting non-current revision, then falls back to the current one', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), t(20), data('v10'));
      cache.store(oid, t(20), t(30), data('v20'));
      cache.store(oid, t(30), null, data('v30'));
      expect(cache.loadBefore(oid, t(15))?.data.toString()).to.equal('v10');
      expect(cache.loadBefore(oid, t(25))?.data.toString()).to.equal('v20');
      expect(cache.loadBefore(oid, t(30))?.data.toString()).to.equal('v20');
      expect(cache.loadBefore(oid, t(31))?.data.toString()).to.equal('v30');
      expect(cache.stats.hits).to.equal(4);
    });

    it('finds the right revision among many, stored in any order', () => {
      const cache = new ClientCache(1 << 20);
      for (const start of [50, 10, 30, 20, 40]) cache.store(oid, t(start), t(start + 10), data(`v${start}`));
      cache.store(oid, t(60), null, data('v60'));
      for (const [before, expected] of [[11, 'v10'], [20, 'v10'], [21, 'v20'], [45, 'v40'], [60, 'v50'], [61, 'v60']] as const) {
        expect(cache.loadBefore(oid, t(before))?.data.toString(), `before ${before}`).to.equal(expected);
      }
      expect(cache.loadBefore(oid, t(10))).to.equal(undefined);
      cache.invalidate(oid, t(70));
      expect(cache.loadBefore(oid, t(70))?.data.toString()).to.equal('v60');
      expect(cache.count).to.equal(6);
    });

    it('does not bridge a gap between a non-current revision and the current one', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), t(20), data('v10'));
      cache.store(oid, t(40), null, data('v40'));
      // Revision 20..40 is unknown: a load before 30 must go to the server.
      expect(cache.loadBefore(oid, t(30))).to.equal(undefined);
      expect(cache.stats.misses).to.equal(1);
    });
  });

  describe('store', () => {
    it('ignores a current revision older than the one held and replaces it with a newer one', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(20), null, data('v20'));
      cache.store(oid, t(10), null, data('v10'));
      expect(cache.load(oid)?.data.toString()).to.equal('v20');
      cache.store(oid, t(30), null, data('v30'));
      expect(cache.load(oid)?.data.toString()).to.equal('v30');
      expect(cache.count).to.equal(1);
    });

    it('keeps one copy of a non-current revision and drops a current one the server says has ended', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), null, data('v10'));
      cache.store(oid, t(10), t(20), data('v10'));
      cache.store(oid, t(10), t(20), data('v10'));
      expect(cache.count).to.equal(1);
      expect(cache.load(oid)).to.equal(undefined);
      expect(cache.loadBefore(oid, t(15))?.nextSerial).to.deep.equal(t(20));
    });

    it('stays under its byte limit by dropping the least recently used revisions', () => {
      const record = Buffer.alloc(100);
      const each = record.length + REVISION_OVERHEAD_BYTES;
      const cache = new ClientCache(each * 3);
      for (let i = 1; i <= 3; i++) cache.store(p64(i), t(10), null, record);
      cache.load(p64(1)); // now 2 is the least recently used
      cache.store(p64(4), t(10), null, record);
      expect(cache.stats.bytes).to.equal(each * 3);
      expect(cache.stats.evictions).to.equal(1);
      expect(cache.load(p64(2))).to.equal(undefined);
      expect(cache.load(p64(1))).not.to.equal(undefined);
      expect(cache.load(p64(4))).not.to.equal(undefined);
    });

    it('does not keep a record larger than the whole cache, and caches nothing at size 0', () => {
      const small = new ClientCache(50);
      small.store(oid, t(10), null, Buffer.alloc(10));
      expect(small.count).to.equal(0);
      const none = new ClientCache(0);
      none.store(oid, t(10), null, Buffer.alloc(1));
      expect(none.loadBefore(oid, t(11))).to.equal(undefined);
    });

    it('refuses a negative or fractional size', () => {
      expect(() => new ClientCache(-1)).to.throw(InvalidArgumentError);
      expect(() => new ClientCache(1.5)).to.throw(InvalidArgumentError);
    });
  });

  describe('invalidate and forget', () => {
    it('turns the current revision into one ending at the invalidating tid', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), null, data('v10'));
      expect(cache.invalidate(oid, t(20))).to.equal(true);
      expect(cache.load(oid)).to.equal(undefined);
      expect(cache.loadBefore(oid, t(20))?.nextSerial).to.deep.equal(t(20));
      expect(cache.loadBefore(oid, t(21))).to.equal(undefined);
      expect(cache.invalidate(other, t(20))).to.equal(false);
    });

    it('drops a current revision that starts at the invalidating tid (data arrived before the invalidation)', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(20), null, data('v20'));
      cache.invalidate(oid, t(20));
      expect(cache.count).to.equal(0);
      expect(cache.loadBefore(oid, t(21))).to.equal(undefined);
    });

    it('forget drops the current revision and keeps the non-current ones', () => {
      const cache = new ClientCache(1 << 20);
      cache.store(oid, t(10), t(20), data('v10'));
      cache.store(oid, t(20), null, data('v20'));
      expect(cache.forget(oid)).to.equal(true);
      expect(cache.loadBefore(oid, t(21))).to.equal(undefined);
      expect(cache.loadBefore(oid, t(15))?.data.toString()).to.equal('v10');
      expect(cache.forget(oid)).to.equal(false);
    });
  });

  describe('last tid', () => {
    it('moves forward, refuses to go back while holding revisions, and may go back when empty', () => {
      const cache = new ClientCache(1 << 20);
      expect(cache.lastTid).to.equal(null);
      cache.setLastTid(t(10));
      cache.setLastTid(t(10));
      cache.store(oid, t(5), null, data('v5'));
      expect(() => cache.setLastTid(t(9))).to.throw(InvalidArgumentError, /cannot go back/);
      cache.setLastTid(t(12));
      expect(cache.lastTid).to.deep.equal(t(12));
      cache.clear();
      cache.setLastTid(t(3));
      expect(cache.lastTid).to.deep.equal(t(3));
    });
  });
});
