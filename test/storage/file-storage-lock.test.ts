// The Data.fs.lock file: one writer per file, across processes.
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
    expect(await readdir(tempDir())).to.deep.equal(['Data.fs']);
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

  it('replaces a lock file left by a process that is gone, with a warning', async () => {
    const child = await runChild(tempDir(), `console.log('bye');`, 'bye');
    await child.exited;
    await writeFile(`${file}.lock`, ` ${child.pid}\n`);
    const logger = recordingLogger();
    const storage = await FileStorage.open(file, { logger });
    try {
      expect(await readFile(`${file}.lock`, 'latin1')).to.equal(` ${process.pid}\n`);
      const warning = logger.entries.find((e) => e.message.includes('stale lock file'));
      expect(warning?.fields.pid).to.equal(child.pid);
      await rejects(FileStorage.open(file), StorageLockedError);
    } finally {
      await storage.close();
    }
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
