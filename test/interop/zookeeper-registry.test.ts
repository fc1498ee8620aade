// Server registration shared with Python's ZooKeeper client (kazoo, what
// zc.zk 2.x runs on) through a private ZooKeeper: a node our registry
// registers is read from another process as zc.zk writes them (ephemeral,
// world-readable, JSON properties with the pid), and a node registered
// the zc.zk way from Python is seen here and goes away with its session.
import { expect } from 'chai';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import { Perms } from '../../src/zk/types.js';
import { isolatedConnectionString } from '../support/zookeeper.js';
import { PythonWorker } from './python-worker.js';

interface PythonNode {
  properties: Record<string, unknown>;
  data: string;
  zc_zk_data: string;
  ephemeral: boolean;
  acl: Array<[number, string, string]>;
}

const SERVICE = '/databases/demo';

/** Resolves with the children once `predicate` holds for them (the view's own watch events, no polling). */
function childrenWhen(zk: ZooKeeper, path: string, predicate: (children: readonly string[]) => boolean): Promise<string[]> {
  const view = zk.children(path);
  return new Promise<string[]>((resolve, reject) => {
    view.ready.catch(reject);
    view.subscribe((children) => {
      if (!predicate(children)) return true;
      view.close();
      resolve([...children]);
      return false;
    });
  });
}

describe('interop: ZooKeeper registrations ↔ Python kazoo (zc.zk conventions)', () => {
  let python: PythonWorker | undefined;
  let hosts: string;
  let zk: ZooKeeper;

  before(async () => {
    python = await PythonWorker.start(['kazoo']);
  });

  after(() => python?.close());

  beforeEach(async () => {
    hosts = await isolatedConnectionString('interop');
    zk = await ZooKeeper.connect(hosts, { sessionTimeoutMs: 4000 });
    await zk.client.create('/databases');
    await zk.client.create(SERVICE);
  });

  afterEach(async () => {
    await python?.call('zk_close', { hosts });
    await zk.close();
  });

  it('registers a node that kazoo reads as zc.zk writes it: ephemeral, READ for anyone, JSON properties with our pid', async () => {
    await zk.register(SERVICE, '127.0.0.1:8100', { monitor: '127.0.0.1:11976', weight: 2.5, tags: ['a', 'b'] });
    const nodes = await (python as PythonWorker).call<Record<string, PythonNode>>('zk_read', { hosts, path: SERVICE });
    expect(Object.keys(nodes)).to.deep.equal(['127.0.0.1:8100']);
    const node = nodes['127.0.0.1:8100'] as PythonNode;
    expect(node.ephemeral).to.equal(true);
    expect(node.acl).to.deep.equal([[Perms.READ, 'world', 'anyone']]);
    expect(node.properties).to.deep.equal({ monitor: '127.0.0.1:11976', weight: 2.5, tags: ['a', 'b'], pid: process.pid });
    expect(node.data).to.equal(node.zc_zk_data);
  });

  it('sees a server registered by kazoo the zc.zk way, with its properties, until its session ends', async () => {
    const registered = await (python as PythonWorker).call<{ pid: number; data: string }>('zk_register', {
      hosts,
      path: SERVICE,
      name: '10.0.0.7:9000',
      properties: { monitor: '10.0.0.7:9001' },
    });
    const present = await childrenWhen(zk, SERVICE, (children) => children.length > 0);
    expect(present).to.deep.equal(['10.0.0.7:9000']);
    const data = await zk.getProperties(`${SERVICE}/10.0.0.7:9000`);
    expect(Object.fromEntries(data.properties)).to.deep.equal({ monitor: '10.0.0.7:9001', pid: registered.pid });
    expect(await zk.isEphemeral(`${SERVICE}/10.0.0.7:9000`)).to.equal(true);

    // The view may first see the node or already its absence: wait for the absence either way.
    const gone = childrenWhen(zk, SERVICE, (children) => !children.includes('10.0.0.7:9000'));
    await (python as PythonWorker).call('zk_close', { hosts });
    expect(await gone).to.deep.equal([]);
  });
});
