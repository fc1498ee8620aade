/** A temporary directory of configuration files for one test suite. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export class TempConfigDir {
  /** The directory, created at construction. */
  readonly root = mkdtempSync(path.join(tmpdir(), 'zkzeo-config-'));

  /** Writes `text` to `relative` (creating directories) and returns the absolute path. */
  write(relative: string, text: string): string {
    const file = path.join(this.root, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  /** The absolute path of `relative`. */
  path(relative: string): string {
    return path.join(this.root, relative);
  }

  /** Deletes the directory and everything in it. */
  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
