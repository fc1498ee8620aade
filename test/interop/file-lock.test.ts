// Python ZODB and zkzeo lock Data.fs.lock the same way (zc.lockfile's
// flock), so neither can open a FileStorage the other is writing. Uses
// Debian's python3-zc.lockfile, the lock ZODB's FileStorage takes.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { StorageLockedError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { PYTHON } from './python-worker.js';

/** Runs Python code; resolves with its output once it prints a whole line holding `marker`, and a way to end it. */
function python(code: string, marker: string): Promise<{ output: string; pid: number; exited: Promise<number | null>; end: () => void }> {
  const child = spawn(PYTHON, ['-c', code], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  let errors = '';
  // A line can arrive in two chunks; only a finished line counts.
  const printed = (): boolean => output.split('\n').slice(0, -1).some((line) => line.includes(marker));
  child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    const done = (): void => resolve({ output, pid: child.pid ?? -1, exited, end: () => child.stdin.end() });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (printed()) done();
    });
    void exited.then((status) => {
      if (printed()) return;
      if (errors.includes("No module named 'zc.lockfile'")) {
        reject(new Error(`${PYTHON} lacks zc.lockfile: apt-get install -y --no-install-recommends python3-zc.lockfile`));
      } else reject(new Error(`python exited (${status}) before ${marker}: ${errors}`));
    });
  });
}

const tryLock = (lockPath: string): string => `
import zc.lockfile
try:
    zc.lockfile.LockFile(${JSON.stringify(lockPath)})
    print('locked')
except zc.lockfile.LockError:
    print('refused')
`;

const holdLock = (lockPath: string): string => `
import sys, zc.lockfile
lock = zc.lockfile.LockFile(${JSON.stringify(lockPath)})
print('holding', flush=True)
sys.stdin.read()
lock.close()
`;

describe('interop: the FileStorage lock against Python ZODB\'s (zc.lockfile)', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'zkzeo-lock-'));
    file = path.join(dir, 'Data.fs');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('Python cannot lock a FileStorage we have open, and can once we closed it', async () => {
    const storage = await FileStorage.open(file, { create: true });
    try {
      expect((await python(tryLock(`${file}.lock`), 'ed')).output).to.equal('refused\n');
    } finally {
      await storage.close();
    }
    expect((await python(tryLock(`${file}.lock`), 'ed')).output).to.equal('locked\n');
  });

  it('we cannot open a FileStorage Python holds, are told its pid, and can once it is gone', async () => {
    const holder = await python(holdLock(`${file}.lock`), 'holding');
    try {
      const error = await FileStorage.open(file, { create: true }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(StorageLockedError);
      expect((error as StorageLockedError).pid).to.equal(holder.pid);
      expect(await readFile(`${file}.lock`, 'latin1')).to.equal(` ${holder.pid}\n`);
    } finally {
      holder.end();
      await holder.exited;
    }
    const storage = await FileStorage.open(file, { create: true });
    await storage.close();
  });
});
