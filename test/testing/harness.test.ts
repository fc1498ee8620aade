import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { TestingServer } from '../../src/testing/testing-server.js';
import { fourLetterWord, serverMode } from '../../src/testing/four-letter-word.js';
import { freePorts } from '../../src/testing/free-port.js';
import { ZkClient } from '../../src/zk/client.js';
import { InvalidArgumentError } from '../../src/errors.js';
import { eventually } from '../support/events.js';

describe('zkzeo/testing harness', function () {
  it('finds distinct free ports', async () => {
    const ports = await freePorts(5);
    expect(new Set(ports).size).to.equal(5);
    for (const port of ports) expect(port).to.be.within(1024, 65535);
  });

  it('starts a standalone server, answers four-letter words, and cleans up on close', async () => {
    const server = await TestingServer.start({ mode: 'standalone' });
    try {
      expect(await serverMode(server.port)).to.equal('standalone');
      expect(await fourLetterWord(server.port, 'ruok')).to.equal('imok');
      expect(server.connectionString).to.equal(`127.0.0.1:${server.port}`);
      expect(existsSync(server.dir)).to.equal(true);
    } finally {
      await server.close();
      await server.close();
    }
    expect(existsSync(server.dir)).to.equal(false);
    expect(await serverMode(server.port)).to.equal(undefined);
  });

  it('runs quorum1 servers as a leader that keeps sessions across restarts', async () => {
    const server = await TestingServer.start();
    const client = new ZkClient(server.connectionString, { sessionTimeoutMs: 10_000 });
    try {
      expect(await serverMode(server.port)).to.equal('leader');
      await client.start();
      await client.create('/kept', 'x', { ephemeral: true });
      const session = client.sessionId;
      await server.restart();
      expect(await client.waitForState('CONNECTED', 10_000)).to.equal(true);
      expect(client.sessionId).to.equal(session);
      expect(await client.exists('/kept')).to.not.equal(null);
      expect(server.log()).to.be.a('string');
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('rejects bad options before starting anything', async () => {
    for (const options of [{ tickTimeMs: -5 }, { tickTimeMs: 1.5 }, { mode: 'cluster' as 'standalone' }]) {
      const result = await TestingServer.start(options).catch((e: unknown) => e);
      if (result instanceof TestingServer) await result.close();
      expect(result).to.be.instanceOf(InvalidArgumentError);
    }
  });
});

describe('zkzeo/testing clean-up when the process is interrupted', function () {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`kills the JVM and removes its directory on ${signal}`, async () => {
      const script = [
        "import { TestingServer } from './src/testing/index.ts';",
        'const server = await TestingServer.start();',
        'console.log(JSON.stringify({ pid: server.pid, dir: server.dir }));',
        'setInterval(() => undefined, 1000);',
      ].join('\n');
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      });
      const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
      expect(isAlive(pid)).to.equal(true);
      const exited = new Promise((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
      child.kill(signal);
      expect(await exited).to.equal(signal);
      await eventually('the JVM to be gone', () => !isAlive(pid));
      expect(existsSync(dir)).to.equal(false);
    });
  }
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}
