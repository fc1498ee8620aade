/**
 * Positional file I/O helpers: complete reads and writes at an offset
 * (asynchronous, and synchronous for small page-cache-bound work), and a
 * windowed reader for scanning a file front to back in large chunks.
 */
import { readSync, writevSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { CorruptFileError, StorageError } from '../errors.js';

/**
 * Reads up to `length` bytes at `position` into `buffer` at `offset`,
 * looping over short reads; returns the count read (less only at end of file).
 */
export async function readAt(handle: FileHandle, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Synchronous {@link readAt}: for bytes that are almost always in the page
 * cache, where a thread-pool round trip costs more than the read itself.
 */
export function readAtSync(fd: number, buffer: Buffer, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const bytesRead = readSync(fd, buffer, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

// What is left of `buffers` once their first `written` bytes are on file.
function unwritten(buffers: readonly Buffer[], written: number): Buffer[] {
  let skip = written;
  const rest: Buffer[] = [];
  for (const buffer of buffers) {
    if (skip >= buffer.length) {
      skip -= buffer.length;
    } else {
      rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
      skip = 0;
    }
  }
  return rest;
}

function nothingWritten(at: number): StorageError {
  return new StorageError('STORAGE_IO', `writing at byte offset ${at} wrote nothing`);
}

/** Writes all of `buffers`, back to back, at `position`. */
export async function writeAllAt(handle: FileHandle, buffers: readonly Buffer[], position: number): Promise<void> {
  let pending = buffers.filter((b) => b.length > 0);
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    if (bytesWritten <= 0) throw nothingWritten(at);
    at += bytesWritten;
    pending = unwritten(pending, bytesWritten);
  }
}

/**
 * Synchronous {@link writeAllAt}: one `pwritev` into the page cache for
 * small writes, where the thread pool would add more latency than it saves.
 */
export function writeAllAtSync(fd: number, buffers: readonly Buffer[], position: number): void {
  let pending = buffers.filter((b) => b.length > 0);
  let at = position;
  while (pending.length > 0) {
    const bytesWritten = writevSync(fd, pending, at);
    if (bytesWritten <= 0) throw nothingWritten(at);
    at += bytesWritten;
    pending = unwritten(pending, bytesWritten);
  }
}

const DEFAULT_WINDOW = 1 << 20;

/**
 * A read window sliding forward over a file of known size: `has`/`view` are
 * synchronous while the bytes are in the window; `load` moves the window.
 * Views stay valid only until the next `load`.
 */
export class WindowReader {
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #size: number;
  #buffer: Buffer;
  #start = 0;
  #end = 0;

  /** Reads `handle` (the file at `path`), whose first `size` bytes are of interest. */
  constructor(path: string, handle: FileHandle, size: number, windowSize = DEFAULT_WINDOW) {
    this.#path = path;
    this.#handle = handle;
    this.#size = size;
    this.#buffer = Buffer.allocUnsafe(windowSize);
  }

  /** The number of bytes of interest. */
  get size(): number {
    return this.#size;
  }

  /** Whether `[position, position + length)` is in the window. */
  has(position: number, length: number): boolean {
    return position >= this.#start && position + length <= this.#end;
  }

  /** The window's buffer; bytes at `position` are at {@link offsetOf}(position) while {@link has} holds. */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /** Where the byte at `position` lies in {@link buffer}. */
  offsetOf(position: number): number {
    return position - this.#start;
  }

  /** A view of `[position, position + length)`; call only when {@link has} is true. */
  view(position: number, length: number): Buffer {
    const offset = position - this.#start;
    return this.#buffer.subarray(offset, offset + length);
  }

  /**
   * Moves the window to start at `position`, large enough for `length`
   * bytes, and returns their view. Callers keep `position + length` within
   * the size.
   */
  async load(position: number, length: number): Promise<Buffer> {
    if (length > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(length);
    const want = Math.min(this.#buffer.length, this.#size - position);
    const got = await readAt(this.#handle, this.#buffer, 0, want, position);
    this.#start = position;
    this.#end = position + got;
    if (got < length) {
      throw new CorruptFileError(this.#path, position + got, `the file ended early (expected ${length} bytes at ${position})`);
    }
    return this.view(position, length);
  }

  /** The view of `[position, position + length)`, loading it if needed. */
  async read(position: number, length: number): Promise<Buffer> {
    return this.has(position, length) ? this.view(position, length) : this.load(position, length);
  }
}
