// Ghosts (typed errors, activation, subgraph loading), change tracking,
// the connection pool (exhaustion, timeout) and the object cache bound.
import { expect } from 'chai';
import { inspect } from 'node:util';
import { ClassRegistry } from '../../src/db/class-registry.js';
import { DB } from '../../src/db/db.js';
import { ConnectionStateError, GhostAccessError, PoolTimeoutError } from '../../src/db/errors.js';
import { Persistent } from '../../src/db/persistent.js';
import { PersistentList } from '../../src/db/persistent-list.js';
import { PersistentMapping } from '../../src/db/persistent-mapping.js';
import { MappingStorage } from '../../src/storage/mapping-storage.js';
import { eventually } from '../support/events.js';

class Node extends Persistent {
  declare name: string;
  declare children: Node[];
  tags: string[] = [];

  constructor(name = '', children: Node[] = []) {
    super();
    this.name = name;
    this.children = children;
  }

  describe(): string {
    return `${this.name}(${this.children.length})`;
  }
}

const registry = new ClassRegistry();
registry.register('app.Node', Node);

/** A tree of `levels` levels below the root node, `fanout` children each. */
function tree(levels: number, fanout: number, name = 'n'): Node {
  const children = levels === 0 ? [] : Array.from({ length: fanout }, (_, i) => tree(levels - 1, fanout, `${name}.${i}`));
  return new Node(name, children);
}

async function freshDb(options: { cacheSize?: number; poolSize?: number; poolTimeoutMS?: number } = {}): Promise<DB> {
  const db = new DB(new MappingStorage(), { classRegistry: registry, ...options });
  await db.transaction(async (conn) => {
    (await conn.root()).set('tree', tree(3, 3));
  });
  return db;
}

describe('db ghosts', () => {
  let db: DB;

  beforeEach(async () => {
    db = await freshDb();
  });

  afterEach(async () => {
    await db.close();
  });

  it('throws GhostAccessError, saying how to load, when a ghost is read, written or listed', async () => {
    const conn = await db.open();
    // The pooled connection still caches what it committed: make everything a ghost.
    expect(conn.cacheMinimize()).to.equal(41);
    const node = (await conn.root()).get('tree') as Node;
    expect(node._p_state).to.equal('ghost');
    expect(() => node.name).to.throw(GhostAccessError, /cannot read "name" of Node 0x01.*await conn\.activate\(obj\)/);
    expect(() => {
      node.name = 'x';
    }).to.throw(GhostAccessError, /cannot write "name"/);
    expect(() => Object.keys(node)).to.throw(GhostAccessError, /list the properties/);
    expect(() => 'name' in node).to.throw(GhostAccessError);
    // Methods, the _p_ bookkeeping and `await` still work on a ghost.
    expect(node._p_oid?.toString('hex')).to.equal('0000000000000001');
    expect(() => node.describe()).to.throw(GhostAccessError, /"name"/);
    expect(await Promise.resolve(node)).to.equal(node);
    expect(inspect(node)).to.equal('Node 0x01 <ghost>');
    await conn.close();
  });

  it('loads a ghost with conn.activate or obj._p_activate, keeping object identity', async () => {
    const conn = await db.open();
    const root = await conn.root();
    const node = root.get('tree') as Node;
    expect(await node._p_activate()).to.equal(node);
    expect(node.describe()).to.equal('n(3)');
    expect(node._p_state).to.equal('upToDate');
    const child = node.children[0] as Node;
    await conn.activate([child, node.children[1] as Node]);
    expect(child.name).to.equal('n.0');
    expect(await conn.get(child._p_oid as Buffer)).to.equal(child);
    node._p_deactivate();
    expect(node._p_state).to.equal('ghost');
    await conn.close();
  });

  it('loads a subgraph to a chosen depth with the loads of each level in flight together', async () => {
    const conn = await db.open();
    conn.cacheMinimize();
    const root = await conn.root();
    const storage = db.storage as MappingStorage;
    let inFlight = 0;
    let maxInFlight = 0;
    const original = storage.loadBefore.bind(storage);
    storage.loadBefore = async (oid, tid) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await original(oid, tid);
      } finally {
        inFlight--;
      }
    };
    const top = root.get('tree') as Node;
    // depth 2 from the root mapping: tree node (1) and its 3 children.
    expect(await conn.loadGraph(root, { depth: 2 })).to.equal(4);
    expect((top.children[2] as Node).name).to.equal('n.2');
    expect(() => ((top.children[0] as Node).children[0] as Node).name).to.throw(GhostAccessError);
    expect(await conn.loadGraph(top, { depth: Infinity })).to.equal(36);
    expect(maxInFlight).to.equal(27);
    await conn.close();
  });
});

