import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { CliIo } from '../../src/cli/cli-io.js';
import { zookeeperExport, zookeeperImport, zookeeperSetProperty } from '../../src/cli/zookeeper-tools.js';
import { freePorts } from '../../src/testing/free-port.js';
import { ClientBag, isolatedConnectionString } from '../support/zookeeper.js';

function captureIo(stdin = ''): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    readStdin: async () => stdin,
  };
  return io;
}

const TREE = "/app : web\n  threads = 2\n  /providers\n";

describe('zookeeper-export, zookeeper-import, zookeeper-set-property', function () {
  const clients = new ClientBag();
  let connection: string;
  let dir: string;

  before(async () => {
    connection = await isolatedConnectionString('cli');
    dir = mkdtempSync(join(tmpdir(), 'zkzeo-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => clients.closeAll());

  it('imports from standard input and exports it back', async () => {
    const importIo = captureIo(TREE);
    expect(await zookeeperImport([connection], importIo)).to.equal(0);
    const exportIo = captureIo();
    expect(await zookeeperExport([connection, '/app'], exportIo)).to.equal(0);
    expect(exportIo.out).to.equal(TREE);
  });

  it('imports a file under a path with trim and dry run, printing zc.zk messages', async () => {
    const file = join(dir, 'tree.txt');
    writeFileSync(file, "/svc\n  /a\n");
    const zk = await clients.open(connection);
    await zk.create('/base');
    expect(await zookeeperImport([connection, file, '/base'], captureIo())).to.equal(0);
    await zk.create('/base/svc/extra');
    const warn = captureIo();
    expect(await zookeeperImport([connection, file, '/base'], warn)).to.equal(0);
    expect(warn.out).to.equal('extra path not trimmed: /base/svc/extra\n');
    const dry = captureIo();
    expect(await zookeeperImport(['-d', '-t', connection, file, '/base'], dry)).to.equal(0);
    expect(dry.out).to.equal('would delete /base/svc/extra.\n');
    expect(await zk.exists('/base/svc/extra')).to.not.equal(null);
    expect(await zookeeperImport(['--trim', connection, file, '/base'], captureIo())).to.equal(0);
    expect(await zk.exists('/base/svc/extra')).to.equal(null);
    // -p sets the world ACL of every imported node.
    expect(await zookeeperImport(['-p', '1', connection, file, '/base'], captureIo())).to.equal(0);
    expect((await zk.getAcl('/base/svc/a')).acl).to.deep.equal([{ perms: 1, scheme: 'world', id: 'anyone' }]);
  });

  it('exports to a file with ephemeral nodes on request', async () => {
    const zk = await clients.open(connection);
    await zk.ensurePath('/eph');
    await zk.create('/eph/node', '{"pid":1}', { ephemeral: true });
    const output = join(dir, 'out.txt');
    expect(await zookeeperExport(['-e', '-o', output, connection, '/eph'], captureIo())).to.equal(0);
    expect(readFileSync(output, 'utf8')).to.equal('/eph\n  /node\n    pid = 1\n');
  });

  it('sets properties from Python literals or JSON', async () => {
    const zk = await clients.open(connection);
    await zk.ensurePath('/props');
    const io = captureIo();
    const code = await zookeeperSetProperty(
      [connection, '/props', "name=u'web'", 'threads=4', 'flags=[1, 2]', 'debug=true', 'off=False'],
      io,
    );
    expect(io.err).to.equal('');
    expect(code).to.equal(0);
    expect(JSON.parse((await zk.get('/props')).data.toString())).to.deep.equal({
      name: 'web',
      threads: 4,
      flags: [1, 2],
      debug: true,
      off: false,
    });
  });

  it('reports usage errors with exit code 2 and failures with 1, on stderr', async () => {
    const missing = captureIo();
    expect(await zookeeperExport([], missing)).to.equal(2);
    expect(missing.err).to.include("missing required argument 'connection'");
    const badValue = captureIo();
    expect(await zookeeperSetProperty([connection, '/props', 'x=@nope'], badValue)).to.equal(2);
    expect(badValue.err).to.include('bad value for x');
    const badBits = captureIo();
    expect(await zookeeperImport(['-p', '99', connection], badBits)).to.equal(2);
    const noNode = captureIo();
    expect(await zookeeperExport([connection, '/does-not-exist'], noNode)).to.equal(1);
    expect(noNode.err).to.equal('zookeeper-export: no node: /does-not-exist\n');
    const malformed = captureIo('/ok\n   /bad\n  /indent\n');
    expect(await zookeeperImport([connection], malformed)).to.equal(1);
    expect(malformed.err).to.match(/^zookeeper-import: .*line 3/);
    const [port] = await freePorts(1);
    const unreachable = captureIo();
    const started = zookeeperExport([`127.0.0.1:${port}`], unreachable);
    expect(await started).to.equal(1);
    expect(unreachable.err).to.include(`Can't connect to ZooKeeper at '127.0.0.1:${port}'`);
  });

  it('prints help with exit code 0', async () => {
    const io = captureIo();
    expect(await zookeeperImport(['--help'], io)).to.equal(0);
    expect(io.out).to.include('Usage: zookeeper-import').and.include('--dry-run');
  });

  it('runs as a program', async () => {
    const bin = fileURLToPath(new URL('../../src/cli/zookeeper-export.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', bin, connection, '/app'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).to.equal(0);
    expect(out).to.equal(TREE);
  });
});
