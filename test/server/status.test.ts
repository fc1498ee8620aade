import { expect } from 'chai';
import { InvalidationQueue } from '../../src/server/invalidation-queue.js';
import { StorageStats } from '../../src/server/server-stats.js';
import { formatCtime, ruokJson, statusToWire, storageStatus } from '../../src/server/status.js';
import { p64 } from '../../src/storage/oid.js';
import { PyFloat } from '../../src/zeo/wire/values.js';

describe('server: status report and invalidation queue', () => {
  it('formats the start time like time.ctime (day padded with a space)', () => {
    const text = formatCtime(new Date(2026, 10, 1, 7, 6, 5).getTime());
    expect(text).to.equal('Sun Nov  1 07:06:05 2026');
  });

  it('writes ruok JSON exactly as Python json.dumps does, floats included', () => {
    const stats = new StorageStats(new Date(2026, 10, 21, 7, 52, 42).getTime());
    stats.loads = 3;
    const idle = storageStatus({ stats, connections: 0, waiting: 0, hasTransactionTimeout: false, lastTransaction: Buffer.from('040d2918b5881add', 'hex') });
    expect(ruokJson(new Map([['1', idle]]))).to.equal(
      '{"1": {"connections": 0, "loads": 3, "stores": 0, "commits": 0, "aborts": 0, "active_txns": 0, "lock_time": null, ' +
        '"conflicts": 0, "conflicts_resolved": 0, "start": "Sat Nov 21 07:52:42 2026", "waiting": 0, ' +
        '"timeout-thread-is-alive": "stub", "last-transaction": "040d2918b5881add"}}',
    );
    stats.lockTimeMs = 1_700_000_000_000;
    const locked = storageStatus({ stats, connections: 1, waiting: 2, hasTransactionTimeout: true, lastTransaction: p64(1) });
    const json = ruokJson(new Map([['caf\u00e9', locked]]));
    expect(json).to.contain('"lock_time": 1700000000.0').and.to.contain('"timeout-thread-is-alive": true').and.to.contain('"caf\\u00e9"');
    expect(statusToWire(locked).get('lock_time')).to.deep.equal(new PyFloat(1_700_000_000));
    stats.lockTimeMs = 1_700_000_000_250;
    expect(statusToWire(storageStatus({ stats, connections: 1, waiting: 0, hasTransactionTimeout: false, lastTransaction: p64(1) })).get('lock_time')).to.equal(1_700_000_000.25);
  });

  it('keeps at most its capacity of transactions and answers only for tids it covers', () => {
    const queue = new InvalidationQueue(3, [1, 2, 3, 4].map((n) => ({ tid: p64(n * 10), oids: [p64(n)] })));
    expect(queue.size).to.equal(3);
    expect(queue.since(p64(10))).to.equal(null); // older than the oldest kept (20)
    expect(queue.since(p64(20))).to.deep.equal({ tid: p64(40), oids: [p64(4), p64(3)] });
    queue.add({ tid: p64(50), oids: [p64(3), p64(5)] });
    expect(queue.since(p64(35))).to.deep.equal({ tid: p64(50), oids: [p64(3), p64(5), p64(4)] });
    expect(queue.since(p64(50))).to.deep.equal({ tid: p64(50), oids: [] });
    expect(new InvalidationQueue(5).since(p64(1))).to.equal(null);
    expect(() => new InvalidationQueue(0)).to.throw(/positive integer/);
  });
});
