import { expect } from 'chai';
import { InvalidationQueue } from '../../src/db/invalidation-queue.js';
import { p64 } from '../../src/storage/oid.js';

const invalidation = (tid: number, ...oids: number[]): { tid: Buffer; oids: Buffer[] } => ({
  tid: p64(BigInt(tid)),
  oids: oids.map((oid) => p64(BigInt(oid))),
});

describe('db: the invalidation queue of an idle connection', () => {
  it('hands back what it queued, oldest first, and is empty after', () => {
    const queue = new InvalidationQueue();
    queue.push(invalidation(1, 10, 11));
    queue.push(invalidation(2, 12));
    const taken = queue.take();
    expect(taken === 'all' ? taken : taken.map((i) => i.oids.length)).to.deep.equal([2, 1]);
    expect(queue.take()).to.deep.equal([]);
  });

  it('keeps nothing for a transaction that changed no object, however many come', () => {
    const queue = new InvalidationQueue(10);
    for (let tid = 1; tid <= 100_000; tid++) queue.push(invalidation(tid));
    expect(queue.size).to.equal(0);
    expect(queue.all).to.equal(false);
  });

  it('gives up the list for "everything" past its limit of oids, until taken', () => {
    const queue = new InvalidationQueue(3);
    queue.push(invalidation(1, 1, 2));
    queue.push(invalidation(2, 3, 4));
    expect(queue.all).to.equal(true);
    expect(queue.size).to.equal(0);
    queue.push(invalidation(3, 5));
    expect(queue.take()).to.equal('all');
    expect(queue.all).to.equal(false);
  });

  it("forgets the connection's own commit, and counts only what is left", () => {
    const queue = new InvalidationQueue(3);
    queue.push(invalidation(1, 1, 2));
    queue.forget(p64(1n));
    queue.push(invalidation(2, 3, 4));
    expect(queue.all).to.equal(false);
    expect(queue.size).to.equal(1);
  });
});
