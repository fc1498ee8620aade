// The Data.fs.lock file: one writer per file, across processes (and with
// Python ZODB, which locks the same file: see test/interop).
import { expect } from 'chai';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageLockedError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage/file-storage.js';
import { p64, z64 } from '../../src/storage/oid.js';
import { commit, recordingLogger, rejects, runChild, useTempDir } from './storage-test-support.js';

describe('FileStorage lock file', () => {
  const tempDir = useTempDir();
  let file: string;

  beforeEach(() => {
    file = path.join(tempDir(), 'Data.fs');
  });

  it('holds " <pid>\\n" while open and refuses a second writer in this process', async () => {
    const storage = await FileStorage.open(file);
    try {
      expect(await readFile(`${file}.lock`, 'latin1')).to.equal(` ${process.pid}\n`);
      const error = await rejects(FileStorage.open(file), StorageLockedError, /Data\.fs\.lock/);
      expect(error.pid).to.equal(process.pid);
      expect(error.lockPath).to.equal(path.resolve(`${file}.lock`));
      expect(error.code).to.equal('STORAGE_LOCKED');
      // Readers take no lock.
      const reader = await FileStorage.open(file, { readOnly: true });
      await reader.close();
    } finally {
      await storage.close();
    }
    // The file stays (as zc.lockfile leaves it); the lock is what matters.
    expect((await readdir(tempDir())).sort()).to.deep.equal(['Data.fs', 'Data.fs.lock']);
    const again = await FileStorage.open(file);
    await commit(again, [[z64, z64, Buffer.from('root')]]);
    await again.close();
  });

  it('refuses a writer while another process has the file open', async () => {
    const child = await runChild(
      tempDir(),
      `const storage = await FileStorage.open(${JSON.stringify(file)});
       console.log('open');
       process.stdin.resume();
       process.stdin.on('end', () => { void storage.close().then(() => process.exit(0)); });`,
      'open',
    );
    try {
      const error = await rejects(FileStorage.open(file), StorageLockedError);
      expect(error.pid).to.equal(child.pid);
      expect(error.message).to.contain(`held by process ${child.pid}`);
    } finally {
      await child.stop();
    }
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { logger });
    await storage.close();
    expect(logger.entries).to.deep.equal([]);
  });

  it('is free again once a holder is killed with SIGKILL: the kernel drops its lock', async () => {
    const child = await runChild(
      tempDir(),
      `await FileStorage.open(${JSON.stringify(file)});
       console.log('open');
       process.stdin.resume();`,
      'open',
    );
    await rejects(FileStorage.open(file), StorageLockedError);
    process.kill(child.pid, 'SIGKILL');
    await child.exited;
    // The file still names the dead process; that does not matter.
    expect(await readFile(`${file}.lock`, 'latin1')).to.equal(` ${child.pid}\n`);
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { logger });
    try {
      expect(await readFile(`${file}.lock`, 'latin1')).to.equal(` ${process.pid}\n`);
      expect(logger.entries).to.deep.equal([]);
      await rejects(FileStorage.open(file), StorageLockedError);
    } finally {
      await storage.close();
    }
  });

  it('a lock file that merely exists, whatever it says, holds nobody off', async () => {
    await writeFile(`${file}.lock`, ` 1\n`);
    const storage = await FileStorage.open(file);
    await storage.close();
  });

  it('replaces a lock file naming this process that this process does not hold (a restarted container)', async () => {
    await writeFile(`${file}.lock`, ` ${process.pid}\n`);
    const storage = await FileStorage.open(file);
    try {
      expect((await storage.newOid()).equals(p64(1))).to.equal(true);
    } finally {
      await storage.close();
    }
  });
});