describe('db change tracking', () => {
  let db: DB;

  beforeEach(async () => {
    db = await freshDb();
  });

  afterEach(async () => {
    await db.close();
  });

  it('marks an object changed on assignment and delete, but not on in-place changes of plain values', async () => {
    const conn = await db.open();
    const node = (await conn.root()).get('tree') as Node;
    await node._p_activate();
    node.tags.push('lost');
    expect(node._p_state).to.equal('upToDate');
    expect(conn.hasChanges).to.equal(false);
    node._p_markChanged();
    expect(node._p_changed).to.equal(true);
    await conn.commit();
    await node._p_activate();
    node.name = 'renamed';
    expect(node._p_state).to.equal('changed');
    await conn.commit();
    await conn.close();

    const check = await db.open();
    const again = (await check.root()).get('tree') as Node;
    await again._p_activate();
    expect(again.tags).to.deep.equal(['lost']);
    expect(again.name).to.equal('renamed');
    await check.close();
  });

  it('tracks PersistentList and PersistentMapping methods, and _v_ properties are never stored', async () => {
    const conn = await db.open();
    const root = await conn.root();
    const list = new PersistentList<number>([1]);
    root.set('list', list);
    await conn.commit();
    await list._p_activate();
    list.push(2, 3);
    expect(list._p_state).to.equal('changed');
    const node = root.get('tree') as Node;
    await node._p_activate();
    (node as unknown as Record<string, unknown>)._v_cache = 'volatile';
    expect(node._p_state).to.equal('upToDate');
    await conn.commit();
    await conn.close();
    const check = await db.open();
    check.cacheMinimize();
    const root2 = await check.root();
    await check.loadGraph(root2, { depth: 1 });
    expect((root2.get('list') as PersistentList<number>).toArray()).to.deep.equal([1, 2, 3]);
    expect(Object.keys(root2.get('tree') as Node)).to.not.include('_v_cache');
    await check.close();
  });

  it('gives new objects reachable from stored ones an oid at commit, and add() one at once', async () => {
    const conn = await db.open();
    const root = await conn.root();
    const added = new PersistentMapping<string, number>([['a', 1]]);
    const oid = await conn.add(added);
    expect(added._p_oid).to.deep.equal(oid);
    const reachable = new Node('leaf');
    root.set('leaf', reachable);
    root.set('added', added);
    expect(reachable._p_oid).to.equal(null);
    const tid = await conn.commit();
    expect(reachable._p_oid).to.not.equal(null);
    expect(reachable._p_serial).to.deep.equal(tid);
    expect(reachable._p_jar).to.equal(conn);
    await conn.close();
  });

  it('takes an added object back to unsaved when the transaction aborts', async () => {
    const conn = await db.open();
    const node = new Node('temp');
    await conn.add(node);
    await conn.abort();
    expect(node._p_oid).to.equal(null);
    expect(node._p_state).to.equal('unsaved');
    expect(node.name).to.equal('temp');
    await conn.close();
  });
});

describe('db connection pool', () => {
  it('hands out at most poolSize connections and fails open() after poolTimeoutMS', async () => {
    const db = await freshDb({ poolSize: 2, poolTimeoutMS: 50 });
    const a = await db.open();
    const b = await db.open();
    expect(db.poolStats()).to.include({ borrowed: 2, max: 2 });
    try {
      await db.open();
      expect.fail('open should time out');
    } catch (error) {
      expect(error).to.be.instanceOf(PoolTimeoutError);
      expect((error as PoolTimeoutError).message).to.match(/within 50 ms \(all 2 are in use/);
    }
    const waiting = db.open();
    await a.close();
    const c = await waiting;
    expect(c).to.equal(a);
    expect(c.opened).to.equal(true);
    await b.close();
    await c.close();
    expect(db.poolStats()).to.include({ borrowed: 0, available: 2 });
    await db.close();
  });

  it('reuses a pooled connection with its cache and a fresh snapshot', async () => {
    const db = await freshDb({ poolSize: 1 });
    const conn = await db.open();
    const node = (await conn.root()).get('tree') as Node;
    await node._p_activate();
    const snapshot = conn.snapshot;
    await conn.close();
    await db.transaction(async (other) => {
      (await other.root()).set('bump', 1);
    });
    const again = await db.open();
    expect(again).to.equal(conn);
    expect(node._p_state).to.equal('upToDate');
    expect(Buffer.compare(again.snapshot, snapshot)).to.equal(1);
    await again.close();
    await db.close();
  });

  it('fails an open() still waiting for a connection when the database closes, instead of hanging close()', async function () {
    this.timeout(5000);
    const db = await freshDb({ poolSize: 1 });
    const busy = await db.open();
    const waiting = db.open().then(
      () => expect.fail('open() should fail once the database is closed'),
      (error: unknown) => error,
    );
    await eventually('open() to wait for the pool', () => db.poolStats().pending === 1);
    await db.close();
    const error = await waiting;
    expect(error).to.be.instanceOf(ConnectionStateError);
    expect((error as Error).message).to.match(/database "unnamed" is closed/);
    expect(busy.opened).to.equal(false);
    expect(db.poolStats()).to.include({ size: 0, borrowed: 0, pending: 0 });
  });
});

describe('db object cache', () => {
  it('shrinks to cacheSize at transaction boundaries, turning least-recently-used objects into ghosts', async () => {
    const db = await freshDb({ cacheSize: 10 });
    const conn = await db.open();
    const root = await conn.root();
    await conn.loadGraph(root, { depth: Infinity });
    expect(conn.cacheStats().active).to.equal(41);
    const top = root.get('tree') as Node;
    const recent = top.children[1] as Node;
    const untouched = top.children[0] as Node;
    expect(recent.name).to.equal('n.1');
    await conn.begin();
    expect(conn.cacheStats()).to.include({ active: 10, target: 10 });
    expect(recent._p_state).to.equal('upToDate');
    expect(top._p_state).to.equal('upToDate');
    expect(untouched._p_state).to.equal('ghost');
    await conn.close();
    await db.close();
  });

  it('never drops changed objects', async () => {
    const db = await freshDb({ cacheSize: 0 });
    const conn = await db.open();
    const root = await conn.root();
    root.set('x', 1);
    expect(conn.cacheGC()).to.equal(0);
    expect(root._p_state).to.equal('changed');
    await conn.commit();
    expect(root._p_state).to.equal('ghost');
    await conn.close();
    await db.close();
  });
});
