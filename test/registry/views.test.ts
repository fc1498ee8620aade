import { expect } from 'chai';
import { expireSession } from '../../src/testing/expire-session.js';
import type { ZkClient } from '../../src/zk/client.js';
import { NoNodeError } from '../../src/zk/errors.js';
import { LinkLoopError } from '../../src/registry/errors.js';
import type { ChildrenChange } from '../../src/registry/children-view.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import { Inbox } from '../support/events.js';
import { clearTree, ClientBag, isolatedConnectionString } from '../support/zookeeper.js';

describe('registry views and links (real ZooKeeper)', function () {
  const clients = new ClientBag();
  let connection: string;
  let zk: ZooKeeper;
  let writer: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('views');
  });
  beforeEach(async () => {
    writer = await clients.open(connection);
    await clearTree(writer);
    zk = await ZooKeeper.connect(connection, { sessionTimeoutMs: 4000 });
  });
  afterEach(async () => {
    await zk.close();
    await clients.closeAll();
  });

  describe('resolve and ln', () => {
    it('follows links anywhere along a path, relative ones too', async () => {
      await zk.importTree('/a\n  /b\n    l -> c\n    l2 -> ../c\n    /c\n  /c\n/x\n  y -> /a/b\n');
      expect(await zk.resolve('/a/b/l')).to.equal('/a/b/c');
      expect(await zk.resolve('/a/b/l2')).to.equal('/a/c');
      expect(await zk.resolve('/x/y/l')).to.equal('/a/b/c');
      expect(await zk.resolve('/a/./b/../b/c')).to.equal('/a/b/c');
      const missing = await zk.resolve('/x/y/nothing').catch((e: unknown) => e);
      expect(missing).to.be.instanceOf(NoNodeError).with.property('path', '/x/y/nothing');
    });

    it('detects link loops instead of hanging', async () => {
      // importTree refuses such text, so write the links directly.
      await writer.create('/loop', JSON.stringify({ 'a ->': 'b', 'b ->': 'a' }));
      const error = await zk.resolve('/loop/a').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(LinkLoopError);
      expect((error as LinkLoopError).paths[0]).to.equal('/loop/a');
    });

    it('ln makes a link, and a trailing / appends the link name', async () => {
      await zk.importTree('/dbs\n  /main\n/app\n');
      await zk.ln('/dbs/', '/app/main');
      await zk.ln('/dbs/main', '/app/primary');
      expect((await zk.getProperties('/app')).links).to.deep.equal(
        new Map([
          ['main', '/dbs/main'],
          ['primary', '/dbs/main'],
        ]),
      );
      expect(await zk.resolve('/app/primary')).to.equal('/dbs/main');
    });
  });

  for (const persistent of [false, true]) describe(`children${persistent ? ' (persistent)' : ''}`, () => {
    const options = { persistent };
    it('is a live, iterable view with length, path and realPath', async () => {
      await zk.importTree('/svc\n  /providers\n/alias\n  p -> /svc/providers\n');
      const view = zk.children('/alias/p', options);
      await view.ready;
      expect(view.path).to.equal('/alias/p');
      expect(view.realPath).to.equal('/svc/providers');
      expect([...view]).to.deep.equal([]);
      const calls = new Inbox<[readonly string[], ChildrenChange]>();
      view.subscribe((children, change) => calls.push([children, change]));
      expect(await calls.next()).to.deep.equal([[], { added: [], removed: [], deleted: false }]);
      await writer.create('/svc/providers/a');
      expect(await calls.next()).to.deep.equal([['a'], { added: ['a'], removed: [], deleted: false }]);
      await writer.create('/svc/providers/b');
      const [children, change] = await calls.next();
      expect([...children].sort()).to.deep.equal(['a', 'b']);
      expect(change.added).to.deep.equal(['b']);
      expect(view.length).to.equal(2);
      await writer.delete('/svc/providers/a');
      expect((await calls.next())[1]).to.deep.equal({ added: [], removed: ['a'], deleted: false });
    });

    it('follows the link again when its target changes', async () => {
      await zk.importTree('/one\n  /x\n/two\n  /y\n  /z\n/service\n  current -> /one\n');
      const view = zk.children('/service/current', options);
      await view.ready;
      const calls = new Inbox<readonly string[]>();
      view.subscribe((children) => calls.push([...children].sort()));
      expect(await calls.next()).to.deep.equal(['x']);
      await zk.ln('/two', '/service/current');
      expect(await calls.next()).to.deep.equal(['y', 'z']);
      expect(view.realPath).to.equal('/two');
    });

    it('empties and says so when the node is deleted and cannot be resolved, and comes back with it', async () => {
      await zk.importTree('/gone\n  /kid\n');
      const view = zk.children('/gone', options);
      await view.ready;
      const calls = new Inbox<ChildrenChange>();
      view.subscribe((_children, change) => calls.push(change));
      await calls.next();
      await writer.delete('/gone', { recursive: true });
      const change = await calls.until((c) => c.deleted);
      expect(change.added).to.deep.equal([]);
      expect(view.length).to.equal(0);
      expect(view.deleted).to.equal(true);
      await writer.create('/gone');
      await writer.create('/gone/again');
      const back = await calls.until((c) => c.added.includes('again'));
      expect(back.deleted).to.equal(false);
    });

    it('rejects ready when the path does not resolve at first', async () => {
      expect(await zk.children('/nowhere', options).ready.catch((e: unknown) => e)).to.be.instanceOf(NoNodeError);
    });

    it('keeps updating across session expiry', async () => {
      await writer.create('/exp');
      const view = zk.children('/exp', options);
      await view.ready;
      const calls = new Inbox<readonly string[]>();
      view.subscribe((children) => calls.push(children));
      await calls.next();
      await expireSession(zk.client);
      await writer.create('/exp/after');
      expect(await calls.until((c) => c.includes('after'))).to.deep.equal(['after']);
    });
  });

  describe('properties', () => {
    it('is a live read-only mapping with update and set', async () => {
      await zk.importTree("/fooservice\n  threads = 3\n  secret = u'1234'\n");
      const properties = zk.properties('/fooservice');
      await properties.ready;
      expect(properties.get('threads')).to.equal(3);
      expect(properties.keys().sort()).to.deep.equal(['secret', 'threads']);
      const seen = new Inbox<number>();
      properties.subscribe((p) => seen.push(p.get('threads') as number));
      expect(await seen.next()).to.equal(3);
      await properties.update({ threads: 4 });
      expect(await seen.next()).to.equal(4);
      expect(properties.get('secret')).to.equal('1234');
      await properties.set({ threads: 1 });
      expect(await seen.next()).to.equal(1);
      expect(properties.has('secret')).to.equal(false);
      expect(JSON.parse((await writer.get('/fooservice')).data.toString())).to.deep.equal({ threads: 1 });
    });

    it('keeps updating across session expiry', async () => {
      await zk.importTree('/conf\n  level = 1\n');
      const properties = zk.properties('/conf');
      await properties.ready;
      const seen = new Inbox<unknown>();
      properties.subscribe((p) => seen.push(p.get('level')));
      expect(await seen.next()).to.equal(1);
      await expireSession(zk.client);
      await writer.set('/conf', '{"level":2}');
      expect(await seen.until((level) => level === 2)).to.equal(2);
    });

    it('with watch: false is a snapshot that can still be updated', async () => {
      await zk.importTree('/node\n  a = 1\n');
      const snapshot = zk.properties('/node', { watch: false });
      await snapshot.ready;
      await writer.set('/node', '{"a":2}');
      expect(snapshot.get('a')).to.equal(1);
      await snapshot.update({ b: 3 });
      expect(snapshot.get('b')).to.equal(3);
      expect(() => snapshot.subscribe(() => undefined)).to.throw(/watch: false/);
    });

    it('resolves property links to the linked value and follows its changes', async () => {
      await zk.importTree('/fooservice\n  threads = 3\n/cms\n  threads => /fooservice threads\n  t2 => ../fooservice threads\n');
      const cms = zk.properties('/cms');
      await cms.ready;
      expect(cms.get('threads')).to.equal(3);
      expect(cms.get('t2')).to.equal(3);
      const seen = new Inbox<unknown>();
      cms.subscribe((p) => seen.push(p.get('threads')));
      expect(await seen.next()).to.equal(3);
      await writer.set('/fooservice', '{"threads":5}');
      expect(await seen.until((value) => value === 5)).to.equal(5);
    });

    it('follows a property link to its new target and stops watching the old one', async () => {
      await zk.importTree('/t1\n  v = 1\n/t2\n  v = 2\n/top\n  x => /t1 v\n');
      const top = zk.properties('/top');
      await top.ready;
      const seen = new Inbox<unknown>();
      top.subscribe((p) => seen.push(p.get('x')));
      expect(await seen.next()).to.equal(1);
      // The top view and the one it follows the link with, each watching its node.
      const watching = zk.client.listenerCount('state');
      for (const target of ['/t2', '/t1', '/t2', '/t1']) {
        await writer.set('/top', JSON.stringify({ 'x =>': `${target} v` }));
        expect(await seen.until((value) => value === (target === '/t1' ? 1 : 2))).to.not.equal(undefined);
      }
      expect(zk.client.listenerCount('state')).to.equal(watching);
      await writer.set('/t1', '{"v":7}');
      expect(await seen.until((value) => value === 7)).to.equal(7);
    });

    it('loads property links that form a cycle or point at their own node, and reports the loop on get', async () => {
      await writer.create('/self', JSON.stringify({ v: 1, 'w =>': '/self v', 'z =>': '/self z' }));
      await writer.create('/a', JSON.stringify({ 'x =>': '/b y' }));
      await writer.create('/b', JSON.stringify({ 'y =>': '/a x' }));
      for (const watch of [true, false]) {
        const self = zk.properties('/self', { watch });
        await self.ready;
        // As in zc.zk: another property of the node itself is fine, the same one a loop.
        expect(self.get('w')).to.equal(1);
        expect(() => self.get('z')).to.throw(LinkLoopError);
        const a = zk.properties('/a', { watch });
        await a.ready;
        expect(() => a.get('x')).to.throw(LinkLoopError);
      }
    });

    it('keeps following its node after a link to a cycle appears in it', async () => {
      await writer.create('/c', JSON.stringify({ 'v =>': '/d v' }));
      await writer.create('/d', JSON.stringify({ 'v =>': '/c v' }));
      await writer.create('/r', JSON.stringify({ n: 1 }));
      const r = zk.properties('/r');
      await r.ready;
      const seen = new Inbox<unknown>();
      r.subscribe((p) => seen.push(p.get('n')));
      expect(await seen.next()).to.equal(1);
      await writer.set('/r', JSON.stringify({ n: 2, 'x =>': '/c v' }));
      expect(await seen.until((n) => n === 2)).to.equal(2);
      await writer.set('/r', JSON.stringify({ n: 3, 'x =>': '/c v' }));
      expect(await seen.until((n) => n === 3)).to.equal(3);
    });

    it('watches nothing once closed, even when closed while it starts', async () => {
      await writer.create('/node', '{"a":1}');
      const watching = zk.client.listenerCount('state');
      const view = zk.properties('/node');
      view.close();
      await view.ready;
      expect(zk.client.listenerCount('state')).to.equal(watching);
    });

    it('tells a view of a change of a node that another linked view followed first and then let go', async () => {
      // /top follows /shared through /mid and directly; then /mid stops.
      await zk.importTree('/shared\n  v = 1\n/mid\n  w => /shared v\n/top\n  m => /mid w\n  s => /shared v\n');
      const top = zk.properties('/top');
      await top.ready;
      const seen = new Inbox<unknown>();
      top.subscribe((p) => seen.push(`${String(p.get('m'))} ${String(p.get('s'))}`));
      expect(await seen.next()).to.equal('1 1');
      await writer.set('/mid', '{"w":"own"}');
      expect(await seen.until((value) => value === 'own 1')).to.equal('own 1');
      await writer.set('/shared', '{"v":2}');
      expect(await seen.until((value) => value === 'own 2')).to.equal('own 2');
    });
  });
});
