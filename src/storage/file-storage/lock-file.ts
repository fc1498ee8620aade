/**
 * The `Data.fs.lock` file that keeps two writers off one FileStorage. Like
 * zc.lockfile it holds `" <pid>\n"`. Node has no `flock`, so the file's
 * existence is the lock: it is created atomically (write a temporary file,
 * then hard-link it into place) and removed on release. A lock file left by
 * a process that is gone is stale and taken over.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StorageLockedError } from '../errors.js';

// Lock files this process holds: a lock file naming our own pid that is not
// listed here was left by an earlier process with the same pid (a restarted
// container is typically pid 1 again), so it is stale.
const heldByThisProcess = new Set<string>();

interface Holder {
  readonly pid: number | undefined;
  readonly inode: number;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return errorCode(error) === 'EPERM';
  }
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(lockPath, 'latin1'), stat(lockPath)]);
    const match = /^\s*(\d+)/.exec(content);
    return { pid: match?.[1] === undefined ? undefined : Number(match[1]), inode: info.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

async function createExclusively(lockPath: string, content: string): Promise<boolean> {
  const temporary = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temporary, content, { flag: 'wx' });
  try {
    await link(temporary, lockPath);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw error;
  } finally {
    await unlink(temporary).catch(() => undefined);
  }
  // No hard links on this file system: fall back to an exclusive create.
  try {
    const handle = await open(lockPath, 'wx');
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** A held lock file; {@link LockFile.release} gives it up. */
export class LockFile {
  /** The absolute path of the lock file. */
  readonly path: string;
  /** Set when a stale lock file was replaced: the pid it named, if readable. */
  readonly replacedStale: { readonly pid: number | undefined } | undefined;
  #released = false;

  private constructor(lockPath: string, replacedStale: { readonly pid: number | undefined } | undefined) {
    this.path = lockPath;
    this.replacedStale = replacedStale;
  }

  /** Takes the lock at `lockPath`, or throws `StorageLockedError` if someone alive holds it. */
  static async acquire(lockPath: string): Promise<LockFile> {
    const absolute = path.resolve(lockPath);
    if (heldByThisProcess.has(absolute)) throw new StorageLockedError(absolute, process.pid);
    heldByThisProcess.add(absolute);
    try {
      const replaced = await LockFile.#take(absolute);
      return new LockFile(absolute, replaced);
    } catch (error) {
      heldByThisProcess.delete(absolute);
      throw error;
    }
  }

  static async #take(absolute: string): Promise<{ readonly pid: number | undefined } | undefined> {
    const content = ` ${process.pid}\n`;
    if (await createExclusively(absolute, content)) return undefined;
    const holder = await readHolder(absolute);
    if (holder !== undefined) {
      const stale = holder.pid === undefined || holder.pid === process.pid || !isAlive(holder.pid);
      if (!stale) throw new StorageLockedError(absolute, holder.pid);
      // Remove it only if it is still the file we judged stale.
      const now = await stat(absolute).catch(() => undefined);
      if (now?.ino === holder.inode) await unlink(absolute).catch(() => undefined);
    }
    if (await createExclusively(absolute, content)) return { pid: holder?.pid };
    const winner = await readHolder(absolute);
    throw new StorageLockedError(absolute, winner?.pid);
  }

  /** Removes the lock file; idempotent. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    heldByThisProcess.delete(this.path);
    await unlink(this.path).catch((error: unknown) => {
      if (errorCode(error) !== 'ENOENT') throw error;
    });
  }
}
