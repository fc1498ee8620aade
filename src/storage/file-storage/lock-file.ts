/**
 * The `Data.fs.lock` file that keeps two writers off one FileStorage, as
 * zc.lockfile does for ZODB: an exclusive `flock` on the file, which the
 * kernel drops when its holder exits however it exits, and `" <pid>\n"` in
 * it for people to read. Python ZODB processes and ours keep each other
 * out. The file stays when the lock is released, as zc.lockfile leaves it:
 * deleting a file another process may have open would let two processes
 * lock two different files of one name.
 */
import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StorageLockedError } from '../errors.js';

/** The part of fs-ext (a native addon: Node has no `flock`) used here. */
interface Flock {
  flockSync(fd: number, flags: 'exnb' | 'un'): void;
}
const { flockSync } = createRequire(import.meta.url)('fs-ext') as Flock;

// Lock files this process holds, for a clear error before asking the kernel.
const heldByThisProcess = new Set<string>();

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** The pid a lock file names, if it names one. */
async function holderPid(handle: FileHandle): Promise<number | undefined> {
  const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(64), position: 0 });
  const match = /^\s*(\d+)/.exec(buffer.toString('latin1', 0, bytesRead));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** A held lock file; {@link LockFile.release} gives it up. */
export class LockFile {
  /** The absolute path of the lock file. */
  readonly path: string;
  readonly #handle: FileHandle;
  #released = false;

  private constructor(lockPath: string, handle: FileHandle) {
    this.path = lockPath;
    this.#handle = handle;
  }

  /** Takes the lock at `lockPath`, or throws `StorageLockedError` if another process or open storage holds it. */
  static async acquire(lockPath: string): Promise<LockFile> {
    const absolute = path.resolve(lockPath);
    if (heldByThisProcess.has(absolute)) throw new StorageLockedError(absolute, process.pid);
    heldByThisProcess.add(absolute);
    let handle: FileHandle | undefined;
    try {
      handle = await open(absolute, fsConstants.O_RDWR | fsConstants.O_CREAT, 0o644);
      try {
        flockSync(handle.fd, 'exnb');
      } catch (error) {
        if (errorCode(error) !== 'EAGAIN' && errorCode(error) !== 'EWOULDBLOCK') throw error;
        throw new StorageLockedError(absolute, await holderPid(handle).catch(() => undefined));
      }
      const content = Buffer.from(` ${process.pid}\n`, 'latin1');
      await handle.write(content, 0, content.length, 0);
      await handle.truncate(content.length);
      return new LockFile(absolute, handle);
    } catch (error) {
      heldByThisProcess.delete(absolute);
      await handle?.close().catch(() => undefined);
      throw error;
    }
  }

  /** Gives the lock up (the file stays); idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldByThisProcess.delete(this.path);
    // Closing the file drops the lock; unlocking first makes it explicit.
    try {
      flockSync(this.#handle.fd, 'un');
    } finally {
      await this.#handle.close();
    }
  }
}
