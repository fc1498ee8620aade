/**
 * Cutting an incomplete last transaction off a FileStorage file at open,
 * as ZODB does: the removed bytes are kept in `<path>.trN` first.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '../../logger.js';
import { readAt } from './file-io.js';

const COPY_CHUNK = 1 << 20;

async function createFreeSibling(path: string): Promise<{ name: string; handle: FileHandle }> {
  for (let i = 0; ; i++) {
    const name = `${path}.tr${i}`;
    try {
      return { name, handle: await open(name, 'wx') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Saves bytes `[end, size)` of the file to the first free `<path>.trN`, then
 * truncates the file to `end` and syncs it.
 */
export async function cutOffDamagedTail(
  path: string,
  handle: FileHandle,
  end: number,
  size: number,
  reason: string,
  logger: Logger,
): Promise<void> {
  logger.warn({ path, offset: end, reason }, `${path} truncated, possibly due to damaged records at ${end}: ${reason}`);
  const saved = await createFreeSibling(path);
  try {
    logger.warn({ path, savedTo: saved.name }, `Writing truncated data from ${path} to ${saved.name}`);
    const chunk = Buffer.allocUnsafe(Math.min(COPY_CHUNK, size - end));
    for (let at = end; at < size; ) {
      const got = await readAt(handle, chunk, 0, Math.min(chunk.length, size - at), at);
      if (got === 0) break;
      await saved.handle.write(chunk, 0, got);
      at += got;
    }
    await saved.handle.sync();
  } finally {
    await saved.handle.close();
  }
  await handle.truncate(end);
  await handle.sync();
}
