// zc.zk's README walk-through (the fooservice / lb / cms / retail tree)
// against a real ZooKeeper, plus round trips and refusals.
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import type { ZkClient } from '../../src/zk/client.js';
import { TreeSyntaxError } from '../../src/registry/errors.js';
import { ZooKeeper } from '../../src/registry/zookeeper.js';
import { clearTree, ClientBag, isolatedConnectionString } from '../support/zookeeper.js';

const vector = (name: string): string => readFileSync(new URL(`./vectors/${name}`, import.meta.url), 'utf8');

const FOOSERVICE = "/fooservice\n  secret = u'1234'\n  threads = 3\n  /providers\n";

const EXPORT_1 = `/cms : z4m cms
  threads = 3
  /databases
    /main
      /providers
  /providers
/fooservice
  secret = u'1234'
  threads = 3
  /providers
/lb : ipvs
  /pools
    /cms
      address = u'1.2.3.4:80'
      providers -> /cms/providers
    /retail
      address = u'1.2.3.5:80'
      providers -> /cms/providers
/retail : z4m retail
  threads = 1
  /databases
    main -> /cms/databases/main
    /ugc
      /providers
  /providers
`;

describe('tree import and export (zc.zk README, real ZooKeeper)', function () {
  const clients = new ClientBag();
  let connection: string;
  let zk: ZooKeeper;
  let raw: ZkClient;

  before(async () => {
    connection = await isolatedConnectionString('tree');
  });
  beforeEach(async () => {
    raw = await clients.open(connection);
    await clearTree(raw);
    zk = await ZooKeeper.connect(connection);
    await zk.importTree(FOOSERVICE);
    for (const port of [8080, 8081, 8082]) await zk.register('/fooservice/providers', ['192.168.0.42', port]);
    await zk.importTree(vector('readme-tree-1.txt'));
  });
  afterEach(async () => {
    await zk.close();
    await clients.closeAll();
  });

  it('exports sorted, without ephemeral nodes, and a part of the tree on request', async () => {
    expect(await zk.exportTree()).to.equal(EXPORT_1);
    expect(await zk.exportTree('/fooservice')).to.equal(FOOSERVICE);
    const withEphemeral = await zk.exportTree('/fooservice', { ephemeral: true });
    expect(withEphemeral).to.equal(
      FOOSERVICE +
        [8080, 8081, 8082].map((port) => `    /192.168.0.42:${port}\n      pid = ${process.pid}\n`).join(''),
    );
    expect(await zk.exportTree('/fooservice', { name: 'renamed' })).to.match(/^\/renamed\n/);
  });

  it('warns about extra nodes, trims on request (dry run first) and never trims the top level', async () => {
    const messages: string[] = [];
    const onMessage = (line: string): void => void messages.push(line);
    const text = vector('readme-tree-2.txt');
    await zk.importTree(text, '/', { onMessage });
    expect(messages.splice(0)).to.deep.equal(['extra path not trimmed: /lb/pools/retail']);
    await zk.importTree(text, '/', { trim: true, dryRun: true, onMessage });
    expect(messages.splice(0)).to.deep.equal(['would delete /lb/pools/retail.']);
    await zk.importTree(text, '/', { trim: false, onMessage });
    expect(messages.splice(0)).to.deep.equal([]);
    await zk.importTree(text, '/', { trim: true, onMessage });
    expect(messages).to.deep.equal([]);
    const exported = await zk.exportTree();
    expect(exported).to.not.include('/lb/pools/retail').and.not.include('    /retail');
    expect(exported).to.include('/retail : z4m retail'); // top level: kept
    expect(exported).to.include('  threads = 4');
  });

  it('reports what a dry run would change, in zc.zk words, and changes nothing', async () => {
    const messages: string[] = [];
    const before = await zk.exportTree('/', { ephemeral: true });
    await zk.importTree("/fooservice\n  threads = 4\n  extra = 1\n  /providers\n  /new\n", '/', {
      dryRun: true,
      onMessage: (line) => void messages.push(line),
    });
    expect(messages).to.deep.equal([
      '/fooservice remove property secret = 1234',
      '/fooservice threads change from 3 to 4',
      '/fooservice add property extra = 1',
      'add /fooservice/new',
      // Below the top level, extra nodes are reported (ephemeral ones too).
      'extra path not trimmed: /fooservice/providers/192.168.0.42:8080',
      'extra path not trimmed: /fooservice/providers/192.168.0.42:8081',
      'extra path not trimmed: /fooservice/providers/192.168.0.42:8082',
    ]);
    expect(await zk.exportTree('/', { ephemeral: true })).to.equal(before);
  });

  it('keeps ephemeral nodes and their ancestors on recursive delete, with zc.zk messages', async () => {
    const messages: string[] = [];
    await zk.deleteRecursive('/retail');
    expect(await raw.exists('/retail')).to.equal(null);
    await zk.deleteRecursive('/fooservice', { onMessage: (line) => void messages.push(line) });
    expect(messages).to.deep.equal([
      "Not deleting /fooservice/providers/192.168.0.42:8080 because it's ephemeral.",
      "Not deleting /fooservice/providers/192.168.0.42:8081 because it's ephemeral.",
      "Not deleting /fooservice/providers/192.168.0.42:8082 because it's ephemeral.",
      '/fooservice/providers not deleted due to ephemeral descendent.',
      '/fooservice not deleted due to ephemeral descendent.',
    ]);
    messages.length = 0;
    await zk.deleteRecursive('/fooservice', { dryRun: true, force: true, onMessage: (line) => void messages.push(line) });
    expect(messages.at(-1)).to.equal('would delete /fooservice.');
    await zk.deleteRecursive('/fooservice', { force: true });
    expect(await raw.exists('/fooservice')).to.equal(null);
  });

  it('round-trips export → import → export unchanged', async () => {
    const first = await zk.exportTree();
    await raw.create('/copy');
    await zk.importTree(first, '/copy');
    expect(await zk.exportTree('/copy', { name: 'x' })).to.equal(
      `/x\n${first
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => `  ${line}\n`)
        .join('')}`,
    );
  });

  it('refuses malformed text with the line number and writes nothing', async () => {
    const before = await zk.exportTree('/', { ephemeral: true });
    for (const [text, line] of [
      ['/ok\n  a = 1\n /bad-indent\n', 3],
      ["/ok\n  a = 'unterminated\n", 2],
      ['/ok\n  /child\n    x -> \n', 3],
      ['/ok\n  a -> b\n  b -> ../ok/a\n', 2],
    ] as const) {
      const error = await zk.importTree(text).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(TreeSyntaxError).with.property('line', line);
    }
    expect(await zk.exportTree('/', { ephemeral: true })).to.equal(before);
  });

  it('walks depth first in name order, seeing changes made while walking', async () => {
    const seen: string[] = [];
    for await (const path of zk.walk('/lb')) {
      seen.push(path);
      if (path === '/lb/pools') await raw.create('/lb/pools/added');
    }
    expect(seen).to.deep.equal(['/lb', '/lb/pools', '/lb/pools/added', '/lb/pools/cms', '/lb/pools/retail']);
    const withoutEphemeral: string[] = [];
    for await (const path of zk.walk('/fooservice', { ephemeral: false })) withoutEphemeral.push(path);
    expect(withoutEphemeral).to.deep.equal(['/fooservice', '/fooservice/providers']);
    expect(await zk.isEphemeral('/fooservice/providers/192.168.0.42:8080')).to.equal(true);
  });
});
