import { expect } from 'chai';
import sinon from 'sinon';
import { expireSession } from '../../src/testing/expire-session.js';
import { ChildrenWatch } from '../../src/zk/children-watch.js';
import type { ZkClient } from '../../src/zk/client.js';
import { DataWatch } from '../../src/zk/data-watch.js';
import { NoNodeError } from '../../src/zk/errors.js';
import { ZkState } from '../../src/zk/states.js';
import { eventually, Inbox } from '../support/events.js';
import { clearTree, ClientBag, isolatedConnectionString, proxyInFrontOf } from '../support/zookeeper.js';

describe('ChildrenWatch and DataWatch (real ZooKeeper)', function () {
  const clients = new ClientBag();
  let connection: string;
  let watcher: ZkClient;
  let writer: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('watch');
  });
  beforeEach(async () => {
    watcher = await clients.open(connection);
    writer = await clients.open(connection);
    await clearTree(writer);
    await writer.create('/svc');
  });
  afterEach(() => clients.closeAll());

  for (const persistent of [false, true]) describe(`ChildrenWatch${persistent ? ' (persistent)' : ''}`, () => {
    const options = { persistent };
    it('calls back at once, then on every change by another client, re-arming itself', async () => {
      await writer.create('/svc/a');
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(watcher, '/svc', (children) => seen.push([...children].sort()), options);
      await watch.ready;
      expect(await seen.next()).to.deep.equal(['a']);
      await writer.create('/svc/b');
      expect(await seen.next()).to.deep.equal(['a', 'b']);
      await writer.delete('/svc/a');
      expect(await seen.next()).to.deep.equal(['b']);
      await writer.create('/svc/c', '', { ephemeral: true });
      expect(await seen.next()).to.deep.equal(['b', 'c']);
      watch.cancel();
    });

    it('never calls back twice for the same children', async () => {
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(watcher, '/svc', (children) => seen.push(children), options);
      await watch.ready;
      await writer.create('/svc/x');
      await writer.delete('/svc/x');
      await writer.create('/svc/y');
      // Intermediate states may be coalesced, but no two equal calls in a row.
      const all: string[] = [JSON.stringify(await seen.next())];
      for (;;) {
        const children = await seen.next();
        all.push(JSON.stringify(children));
        if (children.includes('y')) break;
      }
      expect(all.at(-1)).to.equal('["y"]');
      for (let i = 1; i < all.length; i += 1) expect(all[i]).to.not.equal(all[i - 1]);
      watch.cancel();
    });

    it('stops when the callback returns false, and on cancel', async () => {
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(
        watcher,
        '/svc',
        (children) => {
          seen.push(children);
          return children.length < 1;
        },
        options,
      );
      await seen.next();
      await writer.create('/svc/one');
      expect(await seen.next()).to.deep.equal(['one']);
      expect(watch.stopped).to.equal(true);
      const cancelled = new Inbox<string[]>();
      const other = new ChildrenWatch(watcher, '/svc', cancelled.push, options);
      await other.ready;
      other.cancel();
      // A sentinel watch armed before the change: once it has seen the
      // change (and re-fetched), a live watch would have been called too.
      const sentinel = new Inbox<string[]>();
      const probe = new ChildrenWatch(watcher, '/svc', sentinel.push, options);
      await sentinel.next();
      await writer.create('/svc/two');
      expect(await sentinel.next()).to.have.members(['one', 'two']);
      probe.cancel();
      expect(seen.pending).to.deep.equal([]);
      expect(cancelled.pending.length).to.equal(1);
    });

    it('rejects ready when the node does not exist', async () => {
      const watch = new ChildrenWatch(watcher, '/missing', () => undefined, options);
      expect(await watch.ready.catch((e: unknown) => e)).to.be.instanceOf(NoNodeError);
      expect(watch.stopped).to.equal(true);
    });

    it('is re-established after session expiry and misses no change made meanwhile', async () => {
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(watcher, '/svc', (children) => seen.push([...children].sort()), options);
      expect(await seen.next()).to.deep.equal([]);
      await expireSession(watcher);
      await writer.create('/svc/during');
      expect(await seen.next()).to.deep.equal(['during']);
      await writer.create('/svc/after');
      expect(await seen.next()).to.deep.equal(['after', 'during']);
      watch.cancel();
    });

    it('catches up on a change made while its client was cut off past the session timeout', async () => {
      const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
      try {
        const cut = await clients.open(viaProxy, {
          sessionTimeoutMs: 2000,
        });
        const seen = new Inbox<string[]>();
        const watch = new ChildrenWatch(cut, '/svc', (children) => seen.push([...children].sort()), options);
        expect(await seen.next()).to.deep.equal([]);
        const lost = cut.waitForState(ZkState.LOST, 10_000);
        proxy.setMode('refuse');
        await writer.create('/svc/while-cut');
        expect(await lost).to.equal(true);
        proxy.setMode('pass');
        expect(await seen.next()).to.deep.equal(['while-cut']);
        watch.cancel();
      } finally {
        await proxy.close();
      }
    });

    it('stops when its node is deleted', async () => {
      await writer.create('/svc/a');
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(watcher, '/svc', (children) => seen.push([...children].sort()), options);
      expect(await seen.next()).to.deep.equal(['a']);
      await writer.delete('/svc', { recursive: true });
      await eventually('the watch to stop', () => watch.stopped);
      await writer.create('/svc');
      await writer.create('/svc/b');
      const probe = new Inbox<string[]>();
      const sentinel = new ChildrenWatch(watcher, '/svc', probe.push, options);
      expect(await probe.next()).to.deep.equal(['b']);
      sentinel.cancel();
      // Stopped: the re-created node's children never reach it.
      expect(seen.pending.some((children) => children.includes('b'))).to.equal(false);
    });

    it('catches up on a change made while its connection was down (same session)', async () => {
      const { proxy, connection: viaProxy } = await proxyInFrontOf(connection);
      try {
        const cut = await clients.open(viaProxy, { sessionTimeoutMs: 10_000 });
        const session = cut.sessionId;
        const seen = new Inbox<string[]>();
        const watch = new ChildrenWatch(cut, '/svc', (children) => seen.push([...children].sort()), options);
        expect(await seen.next()).to.deep.equal([]);
        const suspended = cut.waitForState(ZkState.SUSPENDED, 5000);
        proxy.setMode('refuse');
        expect(await suspended).to.equal(true);
        await writer.create('/svc/while-down');
        proxy.setMode('pass');
        expect(await seen.next()).to.deep.equal(['while-down']);
        expect(cut.sessionId).to.equal(session);
        await writer.create('/svc/after');
        expect(await seen.next()).to.deep.equal(['after', 'while-down']);
        // An outage with no change in it calls nothing back.
        const again = cut.waitForState(ZkState.SUSPENDED, 5000);
        proxy.setMode('refuse');
        expect(await again).to.equal(true);
        const back = cut.waitForState(ZkState.CONNECTED, 5000);
        proxy.setMode('pass');
        expect(await back).to.equal(true);
        await writer.create('/svc/last');
        expect(await seen.next()).to.deep.equal(['after', 'last', 'while-down']);
        watch.cancel();
      } finally {
        await proxy.close();
      }
    });
  });

  describe('ChildrenWatch (persistent): what only the persistent mode does', () => {
    it('follows children from the events alone: no read after the first', async () => {
      const seen = new Inbox<string[]>();
      const watch = new ChildrenWatch(watcher, '/svc', (children) => seen.push([...children].sort()), { persistent: true });
      expect(await seen.next()).to.deep.equal([]);
      const reads = sinon.spy(watcher, 'getChildren');
      try {
        await writer.create('/svc/a');
        expect(await seen.next()).to.deep.equal(['a']);
        await writer.create('/svc/a/deeper'); // below a child: not a change of the children
        await writer.set('/svc', 'data');
        await writer.create('/svc/b');
        expect(await seen.next()).to.deep.equal(['a', 'b']);
        await writer.delete('/svc/a', { recursive: true });
        expect(await seen.next()).to.deep.equal(['b']);
        expect(reads.callCount).to.equal(0);
      } finally {
        reads.restore();
      }
      watch.cancel();
    });
  });

  describe('DataWatch', () => {
    it('calls back with data, then nulls on deletion and data again on re-creation', async () => {
      await writer.create('/svc/node', 'v1');
      const seen = new Inbox<string | null>();
      const watch = new DataWatch(watcher, '/svc/node', (data, stat) => {
        expect(data === null).to.equal(stat === null);
        seen.push(data === null ? null : data.toString());
      });
      await watch.ready;
      expect(await seen.next()).to.equal('v1');
      await writer.set('/svc/node', 'v2');
      expect(await seen.next()).to.equal('v2');
      await writer.delete('/svc/node');
      expect(await seen.next()).to.equal(null);
      await writer.create('/svc/node', 'v3');
      expect(await seen.next()).to.equal('v3');
      watch.cancel();
    });

    it('watches a node that does not exist yet', async () => {
      const seen = new Inbox<string | null>();
      const watch = new DataWatch(watcher, '/svc/later', (data) => seen.push(data?.toString() ?? null));
      expect(await seen.next()).to.equal(null);
      await writer.create('/svc/later', 'here');
      expect(await seen.next()).to.equal('here');
      watch.cancel();
    });

    it('is re-established after session expiry', async () => {
      await writer.create('/svc/d', 'a');
      const seen = new Inbox<string | null>();
      const watch = new DataWatch(watcher, '/svc/d', (data) => seen.push(data?.toString() ?? null));
      expect(await seen.next()).to.equal('a');
      await expireSession(watcher);
      await writer.set('/svc/d', 'b');
      expect(await seen.next()).to.equal('b');
      await writer.set('/svc/d', 'c');
      expect(await seen.next()).to.equal('c');
      watch.cancel();
    });

    it('keeps going when the callback throws', async () => {
      await writer.create('/svc/t', '1');
      const seen = new Inbox<string>();
      const watch = new DataWatch(watcher, '/svc/t', (data) => {
        seen.push(data?.toString() ?? '');
        throw new Error('callback failure');
      });
      expect(await seen.next()).to.equal('1');
      await writer.set('/svc/t', '2');
      expect(await seen.next()).to.equal('2');
      watch.cancel();
    });
  });
});
