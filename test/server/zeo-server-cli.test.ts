// The zeo-server command, run as a child process: listening and port
// reporting, -f / --read-only / -C, errors with file and line, graceful
// SIGTERM, and crash safety under kill -9 in the middle of commits.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BoundAddress } from '../../src/server/listen.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { z64 } from '../../src/storage/oid.js';
import { ReadOnlyError } from '../../src/storage/errors.js';
import { RawClient } from './raw-client.js';
import { cliScript, killCliProcesses, runCli, type CliRun } from '../support/cli-process.js';
import { cleanUp, tempDir } from './server-fixture.js';

const CLI = cliScript('zeo-server');
const run = (args: string[]): CliRun => runCli(CLI, args);

/** Resolves with the address printed on stdout. */
async function listening(server: CliRun): Promise<BoundAddress> {
  const text = (await server.printed(/listening on (.*)\n/))[1] as string;
  const inet = /^(.*):(\d+)$/.exec(text);
  return inet === null ? { family: 'unix', path: text } : { family: 'ipv4', host: inet[1] as string, port: Number(inet[2]) };
}

describe('server: the zeo-server command', () => {
  afterEach(async () => {
    killCliProcesses();
    await cleanUp();
  });

  it('serves -f FILE on -a host:0, reports the chosen port, and shuts down on SIGTERM', async () => {
    const dir = await tempDir();
    const server = run(['-a', '127.0.0.1:0', '-f', path.join(dir, 'Data.fs')]);
    const address = await listening(server);
    expect(address).to.include({ family: 'ipv4', host: '127.0.0.1' });
    expect((address as { port: number }).port).to.be.greaterThan(0);
    const { client, lastTid } = await RawClient.registered(address);
    expect(lastTid).to.deep.equal(z64);
    const [oid] = (await client.call('new_oids', [1])) as Buffer[];
    const tid = await client.commit(1, [[oid as Buffer, z64, Buffer.from('data')]]);
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
    const storage = await FileStorage.open(path.join(dir, 'Data.fs'), { readOnly: true });
    expect(storage.lastTransaction()).to.deep.equal(tid);
    await storage.close();
  });

  it('--read-only refuses writable registrations', async () => {
    const dir = await tempDir();
    const server = run(['-a', '127.0.0.1:0', '-f', path.join(dir, 'Data.fs'), '--read-only']);
    const address = await listening(server);
    const client = await RawClient.connect(address);
    const error = await client.call('register', ['1', false]).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ReadOnlyError);
    expect(await client.call('register', ['1', true])).to.deep.equal(z64);
  });

  it('-C reads a ZConfig file (a Unix socket, a mapping storage), and removes the socket on SIGINT', async () => {
    const dir = await tempDir();
    const socketPath = path.join(dir, 'zeo.sock');
    const config = path.join(dir, 'zeo.conf');
    await writeFile(config, `<zeo>\n  address ${socketPath}\n  msgpack true\n</zeo>\n<mappingstorage main>\n</mappingstorage>\n`);
    const server = run(['-C', config]);
    const address = await listening(server);
    expect(address).to.deep.equal({ family: 'unix', path: socketPath });
    const client = await RawClient.connect(address, 'pickle');
    expect(client.announced).to.equal('M5');
    expect(await client.call('register', ['main', false])).to.deep.equal(z64);
    server.child.kill('SIGINT');
    expect(await server.exited).to.equal(0);
    expect(existsSync(socketPath)).to.equal(false);
  });

  it('reports configuration errors with file and line, and usage errors', async () => {
    const dir = await tempDir();
    const config = path.join(dir, 'bad.conf');
    await writeFile(config, `<zeo>\n  address 127.0.0.1:0\n  adress typo\n</zeo>\n<filestorage>\n  path ${dir}/Data.fs\n</filestorage>\n`);
    const bad = run(['-C', config]);
    expect(await bad.exited).to.equal(1);
    expect(bad.stderr()).to.contain(`${config}:3:`);
    const demo = path.join(dir, 'demo.conf');
    await writeFile(demo, `<zeo>\n  address 127.0.0.1:0\n</zeo>\n<demostorage>\n</demostorage>\n`);
    const unsupported = run(['-C', demo]);
    expect(await unsupported.exited).to.equal(1);
    expect(unsupported.stderr()).to.contain(`${demo}:4:`).and.to.contain('demostorage');
    const noAddress = run(['-f', path.join(dir, 'Data.fs')]);
    expect(await noAddress.exited).to.equal(1);
    expect(noAddress.stderr()).to.contain('no server address specified');
    const unknownFlag = run(['--bogus']);
    expect(await unknownFlag.exited).to.equal(2);
    const negative = run(['-a', '127.0.0.1:0', '-f', path.join(dir, 'Data.fs'), '--shutdown-timeout', '-1']);
    expect(await negative.exited).to.equal(2);
    expect(negative.stderr()).to.contain('--shutdown-timeout').and.to.contain('0 or more');
  });

  it('--shutdown-timeout bounds how long a graceful shutdown waits', async () => {
    const dir = await tempDir();
    const server = run(['-a', '127.0.0.1:0', '-f', path.join(dir, 'Data.fs'), '--shutdown-timeout', '0.25']);
    const address = await listening(server);
    const { client } = await RawClient.registered(address);
    server.child.kill('SIGTERM');
    expect(await server.exited).to.equal(0);
    expect(server.stderr()).to.contain('shutting down: 1 connection(s) get up to 250 ms');
    client.socket.destroy();
  });

  it('loses no commit a client saw finish when killed -9 in the middle of a stream of commits', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'Data.fs');
    const server = run(['-a', '127.0.0.1:0', '-f', file]);
    const address = await listening(server);
    const clients = await Promise.all([0, 1, 2].map(async () => (await RawClient.registered(address)).client));
    const confirmed: Array<{ oid: Buffer; tid: Buffer; data: Buffer }> = [];
    let killed = false;
    await Promise.all(
      clients.map(async (client, i) => {
        const [oid] = (await client.call('new_oids', [1])) as Buffer[];
        let serial = z64;
        for (let n = 0; ; n++) {
          const data = Buffer.from(`client ${i} commit ${n}`);
          try {
            serial = await client.commit(i + 1, [[oid as Buffer, serial, data]]);
          } catch {
            return; // the server is gone
          }
          confirmed.push({ oid: oid as Buffer, tid: serial, data });
          if (confirmed.length === 150 && !killed) {
            killed = true;
            server.child.kill('SIGKILL');
          }
        }
      }),
    );
    await server.exited;
    expect(confirmed.length).to.be.at.least(150);
    const storage = await FileStorage.open(file);
    try {
      for (const { oid, tid, data } of confirmed) expect(await storage.loadSerial(oid, tid)).to.deep.equal(data);
      const newest = confirmed.reduce((a, b) => (Buffer.compare(a.tid, b.tid) >= 0 ? a : b));
      expect(Buffer.compare(storage.lastTransaction(), newest.tid)).to.be.at.least(0);
    } finally {
      await storage.close();
    }
  });
});
